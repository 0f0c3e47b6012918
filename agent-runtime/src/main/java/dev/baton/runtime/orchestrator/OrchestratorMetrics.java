package dev.baton.runtime.orchestrator;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.metrics.Histogram;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskState;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters the orchestrator keeps for {@code /metrics}; safe to read from any thread. Besides
 * the counters, the duration and outcome of every tool call and agent loop, per tool and per
 * agent ({@link #calls()}), recorded on the calling thread when the call ends.
 *
 * <p>The run and task counters listen to durable events ({@link #onDurable}): what they count
 * happened for good, and the decisions need not know they are counted.
 */
public final class OrchestratorMetrics {
    /** What a call ran: a tool ({@code kind} "tool") or an agent's loop ("agent"), by name. */
    public record CallKey(String kind, String name) {
    }

    /** The calls of one tool or agent: how long they took, and how many ended in a failure. */
    public static final class CallStats {
        private final Histogram seconds = new Histogram(Histogram.SECONDS);
        private final LongAdder failures = new LongAdder();

        public Histogram.Snapshot seconds() { return seconds.snapshot(); }
        public long failures() { return failures.sum(); }
    }

    private final ConcurrentHashMap<CallKey, CallStats> calls = new ConcurrentHashMap<>();
    /** Abandoned calls still running, per tool and agent; an entry stays (at 0) once it has been used. */
    private final ConcurrentHashMap<CallKey, AtomicInteger> abandoned = new ConcurrentHashMap<>();
    private final AtomicInteger abandonedTotal = new AtomicInteger();
    private final boolean recordCalls;

    final LongAdder runsStarted = new LongAdder();
    final Map<RunStatus, LongAdder> runsFinished = new EnumMap<>(RunStatus.class);
    final LongAdder taskAttempts = new LongAdder();
    final LongAdder taskRetries = new LongAdder();
    final LongAdder tasksFailed = new LongAdder();
    final LongAdder tasksSucceeded = new LongAdder();
    final LongAdder approvalsRequested = new LongAdder();
    final LongAdder approvalsDecided = new LongAdder();
    final LongAdder replans = new LongAdder();
    /** Runs dropped from memory and loaded again from the journal after one of their writes failed. */
    final LongAdder runRebuilds = new LongAdder();
    final LongAdder callsRefused = new LongAdder();
    volatile int callsInFlight;
    volatile int readyQueueDepth;
    volatile long runsInMemory;

    /** Made by the orchestrator; public for benchmarks that time {@link #recordCall} alone. */
    public OrchestratorMetrics(boolean recordCalls) {
        this.recordCalls = recordCalls;
        for (RunStatus status : RunStatus.values()) {
            if (status.finished()) runsFinished.put(status, new LongAdder());
        }
    }

    public long runsStarted() { return runsStarted.sum(); }
    public long runsFinished(RunStatus status) { LongAdder a = runsFinished.get(status); return a == null ? 0 : a.sum(); }
    public long taskAttempts() { return taskAttempts.sum(); }
    public long taskRetries() { return taskRetries.sum(); }
    public long tasksFailed() { return tasksFailed.sum(); }
    public long tasksSucceeded() { return tasksSucceeded.sum(); }
    public long approvalsRequested() { return approvalsRequested.sum(); }
    public long runRebuilds() { return runRebuilds.sum(); }
    public long approvalsDecided() { return approvalsDecided.sum(); }
    /** Replans started (after a task failed for good, or for a user's message). */
    public long replans() { return replans.sum(); }
    public int callsInFlight() { return callsInFlight; }
    public int readyQueueDepth() { return readyQueueDepth; }
    public long runsInMemory() { return runsInMemory; }

    /**
     * Calls given up on (timed out, or their run cancelled) whose thread has not returned yet, though
     * interrupted: a tool that ignores interrupts. They hold no call slot, but a thread each.
     */
    public int abandonedCalls() { return abandonedTotal.get(); }

    /** {@link #abandonedCalls()} per tool and agent; a tool or agent stays listed (with 0) once it has had one. */
    public Map<CallKey, Integer> abandonedCallsByName() {
        Map<CallKey, Integer> copy = new HashMap<>();
        abandoned.forEach((key, count) -> copy.put(key, count.get()));
        return copy;
    }

    /** Calls not started because too many abandoned calls still held threads ({@code tool_threads_exhausted}). */
    public long callsRefused() { return callsRefused.sum(); }

    /**
     * Counts a durable event. {@code run} is the run's state now (perhaps some events further on),
     * read only for what a plan says, or null.
     */
    void onDurable(RunEvent event, RunState run) {
        EventData data = event.data();
        if (data instanceof EventData.RunCreated) {
            runsStarted.increment();
        } else if (data instanceof EventData.RunSucceeded) {
            runsFinished.get(RunStatus.SUCCEEDED).increment();
        } else if (data instanceof EventData.RunFailed) {
            runsFinished.get(RunStatus.FAILED).increment();
        } else if (data instanceof EventData.RunCancelled) {
            runsFinished.get(RunStatus.CANCELLED).increment();
        } else if (data instanceof EventData.CompensationFailed) {
            runsFinished.get(RunStatus.COMPENSATION_FAILED).increment();
        } else if (data instanceof EventData.TaskStarted || data instanceof EventData.FallbackStarted
                || data instanceof EventData.CompensationStarted) {
            taskAttempts.increment();
        } else if (data instanceof EventData.TaskSucceeded || data instanceof EventData.FallbackSucceeded) {
            tasksSucceeded.increment();
        } else if (data instanceof EventData.TaskAttemptFailed e) {
            // A task with a fallback has not failed for good yet: its fallback's end counts.
            if (e.retryAt() != null) taskRetries.increment();
            else if (!hasFallback(run, e.taskId())) tasksFailed.increment();
        } else if (data instanceof EventData.FallbackAttemptFailed e) {
            if (e.retryAt() != null) taskRetries.increment(); else tasksFailed.increment();
        } else if (data instanceof EventData.CompensationAttemptFailed e) {
            if (e.retryAt() != null) taskRetries.increment();
        } else if (data instanceof EventData.ApprovalRequested) {
            approvalsRequested.increment();
        } else if (data instanceof EventData.ApprovalDecided) {
            approvalsDecided.increment();
        } else if (data instanceof EventData.ReplanStarted) {
            replans.increment();
        }
    }

    private static boolean hasFallback(RunState run, String taskId) {
        TaskState task = run == null ? null : run.task(taskId);
        return task != null && task.spec().flow().fallback() != null;
    }

    /** Adds {@code delta} to the abandoned calls of {@code key}; returns the new total. */
    int abandoned(CallKey key, int delta) {
        abandoned.computeIfAbsent(key, k -> new AtomicInteger()).addAndGet(delta);
        return abandonedTotal.addAndGet(delta);
    }

    /** Per tool and per agent: call durations and failures. Live view: entries appear as calls end. */
    public Map<CallKey, CallStats> calls() { return java.util.Collections.unmodifiableMap(calls); }

    /** One call ended after {@code nanos}; {@code failed} when it did not give an output (an approval request is no failure). */
    public void recordCall(String kind, String name, long nanos, boolean failed) {
        if (!recordCalls) return;
        CallStats stats = calls.get(new CallKey(kind, name));
        if (stats == null) stats = calls.computeIfAbsent(new CallKey(kind, name), k -> new CallStats());
        stats.seconds.observeNanos(nanos);
        if (failed) stats.failures.increment();
    }
}
