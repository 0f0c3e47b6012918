package dev.baton.server.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One server's metrics: a Prometheus registry of its own (not Micrometer's global one: tests run
 * several servers in one JVM), with the JVM's meters bound, and the Vert.x instance that reports
 * its HTTP server and client, pools and event bus into it through {@code vertx-micrometer-metrics}.
 * Close it after that Vert.x instance.
 */
public final class ServerMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Listens to the JVM's GC notifications: unregistered on close, or each server would leave one behind. */
    private final JvmGcMetrics gc = new JvmGcMetrics();
    /** vertx-micrometer-metrics keeps registries in a static map by this name: one per server. */
    private final String name = "baton-" + UUID.randomUUID();

    public ServerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Vert.x options that report into this registry; metrics options must be given when a Vert.x instance is made. */
    public VertxOptions vertxOptions(VertxOptions options) {
        // The JVM's meters are bound above (so that they can be unbound); Vert.x would bind another set.
        return options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(false).setRegistryName(name));
    }

    /** Metrics options for the cluster bus's own Vert.x instance (with {@link #clusterFactory()}). */
    public MicrometerMetricsOptions clusterMetricsOptions() {
        return new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(false).setRegistryName(name + "-cluster");
    }

    /**
     * What makes the cluster bus's Vert.x instance report into this registry, its meters renamed {@code vertx.cluster.*}
     * (exported as e.g. {@code vertx_cluster_eventbus_processed_total}) so that they stand apart from the server's
     * Vert.x: a composite registry whose filter renames, in front of this one.
     */
    public VertxMetricsFactory clusterFactory() {
        CompositeMeterRegistry cluster = new CompositeMeterRegistry();
        cluster.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().startsWith("vertx.") ? id.withName("vertx.cluster." + id.getName().substring(6)) : id;
            }
        });
        cluster.add(registry);
        return new MicrometerMetricsFactory(cluster);
    }

    /** A Vert.x instance reporting into this registry, its event loops watched ({@code baton_event_loop_delay_seconds}). */
    public Vertx vertx() {
        VertxOptions options = vertxOptions(new VertxOptions());
        Vertx vertx = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build();
        for (int loop = 0; loop < options.getEventLoopPoolSize(); loop++) watch(vertx, vertx.getOrCreateContext(), loop);
        return vertx;
    }

    private static final long WATCH_PERIOD_MS = 1_000;

    /**
     * Times how late a 1 s timer fires on one event loop: how long something held that loop (blocking code,
     * a long handler). Each new context outside Vert.x takes the next event loop, so one per loop covers them all.
     */
    private void watch(Vertx vertx, Context context, int loop) {
        AtomicLong lateNanos = new AtomicLong();
        Gauge.builder("baton.event.loop.delay.seconds", lateNanos, late -> late.get() / 1e9)
                .description("How late a 1 s timer fired last on this event loop: the time something held the loop.")
                .tag("loop", String.valueOf(loop)).register(registry);
        context.runOnContext(v -> arm(vertx, lateNanos));
    }

    private static void arm(Vertx vertx, AtomicLong lateNanos) {
        long armedAt = System.nanoTime();
        vertx.setTimer(WATCH_PERIOD_MS, id -> {
            lateNanos.set(Math.max(0, System.nanoTime() - armedAt - WATCH_PERIOD_MS * 1_000_000));
            arm(vertx, lateNanos);
        });
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
