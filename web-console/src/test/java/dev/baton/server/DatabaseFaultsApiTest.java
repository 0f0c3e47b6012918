package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.testing.PostgresTestDatabase;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.TcpProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real PostgreSQL under a steady load of runs (call, durable wait, call; one in five gated by an
 * approval), with clients that retry 5xx answers with the same Idempotency-Key: first every
 * connection of the server is killed ({@code pg_terminate_backend}), then the database goes away
 * for several seconds (a TCP proxy in front of it refuses and cuts connections, as a stopped
 * server does) and comes back. Nothing is lost, every call is made under its run's one key,
 * and while the database is away requests get 503 with Retry-After and health says not ready.
 */
class DatabaseFaultsApiTest {
    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final int RUNS = 160;
    private static final long EVERY_MS = 50; // 20 runs a second
    /** How long the database stays away. */
    private static final Duration AWAY = Duration.ofSeconds(6);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void connectionsKilledAndDatabaseAwayUnderLoadLoseNothingAndAnswer503() throws Exception {
        PostgresTestDatabase database = PostgresTestDatabase.create();
        toClose.add(database);
        WireMockServer upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40));
        upstream.start();
        toClose.add(upstream::stop);
        upstream.stubFor(get(urlPathEqualTo("/effect")).willReturn(aResponse().withBody("{\"ok\": true}")
                .withHeader("Content-Type", "application/json")));

        URI target = URI.create(database.url().substring("jdbc:".length()));
        TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort());
        toClose.add(proxy);
        String proxied = database.url().replace(target.getHost() + ":" + target.getPort(), "127.0.0.1:" + proxy.port());
        Path dir = Path.of("target", "database-faults");
        Files.createDirectories(dir);
        ServerProcess server = ServerProcess.start(Files.createTempDirectory(dir, "data"), proxied, dir.resolve("server.log"));
        toClose.add(server);
        Api api = server.api();

        Map<String, String> runOfRequest = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(16);
        toClose.add(clients::shutdownNow);
        List<Future<?>> posted = new ArrayList<>();
        // The faults, on their own thread, while the load goes on.
        ExecutorService faults = Executors.newSingleThreadExecutor();
        toClose.add(faults::shutdownNow);
        Future<?> faulted = faults.submit(() -> {
            Thread.sleep(2_000);
            int terminated = terminate(database.url(), proxy.targetSidePorts());
            say("killed " + terminated + " connections of the server");
            assertTrue(terminated > 0, "the server had connections to kill");
            Thread.sleep(2_000);
            proxy.down();
            say("database away");
            long awaySince = System.nanoTime();
            checkAnswersWhileAway(api);
            Thread.sleep(Math.max(0, AWAY.toMillis() - (System.nanoTime() - awaySince) / 1_000_000));
            proxy.up();
            say("database back");
            return null;
        });
        for (int i = 0; i < RUNS; i++) {
            String request = "req-" + i;
            boolean gated = i % 5 == 0;
            posted.add(clients.submit(() -> runOfRequest.put(request, postUntilAnswered(api, upstream, request, gated))));
            Thread.sleep(EVERY_MS);
        }
        faulted.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
        for (Future<?> f : posted) f.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(RUNS, runOfRequest.size());

        // Approve the gated ones (the approval inbox may lag a moment behind the runs).
        for (int i = 0; i < RUNS; i += 5) {
            String runId = runOfRequest.get("req-" + i);
            api.awaitTaskStatus(runId, "c2", "WAITING_APPROVAL");
            Api.Response approved = api.post("/api/runs/" + runId + "/tasks/c2/approval", Json.object().put("decision", "approve"));
            assertEquals(200, approved.status(), approved.body());
        }
        for (var entry : runOfRequest.entrySet()) {
            JsonNode run = api.awaitRun(entry.getValue(), r -> r.path("status").asText().matches("SUCCEEDED|FAILED|CANCELLED"), AWAIT);
            assertEquals("SUCCEEDED", run.path("status").asText(), () -> entry.getKey() + ": " + run + "\n" + server.logTail());
        }

        Map<String, Set<String>> keys = new HashMap<>();
        for (LoggedRequest call : upstream.findAll(getRequestedFor(urlPathEqualTo("/effect")))) {
            String what = call.queryParameter("req").firstValue() + "/" + call.queryParameter("step").firstValue();
            keys.computeIfAbsent(what, k -> new HashSet<>()).add(call.getHeader("Idempotency-Key"));
        }
        for (var entry : runOfRequest.entrySet()) {
            for (String step : List.of("c1", "c2")) {
                assertEquals(Set.of(entry.getValue() + "/" + step), keys.get(entry.getKey() + "/" + step),
                        entry.getKey() + " " + step + " was called under its run's one key");
            }
        }
        assertEquals(RUNS * 2, keys.size(), "no call for a request or run that does not exist");
        String metrics = api.get("/metrics").body();
        say(metrics.lines().filter(l -> l.startsWith("baton_run_rebuilds_total")).collect(Collectors.joining()));
    }

    /** While the database is away: a new run is refused with 503 and Retry-After soon, and health is not ready. */
    private static void checkAnswersWhileAway(Api api) {
        long started = System.nanoTime();
        ObjectNode body = Json.object().put("goal", "while away");
        body.set("plan", parse("{\"tasks\": [{\"id\": \"e\", \"tool\": \"echo\", \"args\": {}}]}"));
        Api.Response refused = api.post("/api/runs", body);
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        say("POST /api/runs while the database is away: " + refused.status() + " in " + tookMs + " ms");
        assertEquals(503, refused.status(), refused.body());
        assertNotNull(refused.header("Retry-After"), "a 503 says when to come back");
        Api.Response health = api.get("/api/health");
        assertEquals(503, health.status(), health.body());
        assertEquals(false, health.json().path("ready").asBoolean(true), health.body());
    }

    /** Posts the request's run until it is answered 201 or 200, retrying anything else with the same key; its run id. */
    private static String postUntilAnswered(Api api, WireMockServer upstream, String request, boolean gated) {
        String effect = "http://127.0.0.1:" + upstream.port() + "/effect?req=" + request + "&step=";
        String plan = """
                {"tasks": [
                  {"id": "c1", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "w", "wait": "PT0.5S", "dependsOn": ["c1"]},
                  {"id": "c2", "tool": "http.request", "args": {"method": "GET", "url": "%s"}, "dependsOn": ["w"]%s}
                ]}""".formatted(effect + "c1", effect + "c2", gated ? ", \"approval\": \"required\"" : "");
        ObjectNode body = Json.object().put("goal", request);
        body.set("plan", parse(plan));
        long deadline = System.nanoTime() + AWAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Api.Response response = api.post("/api/runs", Json.write(body), "application/json", request);
                if (response.status() == 201 || response.status() == 200) return response.json().path("id").asText();
                if (response.status() < 500) throw new AssertionError(request + ": " + response.status() + " " + response.body());
            } catch (RuntimeException connectionTrouble) {
                // the answer was lost: retry with the same key
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        throw new AssertionError(request + " was never answered");
    }

    /** Kills the server's backends (those reached through the proxy), as an administrator would. */
    private static int terminate(String url, Set<Integer> ports) throws Exception {
        if (ports.isEmpty()) return 0;
        String in = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE client_port IN (" + in + ") AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return Json.parse(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void say(String what) {
        System.out.println(Instant.now() + " " + what);
    }
}
