package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code options.planApproval}: the run waits with its plan until a person approves, edits or rejects it. */
class PlanApprovalApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    private static String startAwaitingApproval() throws Exception {
        ObjectNode body = Json.object();
        body.put("goal", "greet after approval");
        body.set("plan", Json.parse("{\"tasks\": [{\"id\": \"greet\", \"tool\": \"echo\", \"args\": {\"text\": \"hi\"}}]}"));
        body.putObject("options").put("planApproval", true);
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        assertEquals("AWAITING_PLAN_APPROVAL", created.json().path("status").asText());
        assertEquals("PENDING", Api.task(created.json(), "greet").path("status").asText());
        return created.json().path("id").asText();
    }

    @Test
    void approvingThePlanStartsTheRun() throws Exception {
        String runId = startAwaitingApproval();
        Api.Response approved = api.post("/api/runs/" + runId + "/plan/approval", "{\"decision\": \"approve\"}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("hi", Api.task(done, "greet").path("output").path("text").asText());
        assertEquals(1, done.path("plan").path("version").asInt());
        assertError(api.post("/api/runs/" + runId + "/plan/approval", "{\"decision\": \"approve\"}"), 409, "conflict");
    }

    @Test
    void anEditedPlanIsValidatedAndRunsInstead() throws Exception {
        String runId = startAwaitingApproval();
        assertError(api.post("/api/runs/" + runId + "/plan/approval",
                "{\"decision\": \"approve\", \"plan\": {\"tasks\": [{\"id\": \"x\", \"tool\": \"nope\"}]}}"), 400, "plan_invalid");
        assertEquals("AWAITING_PLAN_APPROVAL", api.run(runId).path("status").asText(), "a rejected edit changes nothing");

        Api.Response approved = api.post("/api/runs/" + runId + "/plan/approval",
                "{\"decision\": \"approve\", \"plan\": {\"tasks\": [{\"id\": \"other\", \"tool\": \"echo\", \"args\": {\"text\": \"edited\"}}]}}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("edited", Api.task(done, "other").path("output").path("text").asText());
        assertEquals(2, done.path("plan").path("version").asInt());
        assertEquals(1, done.path("plan").path("tasks").size());
    }

    @Test
    void rejectingThePlanCancelsTheRun() throws Exception {
        String runId = startAwaitingApproval();
        Api.Response rejected = api.post("/api/runs/" + runId + "/plan/approval", "{\"decision\": \"reject\", \"comment\": \"not today\"}");
        assertEquals(200, rejected.status(), rejected.body());
        assertEquals("CANCELLED", rejected.json().path("status").asText());
        assertEquals("CANCELLED", Api.task(rejected.json(), "greet").path("status").asText());
        assertError(api.post("/api/runs/" + runId + "/plan/approval", "{\"decision\": \"maybe\"}"), 400, "bad_request");
    }
}
