package dev.baton.runtime.journal;

import dev.baton.runtime.event.RunEvent;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The run log: every run's {@link RunEvent}s, appended in order and read back or replayed.
 *
 * <p>Writes are group-committed: {@link #append} only queues, one writer thread writes whatever
 * has queued in one transaction, and the returned future completes once the events are durable.
 * Futures complete in append order. Reads block; call them off the event loop.
 */
public interface RunLog {

    /**
     * Queues events for writing; never blocks. Events of one run must arrive in seq order.
     *
     * @return completes when these events (and all appended before them) are durable, or
     * exceptionally if the write failed
     */
    CompletableFuture<Void> append(List<RunEvent> events);

    /** The run's events with {@code seq > afterSeq}, in order. */
    List<RunEvent> events(String runId, long afterSeq);

    /**
     * Streams every event of every run that has not finished (not SUCCEEDED, FAILED or
     * CANCELLED), grouped by run and in seq order within a run: what recovery replays.
     */
    void forEachEventOfUnfinishedRuns(Consumer<RunEvent> sink);

    /**
     * Checks that the log's database answers now (blocking, briefly): for readiness probes. A log
     * with no database to lose (in memory) always answers, which is what this default says.
     *
     * @throws JournalException if it does not, with {@link JournalException#unavailable()} set
     */
    default void ping() {
    }

    /** What has been written since the log opened: counters for metrics and benchmarks. */
    JournalStats stats();

    /**
     * Puts this journal's meters ({@code baton.journal.*}: its totals, commit times and batch sizes) in
     * {@code registry}; the orchestrator does it with its own when it starts.
     */
    void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry);
}
