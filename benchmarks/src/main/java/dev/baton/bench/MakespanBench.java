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
import dev.baton.tools.builtin.BuiltinTools;
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
import java.util.concurrent.CompletableFuture;
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
            Stats direct = directLatency(url);
            CpuMeter.Snapshot[] layerCpu0 = new CpuMeter.Snapshot[1];
            Stats layer = directLayer(url, layerCpu0);
            CpuMeter.Snapshot layerCpu1 = CpuMeter.now();
            report.say("WireMock, direct JDK HttpClient calls: one call median %.1f ms (min %.1f, max %.1f, n=%d);"
                    + " %d concurrent calls (one layer) median %.1f ms (min %.1f, max %.1f, n=%d)",
                    direct.median(), direct.min(), direct.max(), direct.count(), width, layer.median(), layer.min(), layer.max(), layer.count());
            report.say("  CPU per direct layer of %d calls (client + WireMock, %d layers measured): %s", width, LAYERS,
                    CpuMeter.describe(layerCpu0[0], layerCpu1, LAYERS, "us/layer"));

            ToolRegistry tools = new ToolRegistry();
            BuiltinTools.register(tools, ToolSettings.allowingHosts("127.0.0.1"));
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
                        timelines.add(timeline(t0, started, succeeded));
                    }
                    report.say("%s %d: makespan %6.1f ms, ratio %.3f | journal %d commits, %.1f ms writing | %s",
                            warm ? "warm-up" : "run    ", warm ? i + 1 : i - warmups + 1, ms, ms / (depth * delayMs),
                            after.batches() - before.batches(), (after.writeNanos() - before.writeNanos()) / 1e6,
                            CpuMeter.describe(cpuBefore, cpuAfter, 0));
                }
            } finally {
                orchestrator.close();
            }
            Stats makespan = Stats.of(measured);
            int medianRun = closestTo(measured, makespan.median());
            report.say("timeline of the median run (run %d), as heard on the event bus, i.e. once durable; ms after submit:", medianRun + 1);
            for (String line : timelines.get(medianRun).split("\n")) report.say("  %s", line);
            double ideal = depth * delayMs;
            double ratio = makespan.median() / ideal;
            report.say("median of %d: makespan %.1f ms (min %.1f, max %.1f); ratio to %d x %d ms = %.3f (min %.3f, max %.3f)",
                    makespan.count(), makespan.median(), makespan.min(), makespan.max(), depth, delayMs, ratio,
                    makespan.min() / ideal, makespan.max() / ideal);
            double floor = depth * layer.median();
            report.say("with WireMock's own time: %d x %.1f ms (a direct layer) = %.1f ms, so the orchestrator's share is %.1f ms"
                    + " (%.1f ms per layer), ratio to that floor %.3f",
                    depth, layer.median(), floor, makespan.median() - floor, (makespan.median() - floor) / depth, makespan.median() / floor);
            report.goal("2 makespan / critical path", ratio, "", GOAL_RATIO, true,
                    String.format("%.3f (%.1f ms)", ratio, makespan.median()));
            report.info("2 direct layer of calls (WireMock floor)", String.format("%.1f ms per layer", layer.median()));
        } finally {
            upstream.stop();
            Async.deleteTree(dir);
        }
    }

    /** Per layer: when its tasks' TaskStarted and TaskSucceeded were heard, and the gap since the layer before finished. */
    private String timeline(long t0, Map<String, Long> started, Map<String, Long> succeeded) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "RunCreated heard %.1f, submit answered %.1f%n",
                (started.getOrDefault(RUN_CREATED, t0) - t0) / 1e6, (started.getOrDefault(SUBMIT_ANSWERED, t0) - t0) / 1e6));
        double previousDone = 0;
        for (int layer = 0; layer < depth; layer++) {
            double firstStart = Double.MAX_VALUE, lastStart = 0, firstDone = Double.MAX_VALUE, lastDone = 0;
            for (int j = 0; j < width; j++) {
                String id = "l" + layer + "_" + j;
                double s = (started.getOrDefault(id, t0) - t0) / 1e6;
                double d = (succeeded.getOrDefault(id, t0) - t0) / 1e6;
                firstStart = Math.min(firstStart, s);
                lastStart = Math.max(lastStart, s);
                firstDone = Math.min(firstDone, d);
                lastDone = Math.max(lastDone, d);
            }
            text.append(String.format(Locale.ROOT, "layer %d: TaskStarted %6.1f..%6.1f, TaskSucceeded %6.1f..%6.1f"
                            + " (last start -> last success %5.1f; %s %5.1f)%n", layer, firstStart, lastStart, firstDone, lastDone,
                    lastDone - lastStart, layer == 0 ? "submit -> first start" : "previous layer's last success -> first start",
                    firstStart - previousDone));
            previousDone = lastDone;
        }
        return text.toString().strip();
    }

    private static int closestTo(List<Double> values, double target) {
        int best = 0;
        for (int i = 1; i < values.size(); i++) {
            if (Math.abs(values.get(i) - target) < Math.abs(values.get(best) - target)) best = i;
        }
        return best;
    }

    /** One GET at a time, as the tool sends it (HTTP/1.1, JDK client), after a few to warm up. */
    private Stats directLatency(String url) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) throw new IllegalStateException("WireMock answered " + response.statusCode());
            if (i >= 10) ms.add((System.nanoTime() - t0) / 1e6);
        }
        return Stats.of(ms);
    }

    /** {@code width} GETs at once, as one layer of the plan sends them; 10 layers to warm up, then {@value #LAYERS} measured. */
    private Stats directLayer(String url, CpuMeter.Snapshot[] cpuBefore) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 10 + LAYERS; i++) {
            long t0 = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int j = 0; j < width; j++) calls.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            if (i == 10) cpuBefore[0] = CpuMeter.now();
            if (i >= 10) ms.add((System.nanoTime() - t0) / 1e6);
        }
        return Stats.of(ms);
    }
}
