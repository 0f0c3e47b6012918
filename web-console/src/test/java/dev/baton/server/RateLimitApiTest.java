package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.RawHttp;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.util.Map;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-caller rates on the routes that create things: a caller over its rate gets 429 with
 * Retry-After and a JSON error, nothing is created, and another caller is not affected. The
 * limits are set low here (per hour, so that no refill happens during the test).
 */
class RateLimitApiTest {
    static final String PLAN = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> Tokens.config().withEdge(Config.load(new String[]{
            "--rate-runs", "3/h", "--rate-tickets", "2/h", "--rate-triggers", "2/h", "--rate-events", "2/h"}, Map.of()).edge()));
    static final Api otto = servers.api().as(Tokens.OPERATOR);
    static final Api root = servers.api().as(Tokens.ADMIN);

    private static int runCount() {
        return root.get("/api/runs?limit=500").json().path("runs").size();
    }

    private static JsonNode assertRateLimited(Api.Response response, String limit) {
        JsonNode error = assertError(response, 429, "rate_limited", "token 'otto'", limit, "retry after");
        long retryAfter = Long.parseLong(response.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3600, "Retry-After within the period: " + retryAfter);
        assertEquals(limit, error.path("details").path("limit").asText());
        assertEquals(retryAfter, error.path("details").path("retryAfterSeconds").asLong());
        return error;
    }

    @Test
    void aTokenOverItsRunRateGets429AndCreatesNothingWhileAnotherTokenGoesOn() {
        for (int i = 0; i < 3; i++) assertEquals(201, otto.post("/api/runs", "{\"goal\": \"r" + i + "\", \"plan\": " + PLAN + "}").status());
        int before = runCount();
        assertRateLimited(otto.post("/api/runs", "{\"goal\": \"over\", \"plan\": " + PLAN + "}"), "3/h");
        assertEquals(before, runCount(), "the refused request created no run");
        assertEquals(201, root.post("/api/runs", "{\"goal\": \"other caller\", \"plan\": " + PLAN + "}").status(),
                "another token is not affected");
        assertEquals(before + 1, runCount());
        String metrics = root.get("/metrics").body();
        assertTrue(metrics.matches("(?s).*\nbaton_http_rate_limited_total\\{limit=\"runs\"} 1(\\.0)?\n.*"), metrics);
    }

    @Test
    void ticketsAreLimitedPerTokenAndARefusedTicketIsNotCreated() {
        // two requests that fail validation still count: the rate is of requests
        for (int i = 0; i < 2; i++) assertError(otto.post("/api/tickets", "{\"nope\": 1}"), 400, "bad_request");
        assertRateLimited(otto.post("/api/tickets", "{\"subject\": \"s\", \"body\": \"my card was charged twice\"}"), "2/h");
        assertEquals(0, root.get("/api/tickets").json().path("tickets").size(), "no ticket was created");
        assertError(root.post("/api/tickets", "{\"nope\": 1}"), 400, "bad_request"); // root's own bucket: not 429
    }

    @Test
    void triggersAndTriggerEventsAreLimitedPerToken() {
        for (String name : new String[]{"hook-a", "hook-b"}) {
            Api.Response created = otto.post("/api/triggers", "{\"name\": \"" + name + "\", \"goal\": \"g\", \"event\": {}, \"plan\": " + PLAN + "}");
            assertEquals(201, created.status(), created.body());
        }
        assertRateLimited(otto.post("/api/triggers", "{\"name\": \"hook-c\", \"goal\": \"g\", \"event\": {}, \"plan\": " + PLAN + "}"), "2/h");
        assertEquals(404, root.get("/api/triggers/hook-c").status(), "the refused trigger was not created");
        assertEquals(201, root.post("/api/triggers", "{\"name\": \"hook-r\", \"goal\": \"g\", \"event\": {}, \"plan\": " + PLAN + "}").status());

        for (int i = 0; i < 2; i++) assertEquals(202, event(otto, "hook-a", "e" + i).status());
        int before = runCount();
        assertRateLimited(event(otto, "hook-a", "e-over"), "2/h");
        assertEquals(before, runCount(), "the refused event started no run");
        assertEquals(202, event(root, "hook-a", "e-root").status(), "another token is not affected");
    }

    private static Api.Response event(Api as, String trigger, String id) {
        return as.send(as.request("/api/triggers/" + trigger + "/events").header("Content-Type", "application/json")
                .header("X-Baton-Event-Id", id).POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")));
    }

    @Test
    void withoutTokensEachClientAddressHasItsOwnRate() {
        EdgeSettings edge = Config.load(new String[]{"--rate-runs", "2/h"}, Map.of()).edge();
        try (TestServer local = TestServer.start(TestServer.config().withEdge(edge), r -> {
        })) {
            String run = "{\"goal\": \"local\", \"plan\": " + PLAN + "}";
            String request = RawHttp.request("POST", "/api/runs", "127.0.0.1:" + local.port(), Map.of("Content-Type", "application/json"), run);
            for (int i = 0; i < 2; i++) assertEquals(201, RawHttp.exchange(local.port(), request, "127.0.0.1").status());
            Api.Response over = RawHttp.exchange(local.port(), request, "127.0.0.1");
            assertError(over, 429, "rate_limited", "address 127.0.0.1", "BATON_RATE_RUNS");
            assertEquals(201, RawHttp.exchange(local.port(), request, "127.0.0.2").status(), "another client address is not affected");
            assertEquals(3, local.api().get("/api/runs").json().path("runs").size());
        }
    }
}
