package dev.baton.runtime.run;

/** A run's state, as in the API. */
public enum RunStatus {
    PLANNING, AWAITING_PLAN_APPROVAL, RUNNING, REPLANNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
