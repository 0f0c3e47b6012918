package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.testing.PostgresTestDatabase;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.RawHttp;
import dev.baton.server.testing.TcpProxy;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketClassifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /health/live} and {@code /health/ready} over real HTTP: no token needed on a server with
 * BATON_TOKENS (while /api still needs one), no data shown, any Host (a kubelet sends the pod's IP
 * or whatever a probe names), HEAD as well as GET; readiness follows the journal's database (a TCP
 * proxy in front of PostgreSQL taken down and up) and the classifier's warm-up.
 */
class HealthProbesApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config);
    static final Api api = servers.api();

    private static Api.Response raw(int port, String method, String path, String host) {
        return RawHttp.exchange(port, RawHttp.request(method, path, host, Map.of(), null));
    }

    @Test
    void bothProbesAnswerWithoutATokenWhileTheApiNeedsOne() {
        Api.Response live = api.get("/health/live");
        assertEquals(200, live.status(), live.body());
        assertEquals("{\"status\":\"UP\"}", live.body());
        assertEquals("application/json", live.header("Content-Type"));
        Api.Response ready = api.get("/health/ready");
        assertEquals(200, ready.status(), ready.body());
        // only check names and states: no version, no counts, no host names
        assertEquals(TestTools.json("{\"status\":\"UP\",\"checks\":{\"journal\":\"UP\"}}"), ready.json());

        assertEquals(401, api.get("/api/health").status(), "the detailed health still needs a token");
        assertEquals(401, api.get("/api/runs").status());
        assertEquals(200, api.as(Tokens.VIEWER).get("/api/health").status());
    }

    @Test
    void headAnswersTheSameWithoutABody() {
        int port = servers.server().port();
        for (String path : List.of("/health/live", "/health/ready")) {
            Api.Response head = raw(port, "HEAD", path, "127.0.0.1:" + port);
            assertEquals(200, head.status(), path);
            assertEquals("", head.body(), path);
        }
    }

    @Test
    void aProbeWithThePodsAddressOrAnyNameAsHostIsAnswered() throws Exception {
        int port = servers.server().port();
        assertEquals(200, raw(port, "GET", "/health/ready", "10.244.1.17:8080").status(), "a kubelet's Host: the pod IP");
        // A server without tokens answers only to its own names (DNS rebinding): probes show nothing and change nothing.
        try (TestServer open = TestServer.start()) {
            String host = "baton-0.baton.default.svc.cluster.local:8080";
            assertEquals(403, raw(open.port(), "GET", "/api/health", host).status());
            Api.Response live = raw(open.port(), "GET", "/health/live", host);
            assertEquals(200, live.status(), live.body());
            Api.Response ready = raw(open.port(), "GET", "/health/ready", host);
            assertEquals(200, ready.status(), ready.body());
            assertEquals(200, raw(open.port(), "GET", "/health/ready", "10.244.1.17:8080").status());
        }
    }

    @Test
    void aProbeRoundIsSharedBetweenProbesUnderASecondApart() {
        // 200 probes at once cost the database one ping a second, and all answer.
        List<CompletableFuture<Api.Response>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) all.add(CompletableFuture.supplyAsync(() -> api.get("/health/ready")));
        for (CompletableFuture<Api.Response> r : all) assertEquals(200, r.join().status());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readyGoesDownWithinSecondsWhenThePostgresJournalIsAwayAndUpWhenItIsBack() throws Exception {
        try (PostgresTestDatabase database = PostgresTestDatabase.create()) {
            URI target = URI.create(database.url().substring("jdbc:".length()));
            try (TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort())) {
                String proxied = database.url().replace(target.getHost() + ":" + target.getPort(), "127.0.0.1:" + proxy.port());
                try (TestServer server = TestServer.start(Tokens.config().withDbUrl(proxied), r -> { })) {
                    Api probe = server.api();
                    JsonNode up = Api.await(() -> probe.get("/health/ready"), r -> r.status() == 200, Duration.ofSeconds(30),
                            "ready on PostgreSQL").json();
                    assertEquals("UP", up.path("checks").path("journal").asText(), up.toString());
                    assertEquals("UP", up.path("checks").path("cluster").asText(), "a node of a cluster holds its lease: " + up);

                    proxy.down();
                    long downAt = System.nanoTime();
                    Api.Response down = Api.await(() -> probe.get("/health/ready"), r -> r.status() == 503, Duration.ofSeconds(10),
                            "not ready with the database away");
                    long tookMs = (System.nanoTime() - downAt) / 1_000_000;
                    System.out.println("[health] ready went 503 " + tookMs + " ms after the database went away: " + down.body());
                    assertEquals("DOWN", down.json().path("status").asText(), down.body());
                    assertEquals("DOWN", down.json().path("checks").path("journal").asText(), down.body());
                    assertTrue(tookMs < 5_000, "503 within a few seconds, took " + tookMs + " ms");
                    assertEquals(200, probe.get("/health/live").status(), "still live: the process answers");

                    proxy.up();
                    long upAt = System.nanoTime();
                    Api.await(() -> probe.get("/health/ready"), r -> r.status() == 200, Duration.ofSeconds(60),
                            "ready again with the database back");
                    System.out.println("[health] ready again " + (System.nanoTime() - upAt) / 1_000_000 + " ms after the database came back");
                }
            }
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readyIsStartingWhileTheClassifierWarmsUpAndUpOnceItIsTrained() throws Exception {
        // The examples file is a named pipe: the server's start reads it once (to check the categories), and the
        // warm-up blocks reading it again until the test writes it a second time.
        Path dir = Files.createTempDirectory("baton-warm-up-");
        Path fifo = dir.resolve("examples.csv");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        String csv = ExamplesCsv.format(fewExamples());
        CompletableFuture<Void> firstRead = CompletableFuture.runAsync(() -> write(fifo, csv));
        Config config = TestServer.config().withTriage(new Config.TriageConfig(null, fifo, null, dir.resolve("cache"), true));
        try (TestServer server = TestServer.start(config, r -> { })) {
            firstRead.get(30, TimeUnit.SECONDS);
            Api.Response starting = server.api().get("/health/ready");
            assertEquals(503, starting.status(), starting.body());
            assertEquals(TestTools.json("{\"status\":\"STARTING\",\"checks\":{\"journal\":\"UP\",\"classifier\":\"STARTING\"}}"),
                    starting.json());
            assertEquals(200, server.api().get("/health/live").status(), "live while it warms up");

            write(fifo, csv); // the warm-up goes on
            JsonNode ready = Api.await(() -> server.api().get("/health/ready"), r -> r.status() == 200, Duration.ofMinutes(4),
                    "ready once the classifier is trained").json();
            assertEquals("UP", ready.path("checks").path("classifier").asText(), ready.toString());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readyIsDownWhenTheWarmUpFailed() throws Exception {
        Path dir = Files.createTempDirectory("baton-warm-up-");
        Path fifo = dir.resolve("examples.csv");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        CompletableFuture<Void> firstRead = CompletableFuture.runAsync(() -> write(fifo, ExamplesCsv.format(fewExamples())));
        Config config = TestServer.config().withTriage(new Config.TriageConfig(null, fifo, null, dir.resolve("cache"), true));
        try (TestServer server = TestServer.start(config, r -> { })) {
            firstRead.get(30, TimeUnit.SECONDS);
            write(fifo, ""); // the warm-up reads no examples at all: it fails
            Api.Response down = Api.await(() -> server.api().get("/health/ready"),
                    r -> r.body().contains("\"classifier\":\"DOWN\""), Duration.ofSeconds(60), "the failed warm-up shown");
            assertEquals(503, down.status());
            assertEquals(TestTools.json("{\"status\":\"DOWN\",\"checks\":{\"journal\":\"UP\",\"classifier\":\"DOWN\"}}"), down.json());
        }
    }

    /** A few examples of each of three categories the bundled routing table routes. */
    /** Eight examples of each of three routed categories: a classifier that trains in seconds (StartWhileWarmingUpApiTest uses it too). */
    static List<LabelledExample> fewExamples() {
        Set<String> routed = RoutingTable.bundledDemo().categories();
        List<LabelledExample> all;
        try (InputStream in = TicketClassifiers.class.getResourceAsStream(TicketClassifiers.BUNDLED_EXAMPLES)) {
            all = ExamplesCsv.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bundled");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> categories = all.stream().map(LabelledExample::category).filter(routed::contains).distinct().limit(3).toList();
        List<LabelledExample> few = new ArrayList<>();
        for (String category : categories) {
            all.stream().filter(e -> e.category().equals(category)).limit(8).forEach(few::add);
        }
        return few;
    }

    static void write(Path fifo, String text) {
        try {
            Files.writeString(fifo, text, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
