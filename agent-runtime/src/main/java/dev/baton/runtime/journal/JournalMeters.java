package dev.baton.runtime.journal;

import dev.baton.runtime.metrics.Meters;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A journal's meters: its totals ({@link JournalStats}) read when scraped, and the commit time and
 * size of every transaction recorded by the writer. Until {@link #bind} (the orchestrator binds its
 * journal to its registry when it starts) the timer and the size distribution record nothing.
 */
final class JournalMeters {
    private volatile Supplier<JournalStats> stats = () -> new JournalStats(0, 0, 0, 0);
    private volatile Timer commits;
    private volatile DistributionSummary batchSizes;

    /** Registers the journal's meters in {@code registry}; the last binding wins. */
    void bind(MeterRegistry registry, Supplier<JournalStats> stats) {
        this.stats = stats;
        // Micrometer holds a function meter's object weakly: this object, which the journal holds, not a lambda.
        FunctionCounter.builder("baton.journal.events", this, m -> m.stats.get().events())
                .description("Events written to the journal.").register(registry);
        FunctionCounter.builder("baton.journal.batches", this, m -> m.stats.get().batches())
                .description("Journal transactions committed.").register(registry);
        FunctionCounter.builder("baton.journal.write.seconds", this, m -> m.stats.get().writeNanos() / 1e9)
                .description("Time spent writing to the journal.").register(registry);
        Gauge.builder("baton.journal.max.batch.size", this, m -> m.stats.get().maxBatchSize())
                .description("The largest journal batch so far.").register(registry);
        commits = Meters.timer(registry, "baton.journal.commit", "Time to write and commit one journal transaction.");
        batchSizes = Meters.sizes(registry, "baton.journal.batch.events", "Events per journal transaction (group commit).");
    }

    /** One transaction of {@code events} events committed in {@code nanos}. */
    void committed(int events, long nanos) {
        Timer t = commits;
        DistributionSummary s = batchSizes;
        if (t != null) t.record(nanos, TimeUnit.NANOSECONDS);
        if (s != null) s.record(events);
    }
}
