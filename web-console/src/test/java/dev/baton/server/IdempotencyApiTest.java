package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code Idempotency-Key} on POST /api/runs: a repeated request returns the run it created, never a second one. */
class IdempotencyApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    private static String body(String goal) {
        return "{\"goal\": \"" + goal + "\", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"goal\": \"" + goal + "\"}}]}}";
    }

    private static Api.Response post(Api on, String body, String key) {
        return on.post("/api/runs", body, "application/json", key);
    }

    /** How many runs with this goal GET /api/runs lists. */
    private static int listed(Api on, String goal) {
        Api.Response list = on.get("/api/runs?limit=500");
        assertEquals(200, list.status(), list.body());
        int n = 0;
        for (JsonNode run : list.json().path("runs")) if (run.path("goal").asText().equals(goal)) n++;
        return n;
    }

    @Test
    void theSameRequestTwiceReturnsTheSameRun() {
        String goal = "once " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        Api.Response first = post(api, body(goal), key);
        assertEquals(201, first.status(), first.body());
        assertNull(first.header("Idempotent-Replayed"), "the first request is not a replay");
        String runId = first.json().path("id").asText();

        Api.Response second = post(api, body(goal), key);
        assertEquals(201, second.status(), second.body());
        assertEquals(runId, second.json().path("id").asText(), "the replay returns the run the first request created");
        assertEquals("true", second.header("Idempotent-Replayed"));
        assertEquals(first.header("Location"), second.header("Location"));
        assertEquals(1, listed(api, goal), "only one run was created");

        // a replay after the run finished shows the run as it is now
        api.awaitRunStatus(runId, "SUCCEEDED");
        Api.Response third = post(api, body(goal), key);
        assertEquals(201, third.status());
        assertEquals(runId, third.json().path("id").asText());
        assertEquals("SUCCEEDED", third.json().path("status").asText());
        assertEquals(1, listed(api, goal));
    }

    @Test
    void theSameJsonWithOtherWhitespaceIsTheSameRequest() {
        String goal = "spacing " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        String compact = body(goal);
        String spaced = compact.replace(":", " :  ").replace(",", " ,\n ");
        Api.Response first = post(api, compact, key);
        Api.Response second = post(api, spaced, key);
        assertEquals(201, second.status(), second.body());
        assertEquals(first.json().path("id").asText(), second.json().path("id").asText());
        assertEquals(1, listed(api, goal));
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() {
        String goal = "reused " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        Api.Response first = post(api, body(goal), key);
        assertEquals(201, first.status(), first.body());
        String runId = first.json().path("id").asText();

        String otherGoal = goal + " (changed)";
        assertError(post(api, body(otherGoal), key), 422, "idempotency_key_reused", key, runId, "different request");
        assertEquals(1, listed(api, goal));
        assertEquals(0, listed(api, otherGoal), "the different request created nothing");
    }

    @Test
    void keysThatTriggersAndTicketsUseAreRefused() {
        String goal = "reserved " + UUID.randomUUID();
        assertError(post(api, body(goal), "trigger:nightly@2026-11-23T00:00:00Z"), 400, "bad_request", "reserved");
        assertError(post(api, body(goal), "ticket:external:42"), 400, "bad_request", "reserved");
        assertEquals(0, listed(api, goal), "nothing was started");
    }

    @Test
    void optionsThatMarkTicketAndTriggerRunsAreRefused() {
        String goal = "marked " + UUID.randomUUID();
        String plan = "\"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";
        assertError(api.post("/api/runs", "{\"goal\": \"" + goal + "\", " + plan + ", \"options\": {\"ticket\": {\"id\": \"t_1\", \"action\": \"reroute\"}}}",
                "application/json", null), 400, "bad_request", "'ticket'");
        assertError(api.post("/api/runs", "{\"goal\": \"" + goal + "\", " + plan + ", \"options\": {\"trigger\": {\"name\": \"x\"}}}",
                "application/json", null), 400, "bad_request", "/api/triggers");
        assertEquals(0, listed(api, goal), "nothing was started");
    }

    @Test
    void differentKeysCreateDifferentRuns() {
        String goal = "twice " + UUID.randomUUID();
        Api.Response a = post(api, body(goal), UUID.randomUUID().toString());
        Api.Response b = post(api, body(goal), UUID.randomUUID().toString());
        Api.Response c = post(api, body(goal), null);
        assertNotEquals(a.json().path("id").asText(), b.json().path("id").asText());
        assertNotEquals(b.json().path("id").asText(), c.json().path("id").asText());
        assertEquals(3, listed(api, goal));
    }

    @Test
    void concurrentRequestsWithOneKeyCreateOneRun() throws Exception {
        String goal = "concurrent " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        int clients = 10;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Api.Response>> futures = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return post(api, body(goal), key);
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            int replayed = 0;
            for (Future<Api.Response> future : futures) {
                Api.Response response = future.get(30, TimeUnit.SECONDS);
                assertEquals(201, response.status(), response.body());
                ids.add(response.json().path("id").asText());
                if ("true".equals(response.header("Idempotent-Replayed"))) replayed++;
            }
            assertEquals(1, ids.size(), "every request got the same run: " + ids);
            assertEquals(clients - 1, replayed, "one request created the run, the others were replays");
            assertEquals(1, listed(api, goal), "one run was created");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theKeyOutlivesARestart() {
        var config = TestServer.config();
        String goal = "durable " + UUID.randomUUID();
        String key = UUID.randomUUID().toString();
        String runId;
        try (TestServer first = TestServer.start(config, registry -> {
        })) {
            Api.Response created = post(first.api(), body(goal), key);
            assertEquals(201, created.status(), created.body());
            runId = created.json().path("id").asText();
            first.api().awaitRunStatus(runId, "SUCCEEDED");
        }
        try (TestServer second = TestServer.start(config.withPort(0), registry -> {
        })) {
            Api.Response replay = post(second.api(), body(goal), key);
            assertEquals(201, replay.status(), replay.body());
            assertEquals(runId, replay.json().path("id").asText(), "the journal remembers the key");
            assertEquals("true", replay.header("Idempotent-Replayed"));
            assertEquals(1, listed(second.api(), goal));
            assertError(post(second.api(), body(goal + "!"), key), 422, "idempotency_key_reused");
        }
    }
}
