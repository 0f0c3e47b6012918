package dev.baton.runtime.orchestrator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.baton.runtime.run.RunState;

import java.util.function.Predicate;

/**
 * The runs held in memory. A run with work in flight or events not yet durable is pinned
 * (weighs 0, never evicted); a run that only waits (for a person, a long timer or a retry)
 * weighs 1, and at most {@link OrchestratorOptions#parkedRunsInMemory()} of those stay. A
 * finished run is dropped as soon as it is no longer pinned: nothing more happens to it, and
 * kept, it would hold its tasks' results (about 16 KB a ticket) among the last 10,000 for
 * minutes, until the old generation's collections free them (in TicketBench at 50 tickets/s the
 * live heap grew from 162 MB by 0.9 MB a second; with the drop it stays at 105 MB).
 * An evicted or dropped run is rebuilt from its events when something next happens to it.
 */
final class RunCache {
    private final Cache<String, RunState> runs;
    private final Predicate<RunState> pinned;

    RunCache(long parkedRuns, Predicate<RunState> pinned) {
        this.pinned = pinned;
        this.runs = Caffeine.newBuilder()
                .maximumWeight(parkedRuns)
                .weigher((String id, RunState run) -> pinned.test(run) ? 0 : 1)
                .executor(Runnable::run) // evict on the caller's (the context's) thread
                .build();
    }

    RunState get(String runId) {
        return runs.getIfPresent(runId);
    }

    void put(RunState run) {
        runs.put(run.id(), run);
    }

    /**
     * Puts the run again so that it is weighed anew (pinned or parked), if it is the one held; drops
     * it instead when it has finished and is no longer pinned.
     */
    void reweigh(RunState run) {
        if (runs.getIfPresent(run.id()) != run) return;
        if (run.status().finished() && !pinned.test(run)) runs.invalidate(run.id());
        else runs.put(run.id(), run);
    }

    void drop(String runId) {
        runs.invalidate(runId);
    }

    void clear() {
        runs.invalidateAll();
    }

    long size() {
        return runs.estimatedSize();
    }
}
