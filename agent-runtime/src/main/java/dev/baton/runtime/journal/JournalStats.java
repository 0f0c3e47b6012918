package dev.baton.runtime.journal;

/**
 * What the journal has written since it opened. The commit times and batch sizes are in the
 * registry the journal is bound to ({@code baton.journal.commit}, {@code baton.journal.batch.events}).
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
