package dev.baton.runtime.journal;

import java.util.Locale;

/**
 * A page request for the runs list.
 *
 * @param status only runs with this status, or null for all
 * @param goal   only runs whose goal contains this text, ignoring case (plain text: {@code %} and
 *               {@code _} are no wildcards), or null for all; blank counts as null
 * @param limit  at most this many (1 to 500)
 * @param cursor from {@link RunPage#next()} of the previous page, or null for the first
 */
public record RunQuery(String status, String goal, int limit, String cursor) {
    /** The longest goal search taken: a search is a few words, and a longer one is a mistake. */
    public static final int MAX_GOAL_SEARCH = 200;

    public RunQuery {
        if (limit < 1 || limit > 500) throw new IllegalArgumentException("limit must be between 1 and 500, was " + limit);
        if (goal != null && goal.isBlank()) goal = null;
        if (goal != null && goal.length() > MAX_GOAL_SEARCH) {
            throw new IllegalArgumentException("a goal search is at most " + MAX_GOAL_SEARCH + " characters, was " + goal.length());
        }
    }

    /** Any goal. */
    public RunQuery(String status, int limit, String cursor) {
        this(status, null, limit, cursor);
    }

    /** Whether {@code runGoal} is one this query's goal search takes (the in-memory journal's twin of the SQL filter). */
    boolean goalMatches(String runGoal) {
        return goal == null || runGoal != null && runGoal.toLowerCase(Locale.ROOT).contains(goal.toLowerCase(Locale.ROOT));
    }

    /**
     * The goal search as a SQL LIKE pattern with {@code \} as its escape character: the text's own
     * {@code %}, {@code _} and {@code \} match themselves. It is bound as a parameter, never spliced in.
     */
    String goalLikePattern() {
        String escaped = goal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        return "%" + escaped + "%";
    }
}
