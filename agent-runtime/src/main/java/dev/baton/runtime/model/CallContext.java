package dev.baton.runtime.model;

import java.util.Objects;

/**
 * Who a model call is for: the run, the task (null for run-level calls such as planning) and the
 * purpose, e.g. {@code "plan"}, {@code "agent"} or {@code "result"}. Usage is counted per run and task.
 */
public record CallContext(String runId, String taskId, String purpose) {

    public CallContext {
        Objects.requireNonNull(runId, "runId");
        purpose = purpose == null ? "" : purpose;
    }

    /** A run-level call (no task). */
    public static CallContext forRun(String runId, String purpose) {
        return new CallContext(runId, null, purpose);
    }
}
