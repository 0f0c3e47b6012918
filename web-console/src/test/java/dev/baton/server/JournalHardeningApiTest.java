package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import com.microsoft.playwright.Locator;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;



import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal that one request cannot poison (issue 17), against real server processes: plans
 * with over-long durations are refused naming the field and the server still restarts with
 * every other client's run intact; a run whose journal cannot be replayed is set aside while the
 * server starts and serves the rest; and a client retrying its POST with the same
 * Idempotency-Key across kill -9 gets one run, with every side effect made under one key.
 */
class JournalHardeningApiTest {
    enum Store { H2, POSTGRES }

    private static final Duration AWAIT = Duration.ofSeconds(30);
    /** The upstream the plans call; reset before each test. */
    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance().options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40)).build();

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("journal-hardening");


    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void overLongDurationsAreRefusedNamingTheFieldAndTheServerStillRestarts() {
        ServerProcess first = start(null);
        Api api = first.api();
        String other = api.startRun("another client's run", "{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {},"
                + " \"approval\": \"required\"}]}").path("id").asText();
        api.awaitTaskStatus(other, "gate", "WAITING_APPROVAL");

        String huge = "PT30000000000000000S";
        Map<String, String> plans = new LinkedHashMap<>();
        plans.put("wait", "{\"tasks\": [{\"id\": \"w\", \"wait\": \"" + huge + "\"}]}");
        plans.put("timeout", "{\"tasks\": [{\"id\": \"w\", \"tool\": \"echo\", \"args\": {}, \"timeout\": \"" + huge + "\"}]}");
        plans.put("approval.timeout", "{\"tasks\": [{\"id\": \"w\", \"tool\": \"echo\", \"args\": {},"
                + " \"approval\": {\"timeout\": \"" + huge + "\"}}]}");
        plans.put("retry.backoff", "{\"tasks\": [{\"id\": \"w\", \"tool\": \"echo\", \"args\": {},"
                + " \"retry\": {\"maxAttempts\": 2, \"backoff\": \"P99999D\"}}]}");
        for (var entry : plans.entrySet()) {
            ObjectNode body = Json.object().put("goal", "x");
            body.set("plan", parse(entry.getValue()));
            Api.Response response = api.post("/api/runs", body);
            assertEquals(400, response.status(), entry.getKey() + ": " + response.body());
            assertEquals("plan_invalid", response.errorCode(), response.body());
            JsonNode problem = response.json().path("error").path("details").path("problems").get(0);
            assertEquals(entry.getKey(), problem.path("field").asText(), response.body());
            assertTrue(problem.path("message").asText().contains("at most P3650D"), response.body());
        }
        ObjectNode trigger = Json.object().put("name", "too-rare").put("goal", "x");
        trigger.putObject("schedule").put("every", huge);
        trigger.set("plan", parse("{\"tasks\": [{\"id\": \"e\", \"tool\": \"echo\", \"args\": {}}]}"));
        Api.Response refused = api.post("/api/triggers", trigger);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.body().contains("schedule.every"), refused.body());

        first.kill();
        ServerProcess second = start(null);
        Api again = second.api();
        assertEquals("WAITING_APPROVAL", Api.task(again.run(other), "gate").path("status").asText());
        Api.Response approved = again.post("/api/runs/" + other + "/tasks/gate/approval", Json.object().put("decision", "approve"));
        assertEquals(200, approved.status(), approved.body());
        assertEquals("SUCCEEDED", again.awaitRunStatus(other, "SUCCEEDED").path("status").asText());
    }

    /** A run with a gap in its seqs (as a failed write once left) must not keep the server from starting. */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRunTheJournalCannotReplayIsSetAsideAndTheServerServesTheRest() throws Exception {
        ServerProcess first = start(null);
        String plan = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}},"
                + " {\"id\": \"gate\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\", \"dependsOn\": [\"a\"]}]}";
        String broken = first.api().startRun("broken", plan).path("id").asText();
        String healthy = first.api().startRun("healthy", plan).path("id").asText();
        first.api().awaitTaskStatus(broken, "gate", "WAITING_APPROVAL");
        first.api().awaitTaskStatus(healthy, "gate", "WAITING_APPROVAL");
        first.kill();

        // Cut an event out of the middle of one run, as a lost write once did.
        String url = "jdbc:h2:file:" + servers.dataDir().resolve("journal").resolve("baton").toAbsolutePath() + ";MAX_LENGTH_INPLACE_LOB=4096";
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement delete = c.prepareStatement("DELETE FROM baton_events WHERE run_id = ? AND seq = 3")) {
            delete.setString(1, broken);
            assertEquals(1, delete.executeUpdate());
        }

        ServerProcess second = start(null);
        Api api = second.api();
        JsonNode health = api.get("/api/health").json();
        assertTrue(health.path("runsSetAside").has(broken), "health names the run set aside: " + health);
        Api.Response unreadable = api.get("/api/runs/" + broken);
        assertEquals(409, unreadable.status(), unreadable.body());
        assertEquals("run_unreadable", unreadable.errorCode(), unreadable.body());
        String metrics = api.get("/metrics").body();
        assertTrue(metrics.contains("\nbaton_runs_set_aside 1"), "the metric counts it");
        assertTrue(second.logTail().contains("set aside"), "the log says so");
        // The console's first page says so too, and links to the run.
        try (Browser browser = Browser.launch(); Browser.Tab tab = browser.open(api.base())) {
            tab.page.navigate("/");
            Locator notice = tab.page.locator("section.set-aside");
            assertThat(notice).containsText("1 run was set aside");
            assertThat(notice.locator("a[href='/runs/" + broken + "']")).hasText(broken);
            assertThat(notice).containsText("cannot be applied");
            assertEquals(List.of(), tab.errors, "no console errors");
        }

        Api.Response approved = api.post("/api/runs/" + healthy + "/tasks/gate/approval", Json.object().put("decision", "approve"));
        assertEquals(200, approved.status(), approved.body());
        assertEquals("SUCCEEDED", api.awaitRunStatus(healthy, "SUCCEEDED").path("status").asText());
    }

    /**
     * Clients post runs with an Idempotency-Key while the server is killed with SIGKILL, three
     * times, and retry every request whose answer they did not get. Each key ends with exactly one
     * run that succeeded, and the upstream saw each request's call under one idempotency key only
     * (before the fix, a call could start before its run was durable: a lost answer then led the
     * retry to create a second run, calling again under its key).
     */
    @ParameterizedTest
    @EnumSource(Store.class)
    @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void postsRetriedAcrossKillsMakeOneRunAndCallUnderOneKey(Store store) throws Exception {
        String dbUrl = store == Store.H2 ? null : servers.postgresUrl();
        upstream.stubFor(get(urlPathEqualTo("/effect")).willReturn(aResponse().withBody("{\"ok\": true}")
                .withHeader("Content-Type", "application/json")));
        int perCycle = 40;
        int cycles = 3;
        Map<String, String> runOfKey = new HashMap<>();
        List<String> lost = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            ServerProcess server = start(dbUrl);
            for (int cycle = 0; cycle < cycles; cycle++) {
                List<String> keys = new ArrayList<>(lost);
                for (int i = 0; i < perCycle; i++) keys.add("req-" + cycle + "-" + i);
                lost.clear();
                Api api = server.api();
                List<Future<String>> answers = new ArrayList<>();
                for (String key : keys) answers.add(clients.submit(() -> post(api, key)));
                // Kill it in the middle of the burst: some answers are lost, some calls in flight.
                Api.await(() -> upstream.findAll(getRequestedFor(urlPathEqualTo("/effect"))).size(),
                        n -> n >= 5, AWAIT, "some calls to reach the upstream");
                server.kill();
                for (int i = 0; i < keys.size(); i++) {
                    String runId = answers.get(i).get(60, TimeUnit.SECONDS);
                    if (runId == null) lost.add(keys.get(i)); else record(runOfKey, keys.get(i), runId);
                }
                server = start(dbUrl);
            }
            // The last retries, on a server left alone.
            Api api = server.api();
            for (String key : lost) {
                String runId = post(api, key);
                assertTrue(runId != null, "a retry on a quiet server is answered: " + key);
                record(runOfKey, key, runId);
            }
            assertEquals(perCycle * cycles, runOfKey.size(), "every request has its run");
            for (var entry : runOfKey.entrySet()) {
                JsonNode run = api.awaitRun(entry.getValue(), r -> r.path("status").asText().matches("SUCCEEDED|FAILED"), AWAIT);
                assertEquals("SUCCEEDED", run.path("status").asText(), entry.getKey() + ": " + run);
            }
        } finally {
            clients.shutdownNow();
        }
        Map<String, Set<String>> keysSeen = new HashMap<>();
        for (LoggedRequest call : upstream.findAll(getRequestedFor(urlPathEqualTo("/effect")))) {
            String request = call.queryParameter("req").firstValue();
            keysSeen.computeIfAbsent(request, r -> new HashSet<>()).add(call.getHeader("Idempotency-Key"));
        }
        assertEquals(runOfKey.keySet(), keysSeen.keySet(), "the upstream saw every request's call, and no other");
        for (var entry : keysSeen.entrySet()) {
            assertEquals(Set.of(runOfKey.get(entry.getKey()) + "/call"), entry.getValue(),
                    "request " + entry.getKey() + " was called under one key, its run's");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Posts the request's run; its id, or null if the answer was lost or was not 201/200. */
    private static String post(Api api, String key) {
        ObjectNode body = Json.object().put("goal", "effect " + key);
        body.set("plan", parse(("{\"tasks\": [{\"id\": \"call\", \"tool\": \"http.request\", \"args\": {\"method\": \"GET\","
                + " \"url\": \"http://127.0.0.1:" + upstream.getPort() + "/effect?req=" + key + "\"}}]}")));
        try {
            Api.Response response = api.post("/api/runs", Json.write(body), "application/json", key);
            return response.status() == 201 || response.status() == 200 ? response.json().path("id").asText() : null;
        } catch (RuntimeException connectionLost) {
            return null;
        }
    }

    private static void record(Map<String, String> runOfKey, String key, String runId) {
        String before = runOfKey.putIfAbsent(key, runId);
        if (before != null) assertEquals(before, runId, "the key " + key + " answered two different runs");
    }

    private ServerProcess start(String dbUrl) {
        return servers.start(dbUrl);
    }

    private static JsonNode parse(String json) {
        try {
            return Json.parse(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
