package dev.baton.runtime.decider;

/** What a durable timer is for; the decider checks on {@link Input.TimerDue} that it is still due. */
public enum TimerKind {
    /** A wait task's duration is over. */
    WAIT_OVER,
    /** A task or its fallback waited out its retry backoff. */
    RETRY,
    /** A compensation waited out its retry backoff. */
    COMPENSATION_RETRY,
    /** An approval's timeout is over: it expires or escalates. */
    APPROVAL_EXPIRY
}
