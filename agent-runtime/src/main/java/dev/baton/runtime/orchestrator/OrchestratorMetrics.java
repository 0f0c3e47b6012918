package dev.baton.runtime.orchestrator;

import dev.baton.runtime.run.RunStatus;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters the orchestrator keeps for {@code /metrics}; safe to read from any thread. */
public final class OrchestratorMetrics {
    final LongAdder runsStarted = new LongAdder();
    final Map<RunStatus, LongAdder> runsFinished = new EnumMap<>(RunStatus.class);
    final LongAdder taskAttempts = new LongAdder();
    final LongAdder taskRetries = new LongAdder();
    final LongAdder tasksFailed = new LongAdder();
    final LongAdder tasksSucceeded = new LongAdder();
    final LongAdder approvalsRequested = new LongAdder();
    final LongAdder approvalsDecided = new LongAdder();
    final LongAdder replans = new LongAdder();
    volatile int callsInFlight;
    volatile int readyQueueDepth;
    volatile long runsInMemory;

    OrchestratorMetrics() {
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
    public long approvalsDecided() { return approvalsDecided.sum(); }
    /** Replans started (after a task failed for good, or for a user's message). */
    public long replans() { return replans.sum(); }
    public int callsInFlight() { return callsInFlight; }
    public int readyQueueDepth() { return readyQueueDepth; }
    public long runsInMemory() { return runsInMemory; }
}
