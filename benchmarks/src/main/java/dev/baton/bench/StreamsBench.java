package dev.baton.bench;

import dev.baton.json.Json;
import dev.baton.server.BatonServer;
import dev.baton.server.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Part 6 ({@code streams}): {@code POST /api/runs} latency on a real server (HTTP, H2 file
 * journal) while 2,000 event streams are held open, against the same server with none.
 *
 * <p>Runs of one {@code echo} task are posted at a fixed rate (open loop) and timed to their
 * {@code 201}. Then {@code bench.streams} streams are opened and held: {@code bench.streams.all}
 * on {@code /api/events} (each gets every event of every run), the rest spread over
 * {@code bench.streams.runs} waiting runs' {@code /api/runs/{id}/events}, and the posts are
 * timed again. Goal: p99 with the streams at most twice the p99 without. A last phase holds all
 * of them on {@code /api/events} (printed, no goal: there every stream writes every event).
 */
final class StreamsBench {
    private static final double GOAL_RATIO = 2.0;
    private static final String WAITING = "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}";

    private final Vertx vertx;
    private final Report report;
    private final int streams = Options.integer("bench.streams", 2_000);
    private final int allRuns = Options.integer("bench.streams.all", 100);
    private final int watchedRuns = Options.integer("bench.streams.runs", 100);
    private final int rate = Options.integer("bench.streams.rate", 20);
    private final int seconds = Options.integer("bench.streams.seconds", 30);
    private final int warmupSeconds = Options.integer("bench.streams.warmup", 10);
    private final boolean allOnly = !Options.text("bench.streams.allOnly", "true").equals("false");

    StreamsBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("6. POST /api/runs at %d/s with %,d event streams held open (%,d on /api/events), H2 file",
                rate, streams, allRuns));
        Path dir = Files.createTempDirectory("baton-bench-streams-");
        int cap = streams + 1_000;
        BatonServer server = BatonServer.start(Config.defaults().withPort(0).withDataDir(dir.resolve("data"))
                .withEventStreams(new Config.StreamLimits(cap, cap)));
        HttpClientOptions target = new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port());
        HttpClient posts = vertx.createHttpClient(target, new PoolOptions().setHttp1MaxSize(32));
        HttpClient sse = vertx.createHttpClient(target, new PoolOptions().setHttp1MaxSize(cap).setMaxWaitQueueSize(-1));
        try {
            latencies(posts, warmupSeconds); // JIT, pools, H2 caches
            Stats unloaded = latencies(posts, seconds);
            report.say("without streams:         p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts)",
                    unloaded.median(), unloaded.percentile(99), unloaded.max(), unloaded.count());

            List<String> watched = new ArrayList<>();
            for (int i = 0; i < watchedRuns; i++) watched.add(post(posts, "watched " + i, WAITING).await(30, TimeUnit.SECONDS));
            long heapBefore = Machine.usedHeapAfterGc();
            Held held = hold(sse, watched, streams - allRuns, allRuns);
            long heapPerStream = (Machine.usedHeapAfterGc() - heapBefore) / Math.max(1, streams);
            report.say("%,d streams open in %.1f s (%,d on %d runs' streams, %,d on /api/events); heap, server and client, %,d bytes a stream",
                    streams, held.openSeconds, streams - allRuns, watchedRuns, allRuns, heapPerStream);
            CpuMeter.Snapshot before = CpuMeter.now();
            long framesBefore = held.frames.get();
            Stats loaded = latencies(posts, seconds);
            CpuMeter.Snapshot after = CpuMeter.now();
            report.say("with %,d streams:      p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts; %,d events written to the streams)",
                    streams, loaded.median(), loaded.percentile(99), loaded.max(), loaded.count(), held.frames.get() - framesBefore);
            report.say("%s", CpuMeter.describe(before, after, loaded.count(), " us/post"));
            double ratio = loaded.percentile(99) / unloaded.percentile(99);
            report.goal("POST /api/runs p99, 2,000 streams / none", ratio, "x", GOAL_RATIO, true,
                    String.format("%.2fx (%s / %s ms)", ratio, Report.fmt(loaded.percentile(99)), Report.fmt(unloaded.percentile(99))));
            report.info("POST /api/runs p50 / p99, no streams", Report.fmt(unloaded.median()) + " / " + Report.fmt(unloaded.percentile(99)) + " ms");
            report.info("POST /api/runs p50 / p99, " + streams + " streams", Report.fmt(loaded.median()) + " / " + Report.fmt(loaded.percentile(99)) + " ms");
            held.close();
            await(() -> held.ended.get() >= streams, 60, "the streams to close");

            if (allOnly) {
                Held everyEvent = hold(sse, watched, 0, streams);
                framesBefore = everyEvent.frames.get();
                Stats all = latencies(posts, seconds);
                report.say("all %,d on /api/events: p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts; %,d events written to the streams)",
                        streams, all.median(), all.percentile(99), all.max(), all.count(), everyEvent.frames.get() - framesBefore);
                report.info("POST /api/runs p99, " + streams + " on /api/events", Report.fmt(all.percentile(99)) + " ms ("
                        + String.format("%.2fx", all.percentile(99) / unloaded.percentile(99)) + ", no goal)");
                everyEvent.close();
            }
        } finally {
            sse.close().await(10, TimeUnit.SECONDS);
            posts.close().await(10, TimeUnit.SECONDS);
            server.close();
            Async.deleteTree(dir);
        }
    }

    /** Streams held open, and what they received. */
    private static final class Held {
        final List<io.vertx.core.http.HttpClientResponse> responses = new ArrayList<>();
        final AtomicLong frames = new AtomicLong();
        final AtomicInteger ended = new AtomicInteger();
        double openSeconds;

        synchronized void add(io.vertx.core.http.HttpClientResponse response) {
            responses.add(response);
        }

        synchronized void close() {
            for (var response : responses) response.request().connection().close();
        }
    }

    private Held hold(HttpClient client, List<String> runs, int runStreams, int allStreams) throws Exception {
        Held held = new Held();
        CountDownLatch connected = new CountDownLatch(runStreams + allStreams);
        long t0 = System.nanoTime();
        List<Future<?>> opening = new ArrayList<>();
        for (int i = 0; i < runStreams + allStreams; i++) {
            String path = i < runStreams ? "/api/runs/" + runs.get(i % runs.size()) + "/events" : "/api/events";
            opening.add(client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI(path)).compose(r -> r.send()).compose(response -> {
                if (response.statusCode() != 200) return Future.failedFuture(path + " answered " + response.statusCode());
                held.add(response);
                boolean[] first = {true};
                response.handler(chunk -> {
                    if (first[0]) {
                        first[0] = false;
                        connected.countDown();
                    }
                    held.frames.addAndGet(count(chunk, "\ndata: "));
                });
                response.endHandler(v -> held.ended.incrementAndGet());
                response.exceptionHandler(e -> held.ended.incrementAndGet());
                return Future.succeededFuture();
            }));
        }
        Future.all(opening).await(120, TimeUnit.SECONDS);
        if (!connected.await(120, TimeUnit.SECONDS)) throw new IllegalStateException(connected.getCount() + " streams never connected");
        held.openSeconds = (System.nanoTime() - t0) / 1e9;
        return held;
    }

    private static int count(Buffer chunk, String what) {
        String text = chunk.toString();
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    private static Future<String> post(HttpClient client, String goal, String plan) {
        String body = "{\"goal\": " + Json.write(goal) + ", \"plan\": " + plan + "}";
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/runs").putHeader("Content-Type", "application/json"))
                .compose(r -> r.send(body)).compose(response -> response.body().compose(b -> response.statusCode() == 201
                        ? Future.succeededFuture(b.toJsonObject().getString("id"))
                        : Future.failedFuture("POST /api/runs answered " + response.statusCode() + ": " + b)));
    }

    /** Posts one-task runs at {@link #rate} a second for {@code seconds} (open loop); the latencies in ms. */
    private Stats latencies(HttpClient client, int seconds) throws Exception {
        int total = rate * seconds;
        ConcurrentLinkedQueue<Double> millis = new ConcurrentLinkedQueue<>();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(total);
        AtomicInteger sent = new AtomicInteger();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.scheduleAtFixedRate(() -> {
                int n = sent.getAndIncrement();
                if (n >= total) return;
                long t = System.nanoTime();
                post(client, "bench " + n, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"n\": " + n + "}}]}")
                        .onComplete(r -> {
                            if (r.succeeded()) millis.add((System.nanoTime() - t) / 1e6);
                            else failed.incrementAndGet();
                            done.countDown();
                        });
            }, 0, 1_000_000_000L / rate, TimeUnit.NANOSECONDS);
            if (!done.await(seconds + 120L, TimeUnit.SECONDS)) throw new IllegalStateException(done.getCount() + " posts unanswered");
        } finally {
            timer.shutdownNow();
        }
        if (failed.get() > 0) report.say("(%d posts failed)", failed.get());
        return Stats.of(millis);
    }

    private static void await(java.util.function.BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }
}
