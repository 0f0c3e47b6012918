package dev.baton.runtime.orchestrator;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The orchestrator's meters, in the {@link MeterRegistry} of its options; safe to read from any
 * thread. Besides the counters, the duration and outcome of every tool call and agent loop, per
 * tool and per agent ({@link #calls()}), recorded on the calling thread when the call ends.
 *
 * <p>The run and task counters listen to durable events ({@link #onDurable}): what they count
 * happened for good, and the decisions need not know they are counted. Every meter is made once
 * and kept (per tool and agent in a map), so that no call looks a meter up in the registry.
 */
public final class OrchestratorMetrics {
    /** What a call ran: a tool ({@code kind} "tool") or an agent's loop ("agent"), by name. */
    public record CallKey(String kind, String name) {
    }

    /** The calls of one tool or agent: how long they took ({@code baton.task.duration}), and how many ended in a failure. */
    public record CallStats(Timer timer, Counter failureCounter) {
        public long failures() { return (long) failureCounter.count(); }
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<CallKey, CallStats> calls = new ConcurrentHashMap<>();
    /** Abandoned calls still running, per tool and agent; an entry stays (at 0) once it has been used. */
    private final ConcurrentHashMap<CallKey, AtomicInteger> abandoned = new ConcurrentHashMap<>();
    private final AtomicInteger abandonedTotal = new AtomicInteger();
    private final boolean recordCalls;

    final Counter runsStarted;
    final Map<RunStatus, Counter> runsFinished = new EnumMap<>(RunStatus.class);
    final Counter taskAttempts;
    final Counter taskRetries;
    final Counter tasksFailed;
    final Counter tasksSucceeded;
    final Counter approvalsRequested;
    final Counter approvalsDecided;
    final Counter replans;
    /** Runs dropped from memory and loaded again from the journal after one of their writes failed. */
    final Counter runRebuilds;
    final Counter callsRefused;
    volatile int callsInFlight;
    volatile int readyQueueDepth;
    volatile long runsInMemory;

    /** Made by the orchestrator; public for benchmarks that time {@link #recordCall} alone. */
    public OrchestratorMetrics(MeterRegistry registry, boolean recordCalls) {
        this.registry = registry;
        this.recordCalls = recordCalls;
        runsStarted = counter("baton.runs.started", "Runs started.");
        for (RunStatus status : RunStatus.values()) {
            if (status.finished()) {
                runsFinished.put(status, Counter.builder("baton.runs.finished")
                        .description("Runs that reached an end status, by status; a reopened run counts again when it ends again.")
                        .tag("status", status.name()).register(registry));
            }
        }
        taskAttempts = counter("baton.task.attempts", "Task attempts started.");
        taskRetries = counter("baton.task.retries", "Attempts that failed and were scheduled again.");
        tasksSucceeded = counter("baton.tasks.succeeded", "Tasks that succeeded.");
        tasksFailed = counter("baton.tasks.failed", "Tasks that failed for good.");
        approvalsRequested = counter("baton.approvals.requested", "Approvals requested.");
        approvalsDecided = counter("baton.approvals.decided", "Approvals decided by a person.");
        replans = counter("baton.replans", "Replans started.");
        runRebuilds = counter("baton.run.rebuilds", "Runs reloaded from the journal after one of their writes failed.");
        callsRefused = counter("baton.calls.refused",
                "Calls not started because abandoned calls held too many threads (tool_threads_exhausted).");
    }

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).register(registry);
    }

    /**
     * The gauges of what the orchestrator holds now, read through {@code refresh} (which sets
     * {@link #callsInFlight}, {@link #readyQueueDepth} and {@link #runsInMemory}) when scraped.
     */
    void gauges(Runnable refresh) {
        Gauge.builder("baton.calls.in.flight", this, m -> { refresh.run(); return m.callsInFlight; })
                .description("Tool calls running now.").strongReference(true).register(registry);
        Gauge.builder("baton.ready.queue.depth", this, m -> { refresh.run(); return m.readyQueueDepth; })
                .description("Ready tasks waiting for a free call slot.").strongReference(true).register(registry);
        Gauge.builder("baton.runs.in.memory", this, m -> { refresh.run(); return m.runsInMemory; })
                .description("Runs held in memory (active and cached parked runs).").strongReference(true).register(registry);
    }

    /** The registry these meters are in (the orchestrator's options'). */
    public MeterRegistry registry() { return registry; }

    public long runsStarted() { return (long) runsStarted.count(); }
    public long runsFinished(RunStatus status) { Counter c = runsFinished.get(status); return c == null ? 0 : (long) c.count(); }
    public long taskAttempts() { return (long) taskAttempts.count(); }
    public long taskRetries() { return (long) taskRetries.count(); }
    public long tasksFailed() { return (long) tasksFailed.count(); }
    public long tasksSucceeded() { return (long) tasksSucceeded.count(); }
    public long approvalsRequested() { return (long) approvalsRequested.count(); }
    public long runRebuilds() { return (long) runRebuilds.count(); }
    public long approvalsDecided() { return (long) approvalsDecided.count(); }
    /** Replans started (after a task failed for good, or for a user's message). */
    public long replans() { return (long) replans.count(); }

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
    public long callsRefused() { return (long) callsRefused.count(); }

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
        abandoned.computeIfAbsent(key, k -> {
            AtomicInteger count = new AtomicInteger();
            Gauge.builder("baton.abandoned.calls", count, AtomicInteger::get)
                    .description("Calls given up on (timed out, or their run cancelled) whose thread has not returned though"
                            + " interrupted, per tool or agent: they hold a thread each, no call slot.")
                    .tags("kind", k.kind(), "name", k.name()).strongReference(true).register(registry);
            return count;
        }).addAndGet(delta);
        return abandonedTotal.addAndGet(delta);
    }

    private CallStats callStats(CallKey key) {
        return new CallStats(Meters.timer(registry, "baton.task.duration",
                "Duration of tool calls (kind=tool) and agent loops (kind=agent), per tool or agent.", "kind", key.kind(), "name", key.name()),
                Counter.builder("baton.task.call.failures")
                        .description("Tool calls and agent loops that ended in a failure (retried or not), per tool or agent.")
                        .tags("kind", key.kind(), "name", key.name()).register(registry));
    }

    /** Per tool and per agent: call durations and failures. Live view: entries appear as calls end. */
    public Map<CallKey, CallStats> calls() { return java.util.Collections.unmodifiableMap(calls); }

    /** One call ended after {@code nanos}; {@code failed} when it did not give an output (an approval request is no failure). */
    public void recordCall(String kind, String name, long nanos, boolean failed) {
        if (!recordCalls) return;
        CallStats stats = calls.get(new CallKey(kind, name));
        if (stats == null) stats = calls.computeIfAbsent(new CallKey(kind, name), this::callStats);
        stats.timer().record(nanos, TimeUnit.NANOSECONDS);
        if (failed) stats.failureCounter().increment();
    }
}
