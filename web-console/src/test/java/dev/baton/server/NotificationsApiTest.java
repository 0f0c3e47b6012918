package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.server.notify.NotificationRules;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notification rules over a real server: each rule's message reaches a WireMock webhook once per
 * event, also when the webhook first answers 503, with a Slack-compatible body and one
 * Idempotency-Key per notification however often it is sent.
 */
class NotificationsApiTest {
    static final WireMockServer hooks = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        hooks.start(); // before the server: its notification rules name the hooks' port
        return TestServer.config().withNotifications(rules());
    });
    static final Api api = servers.api();

    @AfterAll
    static void stop() {
        if (hooks != null) hooks.stop();
    }

    @BeforeEach
    void reset() {
        hooks.resetAll();
        hooks.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    }

    static NotificationRules rules() {
        String base = "http://127.0.0.1:" + hooks.port();
        return NotificationRules.parse("""
                {"consoleUrl": "http://baton.example",
                 "checkEvery": "100ms",
                 "retry": {"maxAttempts": 5, "initialBackoff": "200ms", "maxBackoff": "1s"},
                 "rules": [
                   {"name": "failures", "on": "run_failed", "webhook": "%1$s/hook/failures"},
                   {"name": "approvals", "on": "approval_waiting", "webhook": "%1$s/hook/approvals"},
                   {"name": "expiring", "on": "approval_expiring", "before": "PT1H", "webhook": "%1$s/hook/expiring"},
                   {"name": "flaky", "on": "task_retried", "moreThan": 1, "webhook": "%1$s/hook/flaky"},
                   {"name": "slow", "on": "run_sla", "after": "1s", "webhook": "%1$s/hook/slow"}
                 ]}""".formatted(base), Set.of("127.0.0.1"));
    }

    /** The requests a webhook path received whose body is about this run. */
    static List<LoggedRequest> about(String path, String runId) {
        return hooks.findAll(postRequestedFor(urlEqualTo(path))).stream()
                .filter(r -> body(r).path("baton").path("runId").asText().equals(runId)).toList();
    }

    static JsonNode body(LoggedRequest r) {
        try {
            return Json.parse(r.getBodyAsString());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.getBodyAsString());
        }
    }

    static List<LoggedRequest> awaitRequests(String path, String runId, int count) {
        return Api.await(() -> about(path, runId), list -> list.size() >= count, Duration.ofSeconds(15),
                count + " request(s) to " + path + " about run " + runId);
    }

    static String failingRun(String goal) {
        String plan = """
                {"tasks": [{"id": "call", "tool": "http.request",
                            "args": {"method": "POST", "url": "http://127.0.0.1:%d/upstream/down"},
                            "retry": {"maxAttempts": 1}}]}""".formatted(hooks.port());
        String id = api.startRun(goal, plan).path("id").asText();
        api.awaitRunStatus(id, "FAILED");
        return id;
    }

    @Test
    void aFailedRunIsNotifiedOnceEvenWhenTheWebhookFirstFails() {
        hooks.stubFor(post(urlEqualTo("/upstream/down")).willReturn(aResponse().withStatus(404)));
        hooks.stubFor(post(urlEqualTo("/hook/failures")).inScenario("hook").whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        hooks.stubFor(post(urlEqualTo("/hook/failures")).inScenario("hook").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(200)));
        String runId = failingRun("check <the> & orders");

        List<LoggedRequest> sends = awaitRequests("/hook/failures", runId, 2);
        // A later event, notified after this one: by then a doubled first send would have shown.
        String second = failingRun("second failure");
        awaitRequests("/hook/failures", second, 1);
        sends = about("/hook/failures", runId);
        assertEquals(2, sends.size(), "one 503, then one accepted send; nothing after");
        assertEquals(sends.get(0).getHeader("Idempotency-Key"), sends.get(1).getHeader("Idempotency-Key"), "a retry is the same notification");
        assertTrue(sends.get(0).getHeader("Idempotency-Key").startsWith("baton-notification:failures:" + runId + "/"));
        assertTrue(sends.get(0).getHeader("Content-Type").startsWith("application/json"));
        JsonNode body = body(sends.get(1));
        String text = body.path("text").asText();
        assertTrue(text.contains("Run " + runId + " failed"), text);
        assertTrue(text.contains("check &lt;the&gt; &amp; orders"), "Slack markup in untrusted text is escaped: " + text);
        assertTrue(text.contains("<http://baton.example/runs/" + runId + "|open the run>"), text);
        assertEquals("run_failed", body.path("baton").path("event").asText());
        assertEquals("failures", body.path("baton").path("rule").asText());
        assertEquals("task_failed", body.path("baton").path("details").path("errorCode").asText());
        assertEquals("check <the> & orders", body.path("baton").path("details").path("goal").asText(), "structured fields keep the raw text");
        // the other rules did not fire for it
        assertEquals(0, about("/hook/flaky", runId).size());
        assertEquals(0, about("/hook/approvals", runId).size());
    }

    @Test
    void aFailingCallToASecretUrlIsNotifiedWithoutItsPathOrQuery() {
        String secret = "/upstream/T0001/B0002/s3cr3tPath";
        hooks.stubFor(post(urlPathEqualTo(secret)).willReturn(aResponse().withStatus(503).withBody("busy: POST " + secret)));
        String plan = """
                {"tasks": [{"id": "call", "tool": "http.request",
                            "args": {"method": "POST", "url": "http://127.0.0.1:%d%s?token=qu3ryS3cret"},
                            "retry": {"maxAttempts": 3, "backoff": "PT0.05S", "maxBackoff": "PT0.05S"}}]}""".formatted(hooks.port(), secret);
        String runId = api.startRun("secret webhook", plan).path("id").asText();
        api.awaitRunStatus(runId, "FAILED");

        JsonNode failed = body(awaitRequests("/hook/failures", runId, 1).get(0));
        JsonNode retried = body(awaitRequests("/hook/flaky", runId, 1).get(0));
        JsonNode task = api.run(runId).path("plan").path("tasks").get(0);
        for (JsonNode shown : List.of(failed, retried, task.path("error"), api.run(runId).path("error"))) {
            String text = shown.toString();
            assertFalse(text.contains("s3cr3tPath") || text.contains("qu3ryS3cret"), "the URL's path and query are not shown: " + text);
        }
        assertTrue(retried.path("text").asText().contains("POST http://127.0.0.1:" + hooks.port() + " answered 503"), retried.toString());
    }

    @Test
    void aWaitingApprovalIsNotifiedThenItsExpiryThenTheSla() {
        String plan = """
                {"tasks": [{"id": "pay", "title": "Pay <b>supplier</b>", "tool": "echo", "args": {"amount": 3},
                            "approval": {"required": true, "timeout": "PT30M"}}]}""";
        String runId = api.startRun("pay the supplier", plan).path("id").asText();
        api.awaitTaskStatus(runId, "pay", "WAITING_APPROVAL");

        JsonNode waiting = body(awaitRequests("/hook/approvals", runId, 1).get(0));
        assertEquals("approval_waiting", waiting.path("baton").path("event").asText());
        assertEquals("pay", waiting.path("baton").path("taskId").asText());
        assertEquals("Pay <b>supplier</b>", waiting.path("baton").path("details").path("title").asText());
        assertTrue(waiting.path("text").asText().contains("Pay &lt;b&gt;supplier&lt;/b&gt;"), waiting.path("text").asText());
        assertTrue(waiting.path("baton").path("details").has("expiresAt"));

        JsonNode expiring = body(awaitRequests("/hook/expiring", runId, 1).get(0));
        assertTrue(expiring.path("text").asText().startsWith("Approval expires in "), expiring.path("text").asText());
        JsonNode sla = body(awaitRequests("/hook/slow", runId, 1).get(0));
        assertTrue(sla.path("text").asText().contains("still unfinished"), sla.path("text").asText());
        assertEquals("PT1S", sla.path("baton").path("details").path("sla").asText());

        // Time-based rules are checked every 100 ms: several checks later, still one message each.
        api.post("/api/runs/" + runId + "/tasks/pay/approval", "{\"decision\": \"approve\"}");
        api.awaitRunStatus(runId, "SUCCEEDED");
        String other = api.startRun("another", "{\"tasks\": [{\"id\": \"g\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"}]}")
                .path("id").asText();
        awaitRequests("/hook/slow", other, 1); // at least a second of checks since the first run's messages
        assertEquals(1, about("/hook/approvals", runId).size());
        assertEquals(1, about("/hook/expiring", runId).size());
        assertEquals(1, about("/hook/slow", runId).size());
        assertEquals(0, about("/hook/failures", runId).size());
        api.post("/api/runs/" + other + "/cancel", "{}");
    }

    @Test
    void aTaskRetriedMoreThanTheLimitIsNotifiedOnce() {
        hooks.stubFor(post(urlEqualTo("/upstream/flaky")).willReturn(aResponse().withStatus(503)));
        String plan = """
                {"tasks": [{"id": "call", "tool": "http.request",
                            "args": {"method": "POST", "url": "http://127.0.0.1:%d/upstream/flaky"},
                            "retry": {"maxAttempts": 4, "backoff": "PT0.05S", "maxBackoff": "PT0.05S"}}]}""".formatted(hooks.port());
        String runId = api.startRun("flaky upstream", plan).path("id").asText();
        api.awaitRunStatus(runId, "FAILED");
        awaitRequests("/hook/failures", runId, 1); // sent after the retry notice (one sender, in order)
        List<LoggedRequest> flaky = about("/hook/flaky", runId);
        assertEquals(1, flaky.size(), "retried 3 times, more than 1: one message, not one per retry");
        JsonNode body = body(flaky.get(0));
        assertEquals("call", body.path("baton").path("taskId").asText());
        assertEquals(2, body.path("baton").path("details").path("retries").asInt(), "sent when the limit was first passed");
        assertEquals("http_503", body.path("baton").path("details").path("errorCode").asText());
        hooks.verify(4, postRequestedFor(urlEqualTo("/upstream/flaky")));
    }
}
