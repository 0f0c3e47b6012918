package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.server.Telemetry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Part "telemetry": what metrics and tracing cost the core benchmark's figures (part 1: 10,000 tasks a run,
 * on the durable H2 journal and in memory): everything off ({@link Meters#off()}, {@code OpenTelemetry.noop()}),
 * metrics on (a Prometheus registry, as the server has), and metrics with tracing on, exporting
 * over OTLP/HTTP to a collector stub on this machine: a tiny HTTP server that answers 200 to
 * {@code /v1/traces} and counts the spans it is sent. The SDK is set up as the server sets it up
 * ({@link Telemetry#open}, the autoconfigure module) with {@code OTEL_EXPORTER_OTLP_ENDPOINT} pointing at the
 * stub, and a span queue large enough that no span is dropped ({@code OTEL_BSP_MAX_QUEUE_SIZE}), so that
 * every span is paid for. The three alternate, {@code bench.telemetryRounds} times each on a fresh
 * orchestrator; a figure is the median of the rounds' medians ({@code bench.telemetryRounds=0}: only the
 * tracing of one tool task timed alone, which a busy machine disturbs far less than whole runs).
 *
 * <p>Zero-length waits (the core benchmark's plan) make one span a run: the run's. Echo tool tasks
 * make two per task (the attempt's and the tool call's), which is what tracing costs where it has work.
 */
final class TelemetryBench {
    private static final double GOAL_PERCENT = 5;

    /** What a round measures: nothing recorded, the server's metrics, or those and traces exported. */
    private enum Setup {
        OFF("metrics off (Meters.off()), tracing off"),
        METRICS("metrics on (a Prometheus registry, as the server has), tracing off"),
        METRICS_AND_TRACES("metrics on, tracing ON (exporting)");

        final String label;

        Setup(String label) {
            this.label = label;
        }
    }

    private final ThroughputBench throughput;
    private final Report report;
    private final int tasks = Options.integer("bench.tasks", 10_000);
    private final int rounds = Math.max(0, Options.integer("bench.telemetryRounds", 3));

    TelemetryBench(Vertx vertx, Report report) {
        this.throughput = new ThroughputBench(vertx, report);
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("Metrics and tracing overhead: %,d tasks, off vs metrics vs metrics + tracing (OTLP/HTTP to a local collector stub), %d alternating rounds",
                tasks, rounds));
        record Case(String name, String journal, JsonNode plan, int spansPerTask) {
        }
        List<Case> cases = List.of(
                new Case("in-memory journal, zero-length waits", "memory", Plans.independentWaits(tasks), 0),
                new Case("durable H2 journal, zero-length waits", "", Plans.independentWaits(tasks), 0),
                new Case("in-memory journal, echo tool tasks", "memory", Plans.independentEchoes(tasks), 2),
                new Case("durable H2 journal, echo tool tasks", "", Plans.independentEchoes(tasks), 2));
        Path dir = Files.createTempDirectory("baton-bench-telemetry-");
        try (Collector collector = Collector.start()) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.port());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            env.put("OTEL_BSP_MAX_QUEUE_SIZE", "200000");
            report.say("collector stub on http://127.0.0.1:%d/v1/traces; SDK through autoconfigure: %s", collector.port(), env);
            hooksAlone(env, collector);
            int caseNo = 0;
            // bench.telemetryCases: only the cases whose name contains one of these, separated by ";" (e.g. "in-memory journal, echo").
            List<String> only = List.of(Options.text("bench.telemetryCases", "").split(";"));
            for (Case c : rounds == 0 ? List.<Case>of() : cases) {
                if (!only.equals(List.of("")) && only.stream().noneMatch(c.name()::contains)) continue;
                caseNo++;
                Map<Setup, List<Double>> figures = new java.util.EnumMap<>(Setup.class);
                long spans = 0;
                int runsTraced = 0;
                for (int round = 1; round <= rounds; round++) {
                    for (Setup setup : Setup.values()) {
                        report.say("-- %s, round %d, %s", c.name(), round, setup.label);
                        Journal journal = c.journal().equals("memory") ? Journals.open("memory", null)
                                : Journals.open("", dir.resolve("case" + caseNo + "-r" + round + "-" + setup.name()));
                        long before = collector.spans();
                        try (Telemetry telemetry = Telemetry.open(setup == Setup.METRICS_AND_TRACES ? env : Map.of())) {
                            OrchestratorOptions.Builder options = OrchestratorOptions.builder().openTelemetry(telemetry.openTelemetry())
                                    .meterRegistry(setup == Setup.OFF ? Meters.off() : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
                            figures.computeIfAbsent(setup, k -> new ArrayList<>()).add(throughput.measureInterleaved(journal, List.of(c.plan()),
                                    ThroughputBench.tools(), options.build()).get(0).microsPerTask());
                        } // closing exports what is queued
                        if (setup == Setup.METRICS_AND_TRACES) {
                            spans += collector.spans() - before;
                            runsTraced += Options.integer("bench.warmups", 3) + Math.max(1, Options.integer("bench.reps", 7));
                        }
                    }
                }
                double offMedian = Stats.of(figures.get(Setup.OFF)).median();
                double metricsMedian = Stats.of(figures.get(Setup.METRICS)).median();
                double bothMedian = Stats.of(figures.get(Setup.METRICS_AND_TRACES)).median();
                double metricsOverhead = (metricsMedian - offMedian) / offMedian * 100;
                double overhead = (bothMedian - offMedian) / offMedian * 100;
                long expected = (long) runsTraced * (1 + (long) c.spansPerTask() * tasks);
                report.say("%s: off %s us/task, metrics %s us/task (%+.1f %%), metrics + traces %s us/task (%+.1f %%); per-round medians"
                                + " %s; the collector got %,d spans of the %,d made", c.name(), Report.fmt(offMedian), Report.fmt(metricsMedian),
                        metricsOverhead, Report.fmt(bothMedian), overhead, figures, spans, expected);
                report.goal("metrics + tracing overhead, " + c.name(), overhead, "%", GOAL_PERCENT, true,
                        String.format("%+.1f %% (%s -> %s us/task; metrics alone %+.1f %%; %,d spans exported)", overhead, Report.fmt(offMedian),
                                Report.fmt(bothMedian), metricsOverhead, spans));
            }
            report.say("collector stub: %,d export requests, %,d spans in all", collector.requests(), collector.spans());
        } finally {
            Async.deleteTree(dir);
        }
    }

    /**
     * What one tool task's tracing costs, timed alone (firmer than whole runs on a busy machine): the
     * attempt's span and the tool call's, made current, the {@code traceparent} for the tool, both ended,
     * as the orchestrator does it, with the SDK exporting to the stub. CPU time of the calling thread
     * (what a task thread pays), and of the whole process (with the exporter's thread serialising and
     * sending, and the stub reading), per task, against the same work on {@code OpenTelemetry.noop()}.
     */
    private void hooksAlone(Map<String, String> env, Collector collector) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        String traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        for (boolean traced : new boolean[]{false, true}) {
            try (Telemetry telemetry = traced ? Telemetry.open(env) : Telemetry.open(Map.of())) {
                dev.baton.runtime.telemetry.Tracing tracing = dev.baton.runtime.telemetry.Tracing.of(telemetry.openTelemetry());
                List<Double> threadNanos = new ArrayList<>();
                List<Double> processNanos = new ArrayList<>();
                long sink = 0;
                long spansBefore = collector.spans();
                int n = 20_000;
                for (int rep = 0; rep < 9; rep++) {
                    CpuMeter.Snapshot p0 = CpuMeter.now();
                    long t0 = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < n; i++) {
                        io.opentelemetry.api.trace.Span task = tracing.taskStarted(traceParent, "r_bench", "t" + (i & 1023), 1, "task", "tool", "echo");
                        try (var ignored = task.makeCurrent()) {
                            io.opentelemetry.api.trace.Span tool = tracing.toolCallStarted("echo", null);
                            try (var inner = tool.makeCurrent()) {
                                sink += dev.baton.runtime.telemetry.Tracing.headers(io.opentelemetry.context.Context.current()).size();
                            }
                            dev.baton.runtime.telemetry.Tracing.end(tool, null, null);
                        }
                        dev.baton.runtime.telemetry.Tracing.end(task, null, null);
                    }
                    long thread = threads.getCurrentThreadCpuTime() - t0;
                    if (telemetry.openTelemetry() instanceof io.opentelemetry.sdk.OpenTelemetrySdk sdk) {
                        sdk.getSdkTracerProvider().forceFlush().join(30, TimeUnit.SECONDS); // the export is part of the cost
                    }
                    long process = CpuMeter.now().process() - p0.process();
                    if (rep >= 2) {
                        threadNanos.add((double) thread / n);
                        processNanos.add((double) process / n);
                    }
                }
                report.say("one tool task's tracing alone, %s: %.0f ns CPU on the task's thread, %.0f ns CPU in the whole process per task"
                                + " (median of 7 x %,d; %d headers%s)", traced ? "ON, exporting" : "off (noop)",
                        Stats.of(threadNanos).median(), Stats.of(processNanos).median(), n, sink / 9 / n,
                        traced ? String.format("; %,d spans reached the stub", collector.spans() - spansBefore) : "");
                report.info("tracing of one tool task alone, " + (traced ? "on" : "off"),
                        String.format("%.0f ns CPU (task thread), %.0f ns (process)", Stats.of(threadNanos).median(), Stats.of(processNanos).median()));
            }
        }
    }

    /**
     * An OTLP/HTTP trace receiver that only counts: it answers 200 to every {@code POST /v1/traces} and
     * counts the spans of its protobuf body ({@code ExportTraceServiceRequest}: resource_spans = 1 →
     * scope_spans = 2 → spans = 2), walking the wire format by hand so that no protobuf library is needed.
     */
    static final class Collector implements AutoCloseable {
        private final HttpServer server;
        private final AtomicLong spans = new AtomicLong();
        private final AtomicLong requests = new AtomicLong();

        private Collector(HttpServer server) {
            this.server = server;
        }

        static Collector start() throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            Collector collector = new Collector(server);
            server.createContext("/v1/traces", exchange -> {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                collector.requests.incrementAndGet();
                collector.spans.addAndGet(count(body, 0, body.length, 0));
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().close();
            });
            server.setExecutor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "otlp-collector-stub");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return collector;
        }

        int port() {
            return server.getAddress().getPort();
        }

        long spans() {
            return spans.get();
        }

        long requests() {
            return requests.get();
        }

        /** Spans in {@code buf[from, to)} at {@code depth} 0 (the request), 1 (a ResourceSpans) or 2 (a ScopeSpans). */
        private static long count(byte[] buf, int from, int to, int depth) {
            long found = 0;
            int[] pos = {from};
            while (pos[0] < to) {
                long tag = varint(buf, pos);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (wire) {
                    case 0 -> varint(buf, pos);
                    case 1 -> pos[0] += 8;
                    case 5 -> pos[0] += 4;
                    case 2 -> {
                        int length = (int) varint(buf, pos);
                        int start = pos[0];
                        pos[0] += length;
                        if (depth == 0 && field == 1) found += count(buf, start, start + length, 1);
                        else if (depth == 1 && field == 2) found += count(buf, start, start + length, 2);
                        else if (depth == 2 && field == 2) found++;
                    }
                    default -> throw new IllegalArgumentException("not an OTLP protobuf body (wire type " + wire + ")");
                }
            }
            return found;
        }

        private static long varint(byte[] buf, int[] pos) {
            long value = 0;
            for (int shift = 0; ; shift += 7) {
                byte b = buf[pos[0]++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) return value;
            }
        }

        @Override
        public void close() {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }
}
