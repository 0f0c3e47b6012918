package dev.baton.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.BatonServer;
import dev.baton.server.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Part "load": runs of a 13-task plan (a root, then 12 {@code echo} tasks that depend on it)
 * posted to {@code POST /api/runs} at fixed rates (open loop) for {@code bench.load.seconds}
 * each, on the server's own defaults (H2 file journal). Each run is timed from its POST to
 * finished and durable. Prints p50, p99 and what was done per rate: the rate at which the p99
 * leaves the tens of milliseconds is where the node saturates. Run it under {@code taskset -c 0}
 * and {@code taskset -c 0,1} to see how the node scales with its cores.
 */
final class LoadBench {
    private final Vertx vertx;
    private final Report report;
    private final List<Integer> rates = Options.text("bench.load.rates", "200,400,600").lines()
            .flatMap(l -> java.util.Arrays.stream(l.split(","))).map(String::trim).map(Integer::parseInt).toList();
    private final int seconds = Options.integer("bench.load.seconds", 15);
    private final int warmup = Options.integer("bench.load.warmup", 10);

    LoadBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("Load: POST /api/runs of a 13-task plan at %s runs/s, %d s each, H2 file, %d cores",
                rates, seconds, Runtime.getRuntime().availableProcessors()));
        Path dir = Files.createTempDirectory("baton-bench-load-");
        // One client posting hundreds of runs a second: its rate limit (6,000 a minute by default) is lifted.
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--rate-runs", "100000000/min",
                "--triage-warm-up", "false")); // no tickets here: no classifier
        if (System.getProperty("bench.shards") != null) args.addAll(java.util.List.of("--shards", System.getProperty("bench.shards")));
        BatonServer server = BatonServer.start(Config.load(args.toArray(new String[0]), java.util.Map.of())
                .withPort(0).withDataDir(dir.resolve("data")));
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()),
                new PoolOptions().setHttp1MaxSize(64).setMaxWaitQueueSize(-1));
        try {
            latencies(server, client, Math.min(100, rates.get(0)), warmup);
            for (int rate : rates) {
                CpuMeter.Snapshot before = CpuMeter.now();
                Result r = latencies(server, client, rate, seconds);
                CpuMeter.Snapshot after = CpuMeter.now();
                report.info(rate + " runs/s offered", String.format("%.0f runs/s succeeded, p50 %s ms, p99 %s ms, max %s ms%s",
                        r.done, Report.fmt(r.stats.median()), Report.fmt(r.stats.percentile(99)), Report.fmt(r.stats.max()),
                        r.failed > 0 ? ", " + r.failed + " failed" : ""));
                report.say("   %s", CpuMeter.describe(before, after, r.stats.count(), " us/run"));
            }
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
            server.close();
            Async.deleteTree(dir);
        }
    }

    private record Result(Stats stats, double done, int failed) {
    }

    private static String plan() {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        tasks.addObject().put("id", "root").put("tool", "echo").putObject("args").put("n", 0);
        for (int i = 1; i <= 12; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("tool", "echo");
            task.putObject("args").put("n", i);
            task.putArray("dependsOn").add("root");
        }
        return Json.write(plan);
    }

    /** Posts runs at {@code rate} a second for {@code seconds}; the POST-to-finished times in ms. */
    private Result latencies(BatonServer server, HttpClient client, int rate, int seconds) throws Exception {
        String body = "{\"goal\": \"load\", \"plan\": " + plan() + "}";
        int total = rate * seconds;
        ConcurrentLinkedQueue<Double> millis = new ConcurrentLinkedQueue<>();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(total);
        AtomicInteger sent = new AtomicInteger();
        io.vertx.core.Context context = vertx.getOrCreateContext();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        long began = System.nanoTime();
        long[] lastDone = new long[1];
        try {
            long periodNanos = 1_000_000_000L / rate;
            timer.scheduleAtFixedRate(() -> {
                if (sent.getAndIncrement() >= total) return;
                long start = System.nanoTime();
                context.runOnContext(v -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/runs")
                                .putHeader("Content-Type", "application/json"))
                        .compose(request -> request.send(body))
                        .compose(response -> response.body().compose(b -> response.statusCode() == 201
                                ? Future.succeededFuture(b.toJsonObject().getString("id"))
                                : Future.failedFuture("POST answered " + response.statusCode() + ": " + b)))
                        .compose(id -> server.orchestrator().whenFinished(id))
                        .onComplete(finished -> {
                            if (finished.succeeded() && "SUCCEEDED".equals(finished.result().path("status").asText())) {
                                millis.add((System.nanoTime() - start) / 1e6);
                            } else {
                                failed.incrementAndGet();
                            }
                            synchronized (lastDone) {
                                lastDone[0] = System.nanoTime();
                            }
                            done.countDown();
                        }));
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            if (!done.await(seconds + 120L, TimeUnit.SECONDS)) throw new IllegalStateException((done.getCount()) + " runs did not finish");
        } finally {
            timer.shutdownNow();
        }
        double elapsed;
        synchronized (lastDone) {
            elapsed = (lastDone[0] - began) / 1e9;
        }
        return new Result(Stats.of(millis), millis.size() / elapsed, failed.get());
    }
}
