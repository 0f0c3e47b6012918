package dev.baton.runtime.run;

/** A task's state, as in the API. See DESIGN.md, State machines. */
public enum TaskStatus {
    PENDING, READY, RUNNING, RETRY_WAIT, WAITING_APPROVAL, SUCCEEDED, FAILED, REJECTED, SKIPPED, CANCELLED;

    /** No further change can happen without someone asking (a retry). */
    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == REJECTED || this == SKIPPED || this == CANCELLED;
    }

    /** Finished in a way that means its dependants will never run. */
    public boolean blocksDependants() {
        return this == FAILED || this == REJECTED || this == SKIPPED || this == CANCELLED;
    }
}
