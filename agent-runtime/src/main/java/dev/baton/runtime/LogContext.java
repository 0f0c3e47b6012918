package dev.baton.runtime;

import org.slf4j.MDC;

/**
 * Puts a run's ids into the logging context (SLF4J's MDC) for the work done in a scope on this
 * thread, and restores what was there before when the scope closes:
 * <pre>{@code
 * try (var scope = LogContext.run(runId, taskId, traceId)) {
 *     ... // every line logged here carries run_id, task_id and trace_id
 * }
 * }</pre>
 * The orchestrator opens one where work for a run starts on a thread (a shard deciding on a run's
 * input, a task attempt on a task thread, an agent loop, a model call), not around each log call.
 * With a backend that prints the MDC (the server's JSON log format) the ids show on every line;
 * with one that has no MDC this costs next to nothing. A null id is left out.
 */
public final class LogContext implements AutoCloseable {
    public static final String RUN_ID = "run_id";
    public static final String TASK_ID = "task_id";
    public static final String TRACE_ID = "trace_id";

    private final String runBefore;
    private final String taskBefore;
    private final String traceBefore;

    private LogContext(String runId, String taskId, String traceId) {
        runBefore = swap(RUN_ID, runId);
        taskBefore = swap(TASK_ID, taskId);
        traceBefore = swap(TRACE_ID, traceId);
    }

    /** The ids of a run (and of one of its tasks, or null) until {@link #close()}; {@code traceId} may be null. */
    public static LogContext run(String runId, String taskId, String traceId) {
        return new LogContext(runId, taskId, traceId);
    }

    /** Restores the ids this scope replaced. */
    @Override
    public void close() {
        swap(RUN_ID, runBefore);
        swap(TASK_ID, taskBefore);
        swap(TRACE_ID, traceBefore);
    }

    /** Sets {@code key} to {@code value} (removes it for null) and returns what it was. */
    private static String swap(String key, String value) {
        String before = MDC.get(key);
        if (value == null) {
            if (before != null) MDC.remove(key);
        } else if (!value.equals(before)) {
            MDC.put(key, value);
        }
        return before;
    }
}
