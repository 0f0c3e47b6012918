package dev.baton.runtime.event;

import java.time.Instant;
import java.util.Objects;

/**
 * One change of a run: the unit of the journal, of recovery and of the live event stream.
 * {@code seq} starts at 1 and grows by one within a run.
 *
 * @param seq   position within the run
 * @param runId the run
 * @param at    when the orchestrator decided the change
 * @param data  what changed
 */
public record RunEvent(long seq, String runId, Instant at, EventData data) {

    public RunEvent {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(data, "data");
    }

    /** The event's type name as in the API, e.g. {@code TaskSucceeded}. */
    public String type() {
        return data.type();
    }

    /** The task the event is about, or null for a run-level event. */
    public String taskId() {
        return data instanceof EventData.TaskEvent task ? task.taskId() : null;
    }
}
