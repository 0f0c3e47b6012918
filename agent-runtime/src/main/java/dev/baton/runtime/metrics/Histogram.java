package dev.baton.runtime.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus-style histogram with fixed upper bounds: safe to record from any thread, a
 * few nanoseconds per observation (a binary search and two atomic adds), no allocation.
 */
public final class Histogram {
    /** Seconds, from 100 microseconds to a minute: tool calls, journal commits, model calls. */
    public static final double[] SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** Counts, e.g. the events in one journal batch. */
    public static final double[] SIZES = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

    private final double[] bounds;
    /** Per bucket (not cumulative); the last slot is above the highest bound. */
    private final AtomicLongArray buckets;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    public Histogram(double[] bounds) {
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) throw new IllegalArgumentException("bounds must increase");
        }
        this.bounds = bounds.clone();
        this.buckets = new AtomicLongArray(bounds.length + 1);
    }

    public void observe(double value) {
        int i = Arrays.binarySearch(bounds, value);
        if (i < 0) i = -i - 1; // the first bound >= value
        buckets.incrementAndGet(i);
        sum.add(value);
        count.increment();
    }

    /** Observes a duration given in nanoseconds, as seconds. */
    public void observeNanos(long nanos) {
        observe(nanos / 1e9);
    }

    public Snapshot snapshot() {
        long[] cumulative = new long[bounds.length + 1];
        long running = 0;
        for (int i = 0; i < cumulative.length; i++) {
            running += buckets.get(i);
            cumulative[i] = running;
        }
        // count and sum are read apart from the buckets: under concurrent observations they may
        // differ by a few; the +Inf bucket is taken as the count so the exposition stays consistent.
        return new Snapshot(bounds.clone(), cumulative, sum.sum());
    }

    /**
     * A histogram's state at one moment.
     *
     * @param bounds     upper bounds, increasing
     * @param cumulative observations at or below each bound, then the total (the +Inf bucket)
     * @param sum        the sum of all observations
     */
    public record Snapshot(double[] bounds, long[] cumulative, double sum) {
        public static Snapshot empty(double[] bounds) {
            return new Snapshot(bounds.clone(), new long[bounds.length + 1], 0);
        }

        public long count() {
            return cumulative[cumulative.length - 1];
        }

        public double mean() {
            return count() == 0 ? 0 : sum / count();
        }

        /**
         * The q-quantile (0..1) by linear interpolation within its bucket, as Prometheus'
         * {@code histogram_quantile} does; the highest bound when it lies above all bounds; 0 when empty.
         */
        public double quantile(double q) {
            long total = count();
            if (total == 0) return 0;
            double rank = q * total;
            for (int i = 0; i < bounds.length; i++) {
                if (cumulative[i] >= rank) {
                    double lower = i == 0 ? 0 : bounds[i - 1];
                    long below = i == 0 ? 0 : cumulative[i - 1];
                    long inBucket = cumulative[i] - below;
                    if (inBucket == 0) return bounds[i];
                    return lower + (bounds[i] - lower) * (rank - below) / inBucket;
                }
            }
            return bounds[bounds.length - 1];
        }
    }
}
