package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.http.HttpRequestTool;
import io.vertx.core.Vertx;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Part 2: does the orchestrator add to a plan's critical path? A plan of {@code depth} layers of
 * {@code width} http.request calls to an upstream that answers after 50 ms; each layer waits
 * for all of the one before. Ideal makespan = depth x 50 ms.
 */
final class MakespanBench {

    private static final double GOAL_RATIO = 1.05;
    private static final int LAYERS = 15;
    private static final String RUN_CREATED = "(RunCreated)";
    private static final String SUBMIT_ANSWERED = "(answered)";

    private final Vertx vertx;
    private final Report report;
    private final int width = Options.integer("bench.makespan.width", 32);
    private final int depth = Options.integer("bench.makespan.depth", 4);
    private final int delayMs = Options.integer("bench.makespan.delay", 50);
    private final int warmups = Options.integer("bench.makespan.warmups", 10);
    private final int reps = Math.max(1, Options.integer("bench.makespan.reps", 7));

    MakespanBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("2. Makespan vs critical path: %d layers x %d http.request calls, upstream delay %d ms, H2 journal",
                depth, width, delayMs));
        WireMockServer upstream = new WireMockServer(options()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .containerThreads(Math.max(64, 4 * width))
                // Its cheapest setup (measured): delays on a timer, not a sleeping thread; no request journal,
                // no per-request logging, no gzip. WireMock shares the machine's cores with the orchestrator.
                .asynchronousResponseEnabled(true)
                .asynchronousResponseThreads(Math.max(8, width / 2))
                .disableRequestJournal()
                .stubRequestLoggingDisabled(true)
                .gzipDisabled(true)
                .notifier(new ConsoleNotifier(false)));
        upstream.start();
        Path dir = Files.createTempDirectory("baton-bench-makespan-");
        try {
            upstream.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody("{\"ok\":true}").withFixedDelay(delayMs)));
            String url = "http://127.0.0.1:" + upstream.port() + "/slow";
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            ExecutorService callers = Executors.newFixedThreadPool(width);
            Stats direct = directLatency(client, url);
            report.say("WireMock, direct calls (JDK HttpClient, HTTP/1.1, blocking send as http.request does): one call at a time"
                    + " median %.1f ms (min %.1f, max %.1f, n=%d)", direct.median(), direct.min(), direct.max(), direct.count());
            directLayerLine("cold", client, callers, url);

            // The built-in http.request, timed: when each call really entered and left the tool.
            ToolRegistry tools = new ToolRegistry();
            TimedTool http = new TimedTool(new HttpRequestTool(ToolSettings.allowingHosts("127.0.0.1")));
            tools.register(http);
            OrchestratorOptions options = OrchestratorOptions.builder().maxConcurrentCalls(Math.max(64, 2 * width)).build();
            Journal journal = Journals.open("", dir);
            Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, tools, options), 60);
            JsonNode plan = Plans.httpLayers(width, depth, url);
            List<Double> measured = new ArrayList<>();
            List<String> timelines = new ArrayList<>();
            try (EventWatch watch = EventWatch.on(vertx)) {
                Map<String, Long> started = new ConcurrentHashMap<>();
                Map<String, Long> succeeded = new ConcurrentHashMap<>();
                watch.tap(event -> {
                    if (event.data() instanceof EventData.TaskStarted s) started.putIfAbsent(s.taskId(), System.nanoTime());
                    if (event.data() instanceof EventData.RunCreated) started.putIfAbsent(RUN_CREATED, System.nanoTime());
                    if (event.data() instanceof EventData.TaskSucceeded s) succeeded.putIfAbsent(s.taskId(), System.nanoTime());
                });
                report.say("orchestrator: virtual threads %s, maxConcurrentCalls %d, allowed hosts 127.0.0.1",
                        orchestrator.usesVirtualThreads() ? "yes" : "no", options.maxConcurrentCalls());
                for (int i = 0; i < warmups + reps; i++) {
                    boolean warm = i < warmups;
                    JournalStats before = journal.stats();
                    CpuMeter.Snapshot cpuBefore = CpuMeter.now();
                    started.clear();
                    succeeded.clear();
                    http.calls().clear();
                    long t0 = System.nanoTime();
                    Submitted submitted = Async.await(orchestrator.submit(new RunRequest("makespan", null, plan, null, null, null))
                            .onComplete(ar -> started.put(SUBMIT_ANSWERED, System.nanoTime())), 60);
                    EventWatch.Finish finish = watch.finish(submitted.runId()).get(120, TimeUnit.SECONDS);
                    watch.forget(submitted.runId());
                    if (!finish.succeeded()) throw new IllegalStateException("the makespan run failed: " + finish.event().data());
                    JournalStats after = journal.stats();
                    CpuMeter.Snapshot cpuAfter = CpuMeter.now();
                    double ms = (finish.nanos() - t0) / 1e6;
                    if (!warm) {
                        measured.add(ms);
                        timelines.add(timeline(t0, started, succeeded, http.calls()));
                    }
                    report.say("%s %d: makespan %6.1f ms, ratio %.3f | journal %d commits, %.1f ms writing | %s",
                            warm ? "warm-up" : "run    ", warm ? i + 1 : i - warmups + 1, ms, ms / (depth * delayMs),
                            after.batches() - before.batches(), (after.writeNanos() - before.writeNanos()) / 1e6,
                            CpuMeter.describe(cpuBefore, cpuAfter, 0));
                }
            } finally {
                orchestrator.close();
            }
            Stats layer = directLayerLine("warm, after the runs", client, callers, url);
            callers.shutdownNow();
            Stats makespan = Stats.of(measured);
            int medianRun = closestTo(measured, makespan.median());
            report.say("timeline of the median run (run %d), ms after submit (the calls as the tool saw them; events as heard on the bus, i.e. once durable):",
                    medianRun + 1);
            for (String line : timelines.get(medianRun).split("\n")) report.say("  %s", line);
            double ideal = depth * delayMs;
            double ratio = makespan.median() / ideal;
            report.say("median of %d: makespan %.1f ms (min %.1f, max %.1f); ratio to %d x %d ms = %.3f (min %.3f, max %.3f)",
                    makespan.count(), makespan.median(), makespan.min(), makespan.max(), depth, delayMs, ratio,
                    makespan.min() / ideal, makespan.max() / ideal);
            double floor = depth * layer.median();
            report.say("against WireMock's own time: %d x %.1f ms (a warm direct layer) = %.1f ms, so the orchestrator's share is %.1f ms"
                    + " (%.1f ms per layer), ratio to that floor %.3f",
                    depth, layer.median(), floor, makespan.median() - floor, (makespan.median() - floor) / depth, makespan.median() / floor);
            report.goal("2 makespan / critical path", ratio, "", GOAL_RATIO, true,
                    String.format("%.3f (%.1f ms)", ratio, makespan.median()));
            report.info("2 direct layer of calls, warm (WireMock floor)", String.format("%.1f ms per layer", layer.median()));
        } finally {
            upstream.stop();
            Async.deleteTree(dir);
        }
        inProcess();
    }

    /**
     * The same layers with an in-process tool that sleeps {@code delayMs}: no WireMock and no HTTP,
     * so that what is left beside the sleeps is the orchestrator's own share.
     */
    private void inProcess() throws Exception {
        ToolRegistry tools = new ToolRegistry();
        tools.register(new dev.baton.tools.BatonTool() {
            private final dev.baton.tools.ToolDescriptor descriptor = dev.baton.tools.ToolDescriptor.builder("sleep")
                    .description("sleeps").parameters(dev.baton.tools.ToolDescriptor.emptyObjectSchema()).build();

            @Override
            public dev.baton.tools.ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, dev.baton.tools.ToolContext context) throws Exception {
                Thread.sleep(delayMs);
                return dev.baton.json.Json.object();
            }
        });
        Path dir = Files.createTempDirectory("baton-bench-makespan-sleep-");
        OrchestratorOptions options = OrchestratorOptions.builder().maxConcurrentCalls(Math.max(64, 2 * width)).build();
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, Journals.open("", dir), tools, options), 60);
        try {
            JsonNode plan = Plans.layers(width, depth, "sleep");
            List<Double> measured = new ArrayList<>();
            for (int i = 0; i < warmups + reps; i++) {
                long t0 = System.nanoTime();
                String runId = Async.await(orchestrator.submit(new RunRequest("makespan", null, plan, null, null, null)), 60).runId();
                JsonNode run = Async.await(orchestrator.whenFinished(runId), 120);
                if (!"SUCCEEDED".equals(run.path("status").asText())) throw new IllegalStateException("the makespan run failed: " + run.path("error"));
                if (i >= warmups) measured.add((System.nanoTime() - t0) / 1e6);
            }
            Stats makespan = Stats.of(measured);
            double ideal = depth * delayMs;
            report.goal("2 makespan / critical path, in-process tool sleeping " + delayMs + " ms", makespan.median() / ideal, "", GOAL_RATIO, true,
                    String.format("%.3f (%.1f ms; min %.1f, max %.1f)", makespan.median() / ideal, makespan.median(), makespan.min(), makespan.max()));
        } finally {
            orchestrator.close();
            Async.deleteTree(dir);
        }
    }

    /**
     * Per layer: when its calls really entered and left the tool, and when their TaskStarted and
     * TaskSucceeded were heard on the bus (i.e. were durable); ms after submit.
     */
    private String timeline(long t0, Map<String, Long> started, Map<String, Long> succeeded, Map<String, TimedTool.Call> calls) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "RunCreated heard %.1f, submit answered %.1f%n",
                ms(t0, started.get(RUN_CREATED)), ms(t0, started.get(SUBMIT_ANSWERED))));
        double previousDurable = 0;
        for (int layer = 0; layer < depth; layer++) {
            Span entered = new Span(), left = new Span(), startHeard = new Span(), successHeard = new Span();
            for (int j = 0; j < width; j++) {
                String id = "l" + layer + "_" + j;
                TimedTool.Call call = calls.get(id);
                if (call != null) {
                    entered.add(ms(t0, call.entered()));
                    left.add(ms(t0, call.left()));
                }
                startHeard.add(ms(t0, started.get(id)));
                successHeard.add(ms(t0, succeeded.get(id)));
            }
            text.append(String.format(Locale.ROOT, "layer %d: calls entered %s, returned %s, TaskStarted heard %s, TaskSucceeded heard %s"
                            + " | %s -> first call %4.1f, calls %4.1f..%4.1f long, last return -> last success durable %4.1f%n",
                    layer, entered, left, startHeard, successHeard, layer == 0 ? "submit" : "previous layer durable",
                    entered.min - previousDurable, left.min - entered.max, left.max - entered.min, successHeard.max - left.max));
            previousDurable = successHeard.max;
        }
        return text.toString().strip();
    }

    private static double ms(long t0, Long nanos) {
        return nanos == null ? Double.NaN : (nanos - t0) / 1e6;
    }

    /** The earliest and latest of some moments. */
    private static final class Span {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;

        void add(double value) {
            if (Double.isNaN(value)) return;
            min = Math.min(min, value);
            max = Math.max(max, value);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%5.1f..%5.1f", min, max);
        }
    }

    private static int closestTo(List<Double> values, double target) {
        int best = 0;
        for (int i = 1; i < values.size(); i++) {
            if (Math.abs(values.get(i) - target) < Math.abs(values.get(best) - target)) best = i;
        }
        return best;
    }

    /** One GET at a time, as the tool sends it (HTTP/1.1, JDK client, blocking), after a few to warm up. */
    private Stats directLatency(HttpClient client, String url) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long t0 = System.nanoTime();
            call(client, url);
            if (i >= 10) ms.add((System.nanoTime() - t0) / 1e6);
        }
        return Stats.of(ms);
    }

    /** Measures {@value #LAYERS} direct layers (after 10 to warm up) and prints them with their CPU cost. */
    private Stats directLayerLine(String when, HttpClient client, ExecutorService callers, String url) throws Exception {
        CpuMeter.Snapshot[] cpuBefore = new CpuMeter.Snapshot[1];
        Stats layer = directLayer(client, callers, url, cpuBefore);
        CpuMeter.Snapshot cpuAfter = CpuMeter.now();
        report.say("WireMock, %d direct calls at once from %d threads (one layer without the orchestrator), %s: median %.1f ms"
                        + " (min %.1f, max %.1f, n=%d); %s", width, width, when, layer.median(), layer.min(), layer.max(), layer.count(),
                CpuMeter.describe(cpuBefore[0], cpuAfter, LAYERS, "us/layer"));
        return layer;
    }

    /** {@code width} blocking GETs at once from {@code width} threads, as one layer of the plan sends them. */
    private Stats directLayer(HttpClient client, ExecutorService callers, String url, CpuMeter.Snapshot[] cpuBefore) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 10 + LAYERS; i++) {
            if (i == 10) cpuBefore[0] = CpuMeter.now();
            long t0 = System.nanoTime();
            List<Future<?>> calls = new ArrayList<>();
            for (int j = 0; j < width; j++) calls.add(callers.submit(() -> call(client, url)));
            for (Future<?> call : calls) call.get(30, TimeUnit.SECONDS);
            if (i >= 10) ms.add((System.nanoTime() - t0) / 1e6);
        }
        return Stats.of(ms);
    }

    private static Void call(HttpClient client, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new IllegalStateException("WireMock answered " + response.statusCode());
        return null;
    }
}
