package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bearer tokens and roles: viewer reads, operator submits and cancels, approver decides,
 * admin does everything; the decider is recorded from the token, never from the body.
 */
class AuthApiTest {
    static final String PLAN = "{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config);
    static final Api anonymous = servers.api();
    static final Api viewer = anonymous.as(Tokens.VIEWER);
    static final Api operator = anonymous.as(Tokens.OPERATOR);
    static final Api approver = anonymous.as(Tokens.APPROVER);
    static final Api admin = anonymous.as(Tokens.ADMIN);

    private static String startRun(Api as) {
        Api.Response created = as.post("/api/runs", "{\"goal\": \"auth\", \"plan\": " + PLAN + "}");
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        admin.awaitTaskStatus(runId, "gate", "WAITING_APPROVAL");
        return runId;
    }

    @Test
    void withoutATokenEveryApiRouteIs401WithAChallenge() {
        for (String path : List.of("/api/runs", "/api/health", "/api/tools", "/api/approvals", "/api/nope")) {
            Api.Response response = anonymous.get(path);
            assertError(response, 401, "unauthorized", "bearer token");
            assertNotNull(response.header("WWW-Authenticate"), path + " challenges the client");
            assertTrue(response.header("WWW-Authenticate").startsWith("Bearer"), response.header("WWW-Authenticate"));
        }
        assertError(anonymous.post("/api/runs", "{\"goal\": \"x\", \"plan\": " + PLAN + "}"), 401, "unauthorized");
        assertEquals(0, admin.get("/api/runs?limit=500").json().path("runs").findValues("goal").stream()
                .filter(g -> g.asText().equals("x")).count(), "the anonymous request created nothing");
    }

    @Test
    void aWrongTokenIs401() {
        Api.Response wrong = anonymous.as("not-a-token-of-this-server").get("/api/runs");
        assertError(wrong, 401, "unauthorized", "not valid");
        assertNotNull(wrong.header("WWW-Authenticate"));
        // a prefix of a real token is not that token
        assertError(anonymous.as(Tokens.ADMIN.substring(0, Tokens.ADMIN.length() - 1)).get("/api/runs"), 401, "unauthorized");
        // nor is a token sent under another scheme
        Api.Response basic = anonymous.send(anonymous.request("/api/runs").header("Authorization", "Basic " + Tokens.ADMIN).GET());
        assertError(basic, 401, "unauthorized");
    }

    @Test
    void aViewerReadsButCannotChangeAnything() {
        String runId = startRun(operator);
        assertEquals(200, viewer.get("/api/runs").status());
        assertEquals(200, viewer.get("/api/runs/" + runId).status());
        assertEquals(200, viewer.get("/api/approvals").status());
        assertEquals(200, viewer.get("/api/tools").status());
        assertEquals(200, viewer.get("/api/health").status());

        assertError(viewer.post("/api/runs", "{\"goal\": \"viewer\", \"plan\": " + PLAN + "}"), 403, "forbidden", "vera", "operator");
        assertError(viewer.post("/api/runs/" + runId + "/cancel", null), 403, "forbidden", "vera");
        assertError(viewer.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"approve\"}"), 403, "forbidden",
                "approver");
        assertError(viewer.post("/api/runs/" + runId + "/tasks/gate/retry", null), 403, "forbidden");
        JsonNode run = admin.run(runId);
        assertEquals("RUNNING", run.path("status").asText(), "nothing the viewer tried changed the run");
        assertEquals("WAITING_APPROVAL", Api.task(run, "gate").path("status").asText());
        assertEquals(200, admin.post("/api/runs/" + runId + "/cancel", null).status());
    }

    @Test
    void anOperatorStartsAndCancelsRunsButCannotApprove() {
        String runId = startRun(operator);
        assertError(operator.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"approve\"}"), 403, "forbidden",
                "otto", "approver");
        assertEquals("WAITING_APPROVAL", Api.task(admin.run(runId), "gate").path("status").asText());

        Api.Response cancelled = operator.post("/api/runs/" + runId + "/cancel", null);
        assertEquals(200, cancelled.status(), cancelled.body());
        assertEquals("CANCELLED", cancelled.json().path("status").asText());
        JsonNode last = lastEvent(runId);
        assertEquals("RunCancelled", last.path("type").asText());
        assertEquals("otto", last.path("data").path("by").asText(), "the cancel is recorded under the token's name");
    }

    @Test
    void anApproverDecidesButCannotStartRuns() {
        String runId = startRun(operator);
        assertError(approver.post("/api/runs", "{\"goal\": \"approver\", \"plan\": " + PLAN + "}"), 403, "forbidden", "alice", "operator");
        assertError(approver.post("/api/runs/" + runId + "/cancel", null), 403, "forbidden", "alice");

        // the body's "by" (and any other unknown field) cannot choose who decided
        Api.Response approved = approver.post("/api/runs/" + runId + "/tasks/gate/approval",
                "{\"decision\": \"approve\", \"by\": \"mallory\", \"decidedBy\": \"mallory\", \"comment\": \"ok\"}");
        assertEquals(200, approved.status(), approved.body());
        assertEquals("alice", approved.json().path("approval").path("decidedBy").asText());
        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("alice", Api.task(done, "gate").path("approval").path("decidedBy").asText());
    }

    @Test
    void anAdminDoesEverything() {
        String runId = startRun(admin);
        Api.Response approved = admin.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"reject\", \"by\": \"alice\"}");
        assertEquals(200, approved.status(), approved.body());
        assertEquals("root", approved.json().path("approval").path("decidedBy").asText());
        admin.awaitRunStatus(runId, "FAILED");
        String other = startRun(admin);
        assertEquals(200, admin.post("/api/runs/" + other + "/cancel", null).status());
    }

    @Test
    void theEventStreamsRequireATokenAndAcceptItAsAParameter() {
        String runId = startRun(operator);
        assertEquals(200, admin.post("/api/runs/" + runId + "/cancel", null).status());

        try (Sse sse = Sse.open(anonymous, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(401, sse.status(), "a run's stream needs a token");
            assertEquals("unauthorized", sse.errorJson().path("error").path("code").asText());
        }
        try (Sse sse = Sse.open(anonymous, "/api/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(401, sse.status(), "the all-runs stream needs a token");
        }
        try (Sse sse = Sse.open(anonymous, "/api/runs/" + runId + "/events?access_token=wrong-token-0000000000", Map.of(),
                Duration.ofSeconds(10))) {
            assertEquals(401, sse.status(), "a wrong token as a parameter is refused too");
        }
        String withToken = "/api/runs/" + runId + "/events?access_token=" + URLEncoder.encode(Tokens.VIEWER, StandardCharsets.UTF_8);
        try (Sse sse = Sse.open(anonymous, withToken, Map.of(), Duration.ofSeconds(10))) {
            assertEquals(200, sse.status(), sse.errorBody());
            List<Sse.Event> events = sse.readToEnd(Duration.ofSeconds(10));
            assertEquals("RunCreated", events.get(0).type());
            assertEquals("RunCancelled", events.get(events.size() - 1).type());
        }
        try (Sse sse = Sse.open(viewer, "/api/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(200, sse.status(), "a viewer may follow every run");
        }
    }

    @Test
    void onlyTheEventStreamsTakeTheTokenAsAParameter() {
        String operatorToken = URLEncoder.encode(Tokens.OPERATOR, StandardCharsets.UTF_8);
        Api.Response post = anonymous.post("/api/runs?access_token=" + operatorToken, "{\"goal\": \"via url\", \"plan\": " + PLAN + "}");
        assertError(post, 401, "unauthorized");
        assertError(anonymous.get("/api/runs?access_token=" + operatorToken), 401, "unauthorized");
        assertEquals(0, admin.get("/api/runs?limit=500").json().path("runs").findValues("goal").stream()
                .filter(g -> g.asText().equals("via url")).count(), "a token in the URL of a POST started nothing");
    }

    private static JsonNode lastEvent(String runId) {
        try (Sse sse = Sse.open(viewer, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            List<Sse.Event> events = sse.readToEnd(Duration.ofSeconds(10));
            return events.get(events.size() - 1).data();
        }
    }
}
