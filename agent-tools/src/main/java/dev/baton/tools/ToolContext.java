package dev.baton.tools;

import java.time.Instant;
import java.util.Map;

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
 * @param traceHeaders   the W3C trace context of this call ({@code traceparent}, and {@code tracestate} when
 *                       there is one) for a tool that calls another service to send as HTTP headers, so the
 *                       far side joins the run's trace; empty when the run has no trace. Never null.
 */
public record ToolContext(String runId, String taskId, int attempt, String idempotencyKey, Instant deadline,
                          Map<String, String> traceHeaders) {

    public ToolContext {
        traceHeaders = traceHeaders == null ? Map.of() : Map.copyOf(traceHeaders);
    }

    /** A context with no trace. */
    public ToolContext(String runId, String taskId, int attempt, String idempotencyKey, Instant deadline) {
        this(runId, taskId, attempt, idempotencyKey, deadline, Map.of());
    }

    /** This context with other trace headers. */
    public ToolContext withTraceHeaders(Map<String, String> headers) {
        return new ToolContext(runId, taskId, attempt, idempotencyKey, deadline, headers);
    }

    /** A context for calling a tool outside any run, e.g. in a unit test. */
    public static ToolContext standalone(String idempotencyKey) {
        return new ToolContext("standalone", "standalone", 1, idempotencyKey, Instant.now().plusSeconds(30));
    }
}
