package dev.baton.runtime.run;

/** A run's state, as in the API. */
public enum RunStatus {
    /**
     * COMPENSATING: the run failed or was cancelled and is undoing its succeeded tasks (their
     * {@code compensate} calls, newest first); it then ends FAILED or CANCELLED.
     * COMPENSATION_FAILED: a compensation failed for good; nothing more happens until someone
     * retries it (POST /api/runs/{id}/compensation/retry).
     */
    PLANNING, AWAITING_PLAN_APPROVAL, RUNNING, REPLANNING, SUCCEEDED, FAILED, CANCELLED, COMPENSATING, COMPENSATION_FAILED;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == COMPENSATION_FAILED;
    }

    /** Whether a status named as the API names it has finished; false for a name that is no status. */
    public static boolean finished(String name) {
        try {
            return valueOf(name).finished();
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }
}
