package dev.baton.runtime.journal;

import dev.baton.runtime.metrics.Histogram;

/**
 * What the journal has written since it opened.
 *
 * @param events       events written
 * @param batches      transactions committed
 * @param writeNanos   time spent writing and committing, in total
 * @param maxBatchSize the largest batch so far
 * @param writeSeconds how long each committed transaction took (empty for the memory journal)
 * @param batchSizes   events per committed transaction
 */
public record JournalStats(long events, long batches, long writeNanos, int maxBatchSize,
                           Histogram.Snapshot writeSeconds, Histogram.Snapshot batchSizes) {

    public JournalStats {
        if (writeSeconds == null) writeSeconds = Histogram.Snapshot.empty(Histogram.SECONDS);
        if (batchSizes == null) batchSizes = Histogram.Snapshot.empty(Histogram.SIZES);
    }

    /** Counters only, with empty histograms. */
    public JournalStats(long events, long batches, long writeNanos, int maxBatchSize) {
        this(events, batches, writeNanos, maxBatchSize, null, null);
    }

    public double meanBatchSize() {
        return batches == 0 ? 0 : (double) events / batches;
    }
}
