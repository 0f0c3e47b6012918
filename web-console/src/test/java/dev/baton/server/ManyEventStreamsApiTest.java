package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 2,000 event streams held open at once over HTTP: 1,900 on the streams of 20 runs, 100 on
 * {@code /api/events}. An event reaches every stream that shows it (its run's and the all-runs
 * ones) and no stream of another run. (How fast {@code POST /api/runs} stays meanwhile is a
 * benchmark, not a test: {@code benchmarks}, part {@code streams}.)
 */
class ManyEventStreamsApiTest {
    static final int RUNS = 20;
    static final int PER_RUN = 95;
    static final int ALL_RUNS = 100;
    static final Duration T = Duration.ofSeconds(60);
    static final String WAITING = "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        // Both ends of 2,000 connections live in this JVM: 4,000 file descriptors and some.
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            Assumptions.assumeTrue(os.getMaxFileDescriptorCount() >= 5_000,
                    "needs 5,000 file descriptors (ulimit -n), has " + os.getMaxFileDescriptorCount());
        }
        return TestServer.config().withEventStreams(new Config.StreamLimits(5_000, 5_000));
    });
    static final Api api = servers.api();
    static Vertx vertx;
    static HttpClient client;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(servers.server().port()),
                new PoolOptions().setHttp1MaxSize(RUNS * PER_RUN + ALL_RUNS + 100).setMaxWaitQueueSize(-1));
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) client.close().await(10, TimeUnit.SECONDS);
        if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** One open stream: the events it received (runId, type), and whether the server ended it. */
    static final class Stream {
        final String path;
        final ConcurrentLinkedQueue<JsonNode> events = new ConcurrentLinkedQueue<>();
        volatile boolean connected;
        volatile boolean ended;
        private final StringBuilder text = new StringBuilder();

        Stream(String path) {
            this.path = path;
        }

        /** Called on the connection's event loop, one chunk at a time. */
        void chunk(String chunk) {
            text.append(chunk);
            int end;
            while ((end = text.indexOf("\n\n")) >= 0) {
                String frame = text.substring(0, end);
                text.delete(0, end + 2);
                if (frame.startsWith(": connected")) connected = true;
                for (String line : frame.split("\n")) {
                    if (!line.startsWith("data: ")) continue;
                    try {
                        events.add(Json.parse(line.substring(6)));
                    } catch (IOException e) {
                        throw new IllegalStateException("not JSON: " + line, e);
                    }
                }
            }
        }

        boolean has(String runId, String type) {
            return events.stream().anyMatch(e -> e.path("runId").asText().equals(runId) && e.path("type").asText().equals(type));
        }
    }

    private static Future<Void> open(Stream stream) {
        return client.request(HttpMethod.GET, stream.path).compose(request -> request.send()).compose(response -> {
            if (response.statusCode() != 200) return Future.failedFuture(stream.path + " answered " + response.statusCode());
            response.handler(buffer -> stream.chunk(buffer.toString()));
            response.endHandler(v -> stream.ended = true);
            response.exceptionHandler(e -> stream.ended = true);
            return Future.succeededFuture();
        });
    }

    @Test
    void twoThousandStreamsEachGetTheirRunsEventsAndNoOtherRuns() throws Exception {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) runs.add(api.startRun("watched " + i, WAITING).path("id").asText());
        List<List<Stream>> byRun = new ArrayList<>();
        List<Stream> all = new ArrayList<>();
        List<Future<Void>> opening = new ArrayList<>();
        for (String runId : runs) {
            List<Stream> streams = new ArrayList<>();
            for (int i = 0; i < PER_RUN; i++) {
                Stream s = new Stream("/api/runs/" + runId + "/events");
                streams.add(s);
                opening.add(open(s));
            }
            byRun.add(streams);
        }
        for (int i = 0; i < ALL_RUNS; i++) {
            Stream s = new Stream("/api/events");
            all.add(s);
            opening.add(open(s));
        }
        Future.all(opening).await(60, TimeUnit.SECONDS);
        int total = RUNS * PER_RUN + ALL_RUNS;
        assertEquals(2_000, total);
        Api.await(() -> EventStreamLimitsApiTest.metricOf(api, "baton_event_streams_open"), n -> n == total, T, total + " streams open");
        // every run stream replayed its run's start
        for (int r = 0; r < RUNS; r++) {
            String runId = runs.get(r);
            for (Stream s : byRun.get(r)) {
                Api.await(() -> s.has(runId, "RunCreated"), ok -> ok, T, "the replay on " + s.path);
            }
        }
        for (Stream s : all) Api.await(() -> s.connected, ok -> ok, T, "/api/events connected");

        // Run A is cancelled: its 95 streams and the 100 all-runs streams get it; the other 1,805 do not.
        String a = runs.get(0);
        assertEquals(200, api.post("/api/runs/" + a + "/cancel", null).status());
        for (Stream s : byRun.get(0)) {
            Api.await(() -> s.has(a, "RunCancelled") && s.ended, ok -> ok, T, "the cancellation on a stream of run A, which then ends");
        }
        for (Stream s : all) Api.await(() -> s.has(a, "RunCancelled"), ok -> ok, T, "the cancellation on /api/events");
        // A run nobody follows by id: every all-runs stream sees it from its first event.
        String c = api.startRun("followed by the all-runs streams only", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}")
                .path("id").asText();
        for (Stream s : all) Api.await(() -> s.has(c, "RunSucceeded"), ok -> ok, T, "run C on /api/events");
        // Run B is cancelled last: once its streams have it, everything before it has been handed out too.
        String b = runs.get(RUNS - 1);
        assertEquals(200, api.post("/api/runs/" + b + "/cancel", null).status());
        for (Stream s : byRun.get(RUNS - 1)) Api.await(() -> s.has(b, "RunCancelled"), ok -> ok, T, "run B's cancellation");

        for (int r = 1; r < RUNS; r++) {
            String runId = runs.get(r);
            for (Stream s : byRun.get(r)) {
                for (JsonNode event : s.events) {
                    assertEquals(runId, event.path("runId").asText(), "a stream of " + runId + " got another run's event: " + event);
                }
                assertTrue(r == RUNS - 1 || !s.ended, "a stream of a waiting run stays open");
            }
        }
        for (Stream s : all) {
            List<Long> seqs = s.events.stream().filter(e -> e.path("runId").asText().equals(c)).map(e -> e.path("seq").asLong()).toList();
            assertEquals(1L, seqs.get(0), "run C from its first event");
            for (int i = 1; i < seqs.size(); i++) assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "in seq order: " + seqs);
        }
        Api.await(() -> EventStreamLimitsApiTest.metricOf(api, "baton_event_streams_open"), n -> n == total - 2 * PER_RUN, T,
                "the streams of the two cancelled runs closed and given back");
    }
}
