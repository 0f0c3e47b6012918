package dev.baton.runtime.event;

/**
 * How a run that unwinds ({@link EventData.RunUnwinding}) ends once its compensations succeeded:
 * as FAILED or as CANCELLED. The journal writes the name as it stands.
 */
public enum UnwindingOutcome {
    /** A task failed for good: the run ends FAILED, with the event's error. */
    FAILED,
    /** Someone cancelled the run: it ends CANCELLED, with the event's {@code by} and {@code reason}. */
    CANCELLED
}
