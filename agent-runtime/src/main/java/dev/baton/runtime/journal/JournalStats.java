package dev.baton.runtime.journal;

/**
 * What the journal has written since it opened.
 *
 * @param events       events written
 * @param batches      transactions committed
 * @param writeNanos   time spent writing and committing, in total
 * @param maxBatchSize the largest batch so far
 */
public record JournalStats(long events, long batches, long writeNanos, int maxBatchSize) {
    public double meanBatchSize() {
        return batches == 0 ? 0 : (double) events / batches;
    }
}
