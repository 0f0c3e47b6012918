package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conditions, joins, fallbacks and compensation over real HTTP against a real server, with
 * WireMock as the services the tasks call (and undo).
 */
class FlowApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static WireMockServer upstream;
    static final Api api = servers.api();

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterAll
    static void stop() {
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
        // POST /orders/<name> creates an order whose id is <name>; DELETE /orders/<id> undoes it.
        upstream.stubFor(post(urlPathMatching("/orders/[a-z]+")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withTransformers("response-template").withBody("{\"id\": \"{{request.pathSegments.[1]}}\"}")));
        upstream.stubFor(delete(urlPathMatching("/orders/[a-z]+")).willReturn(aResponse().withStatus(204)));
        upstream.stubFor(get("/missing").willReturn(aResponse().withStatus(404)));
        upstream.stubFor(get("/down").willReturn(aResponse().withStatus(503)));
        upstream.stubFor(get("/backup").willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"from\": \"backup\"}")));
        upstream.stubFor(get("/slow").willReturn(aResponse().withBody("late").withFixedDelay(10_000)));
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + upstream.port() + path;
    }

    private static String status(JsonNode run, String taskId) {
        return Api.task(run, taskId).path("status").asText();
    }

    private static JsonNode finished(String runId) {
        return api.awaitRun(runId, run -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATION_FAILED")
                .contains(run.path("status").asText()), Duration.ofSeconds(30));
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("type").asText()).toList();
    }

    static final String IF_ELSE = """
            {"tasks": [
              {"id": "classify", "tool": "echo", "args": {"category": "${input.category}"}},
              {"id": "refund", "tool": "echo", "args": {"path": "refund"}, "when": "classify.output.category == 'refund'"},
              {"id": "answer", "tool": "echo", "args": {"path": "answer"}, "when": "classify.output.category != 'refund'"},
              {"id": "log-refund", "tool": "echo", "args": {}, "dependsOn": ["refund"]},
              {"id": "close", "tool": "echo", "args": {"r": "${refund.output.path}", "a": "${answer.output.path}"}, "join": "any"}
            ]}""";

    private static String startWithInput(String plan, String input) {
        String body = "{\"goal\": \"flow\", \"input\": " + input + ", \"plan\": " + plan + "}";
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        return created.json().path("id").asText();
    }

    @Test
    void ifElseTakesEachBranchOverHttp() {
        JsonNode refund = finished(startWithInput(IF_ELSE, "{\"category\": \"refund\"}"));
        assertEquals("SUCCEEDED", refund.path("status").asText(), refund.toString());
        assertEquals("SUCCEEDED", status(refund, "refund"));
        assertEquals("SKIPPED", status(refund, "answer"));
        assertEquals("condition is false: classify.output.category != 'refund'", Api.task(refund, "answer").path("skipReason").asText());
        assertEquals("SUCCEEDED", status(refund, "log-refund"));
        assertEquals("refund", Api.task(refund, "close").path("output").path("r").asText());
        assertEquals("classify.output.category == 'refund'", Api.task(refund, "refund").path("when").asText());
        assertEquals("any", Api.task(refund, "close").path("join").asText());
        assertTrue(Api.task(refund, "close").path("dependsOn").toString().contains("refund"));

        String otherId = startWithInput(IF_ELSE, "{\"category\": \"question\"}");
        JsonNode other = finished(otherId);
        assertEquals("SUCCEEDED", other.path("status").asText());
        assertEquals("SKIPPED", status(other, "refund"));
        assertEquals("SUCCEEDED", status(other, "answer"));
        assertEquals("SKIPPED", status(other, "log-refund"), "a dependant of the branch not taken skips with it");
        assertEquals("SUCCEEDED", status(other, "close"), "join any: one branch is enough");
        assertEquals("answer", Api.task(other, "close").path("output").path("a").asText());
        List<JsonNode> events = api.events(otherId, null, 1000);
        assertTrue(events.stream().anyMatch(e -> e.path("type").asText().equals("TaskSkipped") && e.path("taskId").asText().equals("refund")
                && e.toString().contains("condition is false")), "the skip and its reason are in the event stream: " + events);
    }

    @Test
    void aSwitchTakesOneOfThreeCases() {
        String plan = """
                {"tasks": [
                  {"id": "size", "tool": "echo", "args": {"n": "${input.n}"}},
                  {"id": "small", "tool": "echo", "args": {}, "when": "size.output.n < 10"},
                  {"id": "medium", "tool": "echo", "args": {}, "when": "size.output.n >= 10 and size.output.n < 100"},
                  {"id": "large", "tool": "echo", "args": {}, "when": "size.output.n >= 100"},
                  {"id": "done", "tool": "echo", "args": {}, "dependsOn": ["small", "medium", "large"], "join": "any"}
                ]}""";
        for (int n : new int[]{3, 42, 500}) {
            JsonNode run = finished(startWithInput(plan, "{\"n\": " + n + "}"));
            String expected = n < 10 ? "small" : n < 100 ? "medium" : "large";
            for (String branch : List.of("small", "medium", "large")) {
                assertEquals(branch.equals(expected) ? "SUCCEEDED" : "SKIPPED", status(run, branch), n + ": " + branch);
            }
            assertEquals("SUCCEEDED", status(run, "done"));
        }
    }

    @Test
    void theValidatorNamesTaskAndFieldForAnUnknownOperatorOrTask() {
        Api.Response operator = api.post("/api/runs", """
                {"goal": "bad", "plan": {"tasks": [{"id": "a", "tool": "echo", "args": {}},
                  {"id": "b", "tool": "echo", "args": {}, "when": "a.output.x =~ 'y'"}]}}""");
        JsonNode error = assertError(operator, 400, "plan_invalid", "task 'b', field 'when': unknown operator '=~' at 12");
        assertEquals("when", error.path("details").path("problems").get(0).path("field").asText());

        Api.Response task = api.post("/api/runs", """
                {"goal": "bad", "plan": {"tasks": [{"id": "classify", "tool": "echo", "args": {}},
                  {"id": "b", "tool": "echo", "args": {}, "when": "clasify.status == 'SUCCEEDED'"}]}}""");
        assertError(task, 400, "plan_invalid", "task 'b', field 'when': refers to unknown task 'clasify' at 1", "did you mean 'classify'");
    }

    @Test
    void aFallbackRunsOnceTheRetriesAreSpent() {
        String runId = api.startRun("fallback", """
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"url": "%s"}, "retry": {"maxAttempts": 2, "backoff": "PT0.05S"},
                   "fallback": {"tool": "http.request", "args": {"url": "%s", "headers": {"X-Why": "${fetch.error.code}"}}}},
                  {"id": "use", "tool": "echo", "args": {"from": "${fetch.output.body.from}"}}
                ]}""".formatted(url("/down"), url("/backup"))).path("id").asText();
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(2, upstream.findAll(getRequestedFor(urlEqualTo("/down"))).size(), "both attempts first");
        List<LoggedRequest> backup = upstream.findAll(getRequestedFor(urlEqualTo("/backup")));
        assertEquals(1, backup.size());
        assertEquals("http_503", backup.get(0).getHeader("X-Why"), "the fallback's args read the task's error");
        assertEquals(runId + "/fetch/fallback", backup.get(0).getHeader("Idempotency-Key"));
        JsonNode fetch = Api.task(run, "fetch");
        assertEquals("SUCCEEDED", fetch.path("status").asText());
        assertEquals("SUCCEEDED", fetch.path("fallback").path("status").asText());
        assertEquals("backup", Api.task(run, "use").path("output").path("from").asText(), "the fallback's output stands in");
        List<String> types = types(api.events(runId, null, 1000));
        assertTrue(types.contains("FallbackStarted") && types.contains("FallbackSucceeded"), types.toString());
    }

    static String undoable(String last) {
        return """
                {"tasks": [
                  {"id": "first", "tool": "http.request", "args": {"method": "POST", "url": "%s"},
                   "compensate": {"tool": "http.request", "args": {"method": "DELETE", "url": "%s${first.output.body.id}"}}},
                  {"id": "second", "tool": "http.request", "args": {"method": "POST", "url": "%s"}, "dependsOn": ["first"],
                   "compensate": {"tool": "http.request", "args": {"method": "DELETE", "url": "%s${second.output.body.id}"}}},
                  {"id": "last", "tool": "http.request", "args": {"url": "%s"}, "dependsOn": ["second"]}
                ]}""".formatted(url("/orders/one"), url("/orders/"), url("/orders/two"), url("/orders/"), url(last));
    }

    private static List<String> deletes() {
        return upstream.findAll(deleteRequestedFor(anyUrl())).stream()
                .map(r -> r.getUrl() + " " + r.getHeader("Idempotency-Key")).toList();
    }

    @Test
    void aFailedRunUndoesItsTasksNewestFirst() {
        String runId = api.startRun("undo on failure", undoable("/missing")).path("id").asText();
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals(List.of("/orders/two " + runId + "/second/compensate", "/orders/one " + runId + "/first/compensate"), deletes());
        assertEquals("SUCCEEDED", Api.task(run, "first").path("compensation").path("status").asText());
        assertEquals("DELETE", Api.task(run, "second").path("compensation").path("args").path("method").asText());
        List<String> types = types(api.events(runId, null, 1000));
        assertEquals("RunFailed", types.get(types.size() - 1));
        assertTrue(types.contains("RunUnwinding") && types.indexOf("RunUnwinding") < types.indexOf("CompensationStarted"), types.toString());
    }

    @Test
    void aCancelledRunUndoesItsCompletedTasks() {
        String runId = api.startRun("undo on cancel", undoable("/slow")).path("id").asText();
        api.awaitTaskStatus(runId, "last", "RUNNING");
        Api.Response cancelled = api.post("/api/runs/" + runId + "/cancel", Json.object());
        assertEquals(200, cancelled.status(), cancelled.body());
        JsonNode run = finished(runId);
        assertEquals("CANCELLED", run.path("status").asText(), run.toString());
        assertEquals("CANCELLED", status(run, "last"));
        assertEquals(List.of("/orders/two " + runId + "/second/compensate", "/orders/one " + runId + "/first/compensate"), deletes());
    }

    @Test
    void aCompensationThatFailsForGoodSaysSoAndCanBeRetried() {
        upstream.stubFor(delete("/orders/two").willReturn(aResponse().withStatus(409).withBody("locked")));
        String runId = api.startRun("undo fails", undoable("/missing")).path("id").asText();
        JsonNode run = finished(runId);
        assertEquals("COMPENSATION_FAILED", run.path("status").asText(), run.toString());
        assertEquals("compensation_failed", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("task 'second'"), run.toString());
        assertEquals("FAILED", Api.task(run, "second").path("compensation").path("status").asText());
        assertEquals("PENDING", Api.task(run, "first").path("compensation").path("status").asText(),
                "first waits for second: one at a time, in order");
        List<String> types = types(api.events(runId, null, 1000));
        assertEquals("CompensationFailed", types.get(types.size() - 1), "the stream ends with the failure: " + types);
        JsonNode listed = api.get("/api/runs?status=COMPENSATION_FAILED").json().path("runs");
        assertTrue(listed.toString().contains(runId), "the journal's run list knows the status: " + listed);

        assertError(api.post("/api/runs/" + runId + "/tasks/last/retry", Json.object()), 409, "conflict");
        upstream.stubFor(delete("/orders/two").willReturn(aResponse().withStatus(204)));
        Api.Response retried = api.post("/api/runs/" + runId + "/compensation/retry", Json.object());
        assertEquals(200, retried.status(), retried.body());
        JsonNode done = api.awaitRunStatus(runId, "FAILED");
        assertEquals("task 'last' failed: " + Api.task(done, "last").path("error").path("message").asText(),
                done.path("error").path("message").asText(), "the run's own failure is back once unwound");
        assertEquals(List.of("/orders/two " + runId + "/second/compensate", "/orders/two " + runId + "/second/compensate",
                "/orders/one " + runId + "/first/compensate"), deletes());
        assertError(api.post("/api/runs/" + runId + "/compensation/retry", Json.object()), 409, "conflict", "only a COMPENSATION_FAILED run");
    }
}
