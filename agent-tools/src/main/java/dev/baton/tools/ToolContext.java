package dev.baton.tools;

import java.time.Instant;

/**
 * What a tool knows about the call it is serving.
 *
 * @param runId          the run the call belongs to
 * @param taskId         the task within the run
 * @param attempt        1 for the first attempt, 2 for the first retry, ...
 * @param idempotencyKey the same for every attempt of the task, also when a task is run again
 *                       after a crash: pass it on (e.g. as an {@code Idempotency-Key} header) so that
 *                       the far side can tell a repeat from a new call
 * @param deadline       when the orchestrator stops waiting for this attempt
 */
public record ToolContext(String runId, String taskId, int attempt, String idempotencyKey, Instant deadline) {

    /** A context for calling a tool outside any run, e.g. in a unit test. */
    public static ToolContext standalone(String idempotencyKey) {
        return new ToolContext("standalone", "standalone", 1, idempotencyKey, Instant.now().plusSeconds(30));
    }
}
