package dev.baton.runtime.journal;

/**
 * A page request for the tickets list, newest first.
 *
 * @param queue  only tickets of this queue, or null
 * @param status only tickets with this status, or null
 * @param limit  at most this many (1 to 500)
 * @param cursor from {@link TicketPage#next()} of the previous page, or null for the first
 */
public record TicketQuery(String queue, String status, int limit, String cursor) {
    public TicketQuery {
        if (limit < 1 || limit > 500) throw new IllegalArgumentException("limit must be between 1 and 500, was " + limit);
    }
}
