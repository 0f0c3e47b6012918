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
 * timed again, in {@code bench.streams.rounds} alternating rounds. Goal: p99 with the streams at
 * most twice the p99 without (the rounds' posts pooled). A last phase holds all of them on
 * {@code /api/events} (printed, no goal: there every stream writes every event, so each post
 * costs 2,000 writes per event of its run).
 */
final class StreamsBench {
    private static final double GOAL_RATIO = 2.0;
    private static final String WAITING = "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}";

    private final Vertx vertx;
    private final Report report;
    private final int streams = Options.integer("bench.streams", 2_000);
    private final int allRuns = Options.integer("bench.streams.all", 20);
    private final int watchedRuns = Options.integer("bench.streams.runs", 100);
    private final int rate = Options.integer("bench.streams.rate", 20);
    private final int seconds = Options.integer("bench.streams.seconds", 20);
    private final int warmupSeconds = Options.integer("bench.streams.warmup", 20);
    private final int rounds = Options.integer("bench.streams.rounds", 5);
    private final boolean allOnly = !Options.text("bench.streams.allOnly", "true").equals("false");

    private final int allRate = Options.integer("bench.streams.allRate", 5);
    private final io.vertx.core.Context clientContext;

    StreamsBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
        this.clientContext = vertx.getOrCreateContext();
    }

    void run() throws Exception {
        report.section(String.format("6. POST /api/runs at %d/s with %,d event streams held open (%,d on /api/events), H2 file",
                rate, streams, allRuns));
        Path dir = Files.createTempDirectory("baton-bench-streams-");
        int cap = streams + 1_000;
        BatonServer server = BatonServer.start(Config.defaults().withPort(0).withDataDir(dir.resolve("data"))
                .withTriage(Config.TriageConfig.DEMO) // no classifier warm-up: no tickets here
                .withEventStreams(new Config.StreamLimits(cap, cap)));
        HttpClientOptions target = new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port());
        HttpClient posts = vertx.createHttpClient(target, new PoolOptions().setHttp1MaxSize(32).setMaxWaitQueueSize(-1));
        HttpClient sse = vertx.createHttpClient(target, new PoolOptions().setHttp1MaxSize(cap).setMaxWaitQueueSize(-1));
        try {
            List<String> watched = new ArrayList<>();
            for (int i = 0; i < watchedRuns; i++) watched.add(post(posts, "watched " + i, WAITING).await(30, TimeUnit.SECONDS));
            // Warm-up of both paths (JIT, pools, H2 caches): posts alone, then with the streams.
            latencies(posts, warmupSeconds);
            long heapBefore = Machine.usedHeapAfterGc();
            Held warm = hold(sse, watched, streams - allRuns, allRuns);
            long heapPerStream = (Machine.usedHeapAfterGc() - heapBefore) / Math.max(1, streams);
            report.say("%,d streams open in %.1f s (%,d on %d runs' streams, %,d on /api/events); heap, server and client, %,d bytes a stream",
                    streams, warm.openSeconds, streams - allRuns, watchedRuns, allRuns, heapPerStream);
            latencies(posts, warmupSeconds);
            warm.close(streams);

            // Rounds of: without streams, then with them (alternating, so that the machine's other load hits both alike).
            List<Double> allNone = new ArrayList<>();
            List<Double> allHeld = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                CpuMeter.Snapshot start = CpuMeter.now();
                Stats none = latencies(posts, seconds);
                CpuMeter.Snapshot end = CpuMeter.now();
                report.say("round %d, no streams:      p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts)",
                        round, none.median(), none.percentile(99), none.max(), none.count());
                report.say("   %s", CpuMeter.describe(start, end, none.count(), " us/post"));
                Held held = hold(sse, watched, streams - allRuns, allRuns);
                CpuMeter.Snapshot before = CpuMeter.now();
                long framesBefore = held.frames.get();
                Stats with = latencies(posts, seconds);
                CpuMeter.Snapshot after = CpuMeter.now();
                report.say("round %d, %,d streams:  p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts; %,d events written to the streams)",
                        round, streams, with.median(), with.percentile(99), with.max(), with.count(), held.frames.get() - framesBefore);
                report.say("   %s", CpuMeter.describe(before, after, with.count(), " us/post"));
                held.close(streams);
                for (double v : none.sorted()) allNone.add(v);
                for (double v : with.sorted()) allHeld.add(v);
            }
            // The rounds pooled: on a busy machine one round's p99 swings several-fold on its own.
            Stats none = Stats.of(allNone);
            Stats held = Stats.of(allHeld);
            double ratio = held.percentile(99) / none.percentile(99);
            report.say("all rounds: no streams p50 %.1f ms, p99 %.1f ms; %,d streams p50 %.1f ms, p99 %.1f ms",
                    none.median(), none.percentile(99), streams, held.median(), held.percentile(99));
            report.goal("POST /api/runs p99, " + streams + " streams / none", ratio, "x", GOAL_RATIO, true,
                    String.format("%.2fx (%s / %s ms)", ratio, Report.fmt(held.percentile(99)), Report.fmt(none.percentile(99))));
            report.info("POST /api/runs p50, " + streams + " streams / none", Report.fmt(held.median()) + " / " + Report.fmt(none.median()) + " ms");

            if (allOnly) {
                Held everyEvent = hold(sse, watched, 0, streams);
                long framesBefore = everyEvent.frames.get();
                CpuMeter.Snapshot before = CpuMeter.now();
                Stats all = latencies(posts, seconds, allRate);
                CpuMeter.Snapshot after = CpuMeter.now();
                report.say("all %,d on /api/events, %d posts/s: p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (%d posts; %,d events written to the streams)",
                        streams, allRate, all.median(), all.percentile(99), all.max(), all.count(), everyEvent.frames.get() - framesBefore);
                report.say("   %s", CpuMeter.describe(before, after, all.count(), " us/post"));
                report.info("POST /api/runs p99, " + streams + " on /api/events, " + allRate + "/s", Report.fmt(all.percentile(99)) + " ms (no goal)");
                everyEvent.close(streams);
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

        /** Closes the streams and waits until the client has seen all {@code n} end. */
        void close(int n) throws InterruptedException {
            synchronized (this) {
                for (var response : responses) response.request().connection().close();
            }
            StreamsBench.await(() -> ended.get() >= n, 60, "the streams to close");
        }
    }

    private Held hold(HttpClient client, List<String> runs, int runStreams, int allStreams) throws Exception {
        Held held = new Held();
        CountDownLatch connected = new CountDownLatch(runStreams + allStreams);
        long t0 = System.nanoTime();
        // Opened from one client context, so that each response's handlers are set before its first chunk can arrive.
        java.util.concurrent.CompletableFuture<List<Future<?>>> requested = new java.util.concurrent.CompletableFuture<>();
        clientContext.runOnContext(v -> requested.complete(open(client, runs, runStreams, allStreams, held, connected)));
        Future.all(requested.get(60, TimeUnit.SECONDS)).await(120, TimeUnit.SECONDS);
        if (!connected.await(120, TimeUnit.SECONDS)) throw new IllegalStateException(connected.getCount() + " streams never connected");
        held.openSeconds = (System.nanoTime() - t0) / 1e9;
        return held;
    }

    private static List<Future<?>> open(HttpClient client, List<String> runs, int runStreams, int allStreams, Held held, CountDownLatch connected) {
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
        return opening;
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
                .compose(r -> r.send(body)).compose(response -> response.body().compose(b -> response.statusCode() == 201 && b.length() > 0
                        ? Future.succeededFuture(b.toJsonObject().getString("id"))
                        : Future.failedFuture("POST /api/runs answered " + response.statusCode() + " " + response.headers().entries()
                                + " with " + b.length() + " bytes: " + b)));
    }

    /** Posts one-task runs at {@link #rate} a second for {@code seconds} (open loop); the latencies in ms. */
    private Stats latencies(HttpClient client, int seconds) throws Exception {
        return latencies(client, seconds, rate);
    }

    private Stats latencies(HttpClient client, int seconds, int rate) throws Exception {
        int total = rate * seconds;
        ConcurrentLinkedQueue<Double> millis = new ConcurrentLinkedQueue<>();
        AtomicInteger failed = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch done = new CountDownLatch(total);
        AtomicInteger sent = new AtomicInteger();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.scheduleAtFixedRate(() -> {
                int n = sent.getAndIncrement();
                if (n >= total) return;
                long t = System.nanoTime();
                // sent from the client's context: the answer's handlers are set before its body can arrive
                clientContext.runOnContext(v -> post(client, "bench " + n, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"n\": " + n + "}}]}")
                        .onComplete(r -> {
                            if (r.succeeded()) millis.add((System.nanoTime() - t) / 1e6);
                            else if (failed.incrementAndGet() == 1) firstFailure.set(r.cause());
                            done.countDown();
                        }));
            }, 0, 1_000_000_000L / rate, TimeUnit.NANOSECONDS);
            if (!done.await(seconds + 120L, TimeUnit.SECONDS)) throw new IllegalStateException(done.getCount() + " posts unanswered");
        } finally {
            timer.shutdownNow();
        }
        if (failed.get() > 0) report.say("(%d posts failed, the first with: %s)", failed.get(), firstFailure.get());
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
