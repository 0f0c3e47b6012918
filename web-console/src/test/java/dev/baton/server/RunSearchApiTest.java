package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lists a person works from, over HTTP: GET /api/runs searched by goal and showing how many
 * approvals each run waits for, and GET /api/approvals naming each item's goal.
 */
class RunSearchApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();
    static final String ECHO = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";
    static final List<String> refunds = new ArrayList<>();
    static String percent;

    @BeforeAll
    static void start() {
        refunds.add(api.startRun("Refund order A7", ECHO).path("id").asText());
        api.startRun("Check the website", ECHO);
        refunds.add(api.startRun("please REFUND order b8", ECHO).path("id").asText());
        percent = api.startRun("50%_off for O'Brien", ECHO).path("id").asText();
        api.startRun("5000 off for Obrien", ECHO);
        Api.await(() -> api.get("/api/runs?limit=500").json().path("runs").size(), n -> n >= 5, Duration.ofSeconds(10), "five runs listed");
    }

    private static List<String> ids(String query) {
        Api.Response response = api.get("/api/runs?" + query);
        assertEquals(200, response.status(), response.body());
        List<String> ids = new ArrayList<>();
        for (JsonNode run : response.json().path("runs")) ids.add(run.path("id").asText());
        return ids;
    }

    private static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    @Test
    void theGoalSearchFindsRunsWhoseGoalContainsTheTextIgnoringCase() {
        assertEquals(List.of(refunds.get(1), refunds.get(0)), ids("goal=" + q("refund ORDER")), "newest first");
        assertEquals(List.of(), ids("goal=" + q("no such goal")));
        // with a status too (the list follows the runs a moment behind: wait for both to be listed as done)
        Api.await(() -> ids("goal=refund&status=SUCCEEDED"), List.of(refunds.get(1), refunds.get(0))::equals, Duration.ofSeconds(10),
                "both refunds listed as SUCCEEDED");
        assertEquals(List.of(), ids("goal=refund&status=CANCELLED"));
        // paged with the search kept
        JsonNode first = api.get("/api/runs?limit=1&goal=refund").json();
        assertEquals(refunds.get(1), first.path("runs").get(0).path("id").asText());
        assertEquals(List.of(refunds.get(0)), ids("limit=1&goal=refund&cursor=" + q(first.path("next").asText())));
    }

    @Test
    void theSearchTextIsTakenLiterallyNeverAsAPatternOrSql() {
        assertEquals(List.of(percent), ids("goal=" + q("0%_off")), "% and _ are no wildcards");
        assertEquals(List.of(percent), ids("goal=" + q("o'brien")));
        assertEquals(List.of(), ids("goal=" + q("' OR '1'='1")));
        assertEquals(List.of(), ids("goal=" + q("x') OR 1=1 --")));
        assertTrue(ids("goal=" + q("   ")).size() >= 5, "a blank search is no search");
        assertError(api.get("/api/runs?goal=" + "x".repeat(201)), 400, "bad_request", "'goal'", "200");
    }

    @Test
    void aRunWaitingForPeopleSaysHowManyApprovalsItWaitsForAndTheInboxNamesItsGoal() {
        String runId = api.startRun("Pay two suppliers", """
                {"tasks": [
                  {"id": "pay-a", "title": "Pay supplier A", "tool": "echo", "args": {}, "approval": "required"},
                  {"id": "pay-b", "title": "Pay supplier B", "tool": "echo", "args": {}, "approval": "required"}
                ]}""").path("id").asText();
        JsonNode listed = Api.await(() -> listed(runId), r -> r != null && r.path("waitingApprovals").asInt() == 2,
                Duration.ofSeconds(10), "the run listed with two approvals waiting");
        assertEquals("RUNNING", listed.path("status").asText());
        assertEquals(0, listed(refunds.get(0)).path("waitingApprovals").asInt(), "a run that waits for nobody says 0");

        JsonNode inbox = Api.await(() -> api.get("/api/approvals").json(), items -> items.size() >= 2, Duration.ofSeconds(10), "two items");
        for (JsonNode item : inbox) {
            if (item.path("runId").asText().equals(runId)) assertEquals("Pay two suppliers", item.path("goal").asText(), item.toString());
        }

        Api.Response decided = api.post("/api/runs/" + runId + "/tasks/pay-a/approval", "{\"decision\": \"approve\"}");
        assertEquals(200, decided.status(), decided.body());
        Api.await(() -> listed(runId), r -> r.path("waitingApprovals").asInt() == 1, Duration.ofSeconds(10), "one approval left");
        api.post("/api/runs/" + runId + "/tasks/pay-b/approval", "{\"decision\": \"reject\"}");
        JsonNode done = Api.await(() -> listed(runId), r -> !r.path("status").asText().equals("RUNNING"), Duration.ofSeconds(10), "finished");
        assertEquals(0, done.path("waitingApprovals").asInt());
    }

    /** The run as the runs list shows it, or null. */
    private static JsonNode listed(String runId) {
        for (JsonNode run : api.get("/api/runs?limit=500").json().path("runs")) if (run.path("id").asText().equals(runId)) return run;
        return null;
    }
}
