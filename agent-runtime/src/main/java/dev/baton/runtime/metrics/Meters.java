package dev.baton.runtime.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;

/**
 * Baton's timers and size histograms in Micrometer, with the fixed buckets Baton has always
 * exported (so that dashboards and {@code histogram_quantile} queries keep working), and the
 * quantiles the console's dashboard shows, read from those buckets.
 *
 * <p>The Prometheus registry exports a timer named {@code baton.task.duration} as
 * {@code baton_task_duration_seconds} (buckets, sum, count; and a {@code _max} gauge), and a
 * counter {@code baton.runs.started} as {@code baton_runs_started_total}.
 */
public final class Meters {
    /** Seconds, from 100 microseconds to a minute: tool calls, journal commits, model calls. */
    private static final double[] SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    private static final Duration[] SECONDS_SLO = new Duration[SECONDS.length];
    /** Counts, e.g. the events in one journal batch. */
    private static final double[] SIZES = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

    static {
        for (int i = 0; i < SECONDS.length; i++) SECONDS_SLO[i] = Duration.ofNanos(Math.round(SECONDS[i] * 1e9));
    }

    private Meters() {
    }

    /** What the runtime records into when given no registry: meters that count, kept in memory, exported nowhere. */
    public static MeterRegistry simple() {
        return new SimpleMeterRegistry();
    }

    /**
     * A registry whose meters record nothing: metrics off (what a benchmark compares against).
     * Counts read back from it are 0.
     */
    public static MeterRegistry off() {
        return new CompositeMeterRegistry();
    }

    /** A timer with Baton's second buckets; {@code tags} are key, value, key, value, ... */
    public static Timer timer(MeterRegistry registry, String name, String help, String... tags) {
        return Timer.builder(name).description(help).tags(tags).serviceLevelObjectives(SECONDS_SLO).register(registry);
    }

    /** A distribution of counts (e.g. events per batch) with Baton's size buckets. */
    public static DistributionSummary sizes(MeterRegistry registry, String name, String help, String... tags) {
        return DistributionSummary.builder(name).description(help).tags(tags).serviceLevelObjectives(SIZES).register(registry);
    }

    /** The q-quantile (0..1) of a timer, in seconds; see {@link #quantile(HistogramSnapshot, double, double)}. */
    public static double quantileSeconds(Timer timer, double q) {
        return quantile(timer.takeSnapshot(), q, 1e-9);
    }

    /**
     * The q-quantile by linear interpolation within its bucket, as Prometheus' {@code histogram_quantile}
     * does; the highest bound when it lies above all bounds; 0 when empty. {@code scale} turns the
     * snapshot's base unit (nanoseconds for timers) into the unit wanted.
     */
    public static double quantile(HistogramSnapshot h, double q, double scale) {
        CountAtBucket[] buckets = h.histogramCounts();
        long total = h.count();
        if (total == 0 || buckets.length == 0) return 0;
        double rank = q * total;
        double lower = 0;
        double below = 0;
        for (CountAtBucket b : buckets) {
            double bound = b.bucket() * scale;
            double cumulative = b.count();
            if (cumulative >= rank) {
                double inBucket = cumulative - below;
                if (inBucket == 0) return bound;
                return lower + (bound - lower) * (rank - below) / inBucket;
            }
            lower = bound;
            below = cumulative;
        }
        return lower;
    }
}
