package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.TestTools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cancelling runs and retrying failed tasks over real HTTP, with WireMock as the far side. */
class RunControlApiTest {
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

    private static String url(String path) {
        return "http://127.0.0.1:" + upstream.port() + path;
    }

    // ------------------------------------------------------------------ cancel

    @Test
    void cancellingARunStopsItsUnfinishedTasks() {
        upstream.stubFor(get("/slow-cancel").willReturn(aResponse().withBody("late").withFixedDelay(4_000)));
        String runId = api.startRun("to be cancelled", TestTools.json("""
                {"tasks": [
                  {"id": "quick", "tool": "echo", "args": {"done": true}},
                  {"id": "slow", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "next", "tool": "echo", "args": {"body": "${slow.output.body}"}},
                  {"id": "gate", "tool": "echo", "args": {}, "approval": "required"}
                ]}""".formatted(url("/slow-cancel")))).path("id").asText();
        api.awaitRun(runId, r -> Api.task(r, "slow").path("status").asText().equals("RUNNING")
                && Api.task(r, "quick").path("status").asText().equals("SUCCEEDED")
                && Api.task(r, "gate").path("status").asText().equals("WAITING_APPROVAL"), Duration.ofSeconds(30));
        Api.await(() -> upstream.findAll(getRequestedFor(urlEqualTo("/slow-cancel"))).size(), n -> n == 1, Duration.ofSeconds(10),
                "the slow call to be in flight");
        Api.await(() -> inbox(runId), in -> in, Duration.ofSeconds(10), "the gate to be in the approvals inbox before the cancel");

        Api.Response cancelled = api.post("/api/runs/" + runId + "/cancel", null);
        assertEquals(200, cancelled.status(), cancelled.body());
        JsonNode run = cancelled.json();
        assertEquals(runId, run.path("id").asText(), "the answer is the run");
        assertEquals("CANCELLED", run.path("status").asText());
        assertEquals("CANCELLED", Api.task(run, "slow").path("status").asText(), "the running task is cancelled");
        assertEquals("CANCELLED", Api.task(run, "next").path("status").asText(), "the pending task is cancelled");
        assertEquals("CANCELLED", Api.task(run, "gate").path("status").asText(), "the waiting task is cancelled");
        assertEquals("SUCCEEDED", Api.task(run, "quick").path("status").asText(), "finished tasks keep their outcome");

        JsonNode again = api.run(runId);
        assertEquals("CANCELLED", again.path("status").asText());
        assertTrue(Api.task(again, "next").path("startedAt").isNull(), "the pending task never started");
        // the cancel was answered once durable, so the journal's lists agree at once
        assertTrue(!inbox(runId), "a cancelled run's approval leaves the inbox");
        assertEquals(List.of(runId), listed("CANCELLED", runId), "the runs list shows it CANCELLED");

        List<Sse.Event> events = events(runId);
        Sse.Event last = events.get(events.size() - 1);
        assertEquals("RunCancelled", last.type(), "the stream ends with the cancel: " + events);
        assertEquals("local", last.data().path("data").path("by").asText());
        assertEquals(3, events.stream().filter(e -> e.type().equals("TaskCancelled")).count());

        assertError(api.post("/api/runs/" + runId + "/cancel", null), 409, "conflict", runId, "already finished", "CANCELLED");
        assertError(api.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"approve\"}"), 409, "conflict", "not waiting");
        assertError(api.post("/api/runs/" + runId + "/tasks/slow/retry", null), 409, "conflict");
        assertEquals(events.size(), events(runId).size(), "refused requests added no events");
    }

    @Test
    void twoConcurrentCancelsGiveOne200AndOne409() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 5; i++) {
                String runId = api.startRun("cancel race", TestTools.json("""
                        {"tasks": [{"id": "gate", "tool": "echo", "args": {}, "approval": "required"}]}""")).path("id").asText();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Callable<Api.Response> cancel = () -> {
                    go.await();
                    return api.post("/api/runs/" + runId + "/cancel", null);
                };
                var a = pool.submit(cancel);
                var b = pool.submit(cancel);
                go.countDown();
                List<Integer> statuses = new java.util.ArrayList<>(List.of(a.get(30, java.util.concurrent.TimeUnit.SECONDS).status(),
                        b.get(30, java.util.concurrent.TimeUnit.SECONDS).status()));
                statuses.sort(null);
                assertEquals(List.of(200, 409), statuses);
                assertEquals(1, events(runId).stream().filter(e -> e.type().equals("RunCancelled")).count());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancellingAFinishedRunIs409() {
        String runId = api.startRun("done", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");
        assertError(api.post("/api/runs/" + runId + "/cancel", null), 409, "conflict", "SUCCEEDED");
        assertEquals(done, api.run(runId), "nothing changed");
    }

    @Test
    void cancellingAnUnknownRunIs404() {
        assertError(api.post("/api/runs/r_nosuchrun/cancel", null), 404, "not_found", "r_nosuchrun");
    }

    // ------------------------------------------------------------------ retry

    @Test
    void retryingATaskThatFailedForGoodReopensTheRunAndSucceeds() {
        upstream.stubFor(get("/fragile").willReturn(aResponse().withStatus(404)));
        String runId = api.startRun("retry me", TestTools.json("""
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "%s"}, "retry": {"maxAttempts": 3, "backoff": "PT0.01S"}},
                  {"id": "after", "tool": "echo", "args": {"status": "${fetch.output.status}"}}
                ]}""".formatted(url("/fragile")))).path("id").asText();
        JsonNode failed = api.awaitRunStatus(runId, "FAILED");
        JsonNode fetch = Api.task(failed, "fetch");
        assertEquals("FAILED", fetch.path("status").asText());
        assertEquals(1, fetch.path("attempts").asInt(), "a 404 is permanent: no automatic retry");
        assertEquals("http_404", fetch.path("error").path("code").asText());
        assertEquals("SKIPPED", Api.task(failed, "after").path("status").asText());
        assertEquals("task_failed", failed.path("error").path("code").asText());

        upstream.stubFor(get("/fragile").willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"fixed\": true}")));
        Api.Response retried = api.post("/api/runs/" + runId + "/tasks/fetch/retry", null);
        assertEquals(200, retried.status(), retried.body());
        assertEquals("fetch", retried.json().path("id").asText(), "the answer is the task");
        assertTrue(!retried.json().path("status").asText().equals("FAILED"), "the task is no longer FAILED: " + retried.body());

        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");
        JsonNode fetched = Api.task(done, "fetch");
        assertEquals("SUCCEEDED", fetched.path("status").asText());
        assertEquals(2, fetched.path("attempts").asInt(), "attempts count the task's whole life");
        assertEquals(2, fetched.path("history").size());
        assertEquals("http_404", fetched.path("history").get(0).path("error").path("code").asText());
        assertTrue(fetched.path("error").isNull(), "the old error is gone: " + fetched.path("error"));
        assertTrue(fetched.path("output").path("body").path("fixed").asBoolean());
        JsonNode after = Api.task(done, "after");
        assertEquals("SUCCEEDED", after.path("status").asText(), "the skipped dependant runs again");
        assertEquals(200, after.path("output").path("status").asInt());
        assertTrue(done.path("error").isNull(), "the run's error is cleared: " + done.path("error"));
        upstream.verify(2, getRequestedFor(urlEqualTo("/fragile")));
        // (GET /api/runs/{id} may show a change a moment before the journal's runs list has it)
        Api.await(() -> listed("SUCCEEDED", runId), l -> l.equals(List.of(runId)), Duration.ofSeconds(10),
                "the runs list to follow the reopened run");

        List<Sse.Event> events = events(runId);
        List<String> types = events.stream().map(Sse.Event::type).toList();
        assertTrue(types.indexOf("RunFailed") < types.indexOf("RunReopened")
                && types.indexOf("RunReopened") < types.indexOf("TaskRetryRequested")
                && types.lastIndexOf("RunSucceeded") == types.size() - 1, "failed, reopened, retried, succeeded: " + types);

        assertError(api.post("/api/runs/" + runId + "/tasks/fetch/retry", null), 409, "conflict", "'fetch'", "SUCCEEDED", "FAILED");
        assertEquals(events.size(), events(runId).size(), "the refused retry added no events");
    }

    @Test
    void retryingAFailedTaskOfARunStillRunningRunsItAgain() {
        upstream.stubFor(get("/fragile-2").willReturn(aResponse().withStatus(400)));
        String runId = api.startRun("retry while running", TestTools.json("""
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "gate", "tool": "echo", "args": {}, "approval": "required"}
                ]}""".formatted(url("/fragile-2")))).path("id").asText();
        api.awaitRun(runId, r -> Api.task(r, "fetch").path("status").asText().equals("FAILED")
                && Api.task(r, "gate").path("status").asText().equals("WAITING_APPROVAL"), Duration.ofSeconds(30));
        assertEquals("RUNNING", api.run(runId).path("status").asText(), "the run waits for the gate");
        upstream.stubFor(get("/fragile-2").willReturn(aResponse().withBody("ok")));
        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/fetch/retry", null).status());
        api.awaitTaskStatus(runId, "fetch", "SUCCEEDED");
        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"approve\"}").status());
        api.awaitRunStatus(runId, "SUCCEEDED");
        assertTrue(events(runId).stream().noneMatch(e -> e.type().equals("RunReopened")), "a running run is not reopened");
    }

    @Test
    void retryingAGatedTaskAsksForApprovalAgain() {
        upstream.stubFor(get("/gated-fragile").willReturn(aResponse().withStatus(404)));
        String runId = api.startRun("gated retry", TestTools.json("""
                {"tasks": [{"id": "pay", "tool": "http.request", "args": {"method": "GET", "url": "%s"}, "approval": "required"}]}"""
                .formatted(url("/gated-fragile")))).path("id").asText();
        api.awaitTaskStatus(runId, "pay", "WAITING_APPROVAL");
        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/pay/approval", "{\"decision\": \"approve\"}").status());
        api.awaitRunStatus(runId, "FAILED");
        upstream.stubFor(get("/gated-fragile").willReturn(aResponse().withBody("ok")));

        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/pay/retry", null).status());
        JsonNode waiting = api.awaitRun(runId, r -> !Api.task(r, "pay").path("status").asText().matches("PENDING|READY"),
                Duration.ofSeconds(30));
        assertEquals("WAITING_APPROVAL", Api.task(waiting, "pay").path("status").asText(),
                "a retry is a new call of a gated task: it waits for a person again");
        upstream.verify(1, getRequestedFor(urlEqualTo("/gated-fragile")));
        assertEquals("PENDING", Api.task(waiting, "pay").path("approval").path("status").asText());
        Api.await(() -> inbox(runId), in -> in, Duration.ofSeconds(10), "the retried task to be back in the inbox");

        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/pay/approval", "{\"decision\": \"approve\"}").status());
        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("ok", Api.task(done, "pay").path("output").path("body").asText());
        upstream.verify(2, getRequestedFor(urlEqualTo("/gated-fragile")));
        List<Sse.Event> events = events(runId);
        assertEquals(2, events.stream().filter(e -> e.type().equals("ApprovalRequested")).count());
        assertEquals(2, events.stream().filter(e -> e.type().equals("ApprovalDecided")).count());
    }

    @Test
    void retryingUnknownTasksOrRunsIs404AndOtherStatesAre409() {
        String runId = api.startRun("retry errors", TestTools.json("""
                {"tasks": [{"id": "gate", "tool": "echo", "args": {}, "approval": "required"}]}""")).path("id").asText();
        api.awaitTaskStatus(runId, "gate", "WAITING_APPROVAL");
        assertError(api.post("/api/runs/" + runId + "/tasks/nope/retry", null), 404, "not_found", "nope");
        assertError(api.post("/api/runs/r_nosuchrun/tasks/gate/retry", null), 404, "not_found", "r_nosuchrun");
        assertError(api.post("/api/runs/" + runId + "/tasks/gate/retry", null), 409, "conflict", "WAITING_APPROVAL");
        assertEquals(200, api.post("/api/runs/" + runId + "/cancel", null).status());
    }

    // ------------------------------------------------------------------ helpers

    private static boolean inbox(String runId) {
        for (JsonNode item : api.get("/api/approvals").json()) {
            if (item.path("runId").asText().equals(runId)) return true;
        }
        return false;
    }

    /** The ids among {@code runId} that GET /api/runs?status=... lists. */
    private static List<String> listed(String status, String runId) {
        Api.Response list = api.get("/api/runs?limit=500&status=" + status);
        assertEquals(200, list.status(), list.body());
        java.util.ArrayList<String> ids = new java.util.ArrayList<>();
        for (JsonNode run : list.json().path("runs")) if (run.path("id").asText().equals(runId)) ids.add(runId);
        return ids;
    }

    private static List<Sse.Event> events(String runId) {
        try (Sse sse = Sse.open(api, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(200, sse.status(), sse.errorBody());
            return sse.readToEnd(Duration.ofSeconds(10));
        }
    }
}
