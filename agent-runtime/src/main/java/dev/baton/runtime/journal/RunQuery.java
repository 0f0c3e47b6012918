package dev.baton.runtime.journal;

/**
 * A page request for the runs list.
 *
 * @param status only runs with this status, or null for all
 * @param limit  at most this many (1 to 500)
 * @param cursor from {@link RunPage#next()} of the previous page, or null for the first
 */
public record RunQuery(String status, int limit, String cursor) {
    public RunQuery {
        if (limit < 1 || limit > 500) throw new IllegalArgumentException("limit must be between 1 and 500, was " + limit);
    }
}
