package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs end to end over real HTTP: order, parallelism, retries, the result. */
class RunLifecycleTest {
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
    }

    private String url(String path) {
        return "http://127.0.0.1:" + upstream.port() + path;
    }

    @Test
    void tasksRunAfterTheirDependenciesAndPassOutputsOn() {
        upstream.stubFor(get("/customer").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"tier\": \"gold\"}").withFixedDelay(100)));
        String plan = """
                {"tasks": [
                  {"id": "customer", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "route", "tool": "echo", "args": {"tier": "${customer.output.body.tier}", "email": "${input.email}"}}
                ]}""".formatted(url("/customer"));
        var body = dev.baton.json.Json.object();
        body.put("goal", "route a customer");
        body.putObject("input").put("email", "ada@example.com");
        body.set("plan", parse(plan));
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        assertEquals("/api/runs/" + runId, created.header("Location"));

        JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
        JsonNode customer = Api.task(run, "customer");
        JsonNode route = Api.task(run, "route");
        assertEquals("gold", route.path("output").path("tier").asText());
        assertEquals("ada@example.com", route.path("output").path("email").asText());
        assertFalse(Instant.parse(route.path("startedAt").asText()).isBefore(Instant.parse(customer.path("finishedAt").asText())),
                "route must start only after customer finished");
        assertEquals("gold", run.path("result").path("outputs").path("route").path("tier").asText());
        assertEquals(2, run.path("usage").path("toolCalls").asInt());
    }

    @Test
    void independentTasksOverlapInTime() {
        upstream.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withBody("ok").withFixedDelay(400)));
        StringBuilder tasks = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            if (i > 0) tasks.append(',');
            tasks.append("{\"id\": \"t").append(i).append("\", \"tool\": \"http.request\", \"args\": {\"method\": \"GET\", \"url\": \"")
                    .append(url("/slow")).append("\"}}");
        }
        JsonNode run = api.startRun("four at once", "{\"tasks\": [" + tasks + "]}");
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        Instant latestStart = Instant.MIN;
        Instant earliestEnd = Instant.MAX;
        for (JsonNode task : done.path("plan").path("tasks")) {
            Instant started = Instant.parse(task.path("startedAt").asText());
            Instant finished = Instant.parse(task.path("finishedAt").asText());
            if (started.isAfter(latestStart)) latestStart = started;
            if (finished.isBefore(earliestEnd)) earliestEnd = finished;
        }
        assertTrue(latestStart.isBefore(earliestEnd), "every task started before any finished: all four overlapped");
        Duration makespan = Duration.between(Instant.parse(done.path("createdAt").asText()), Instant.parse(done.path("updatedAt").asText()));
        assertTrue(makespan.toMillis() < 4 * 400, "ran in parallel, not one after another: " + makespan);
    }

    @Test
    void aFlakyUpstreamIsRetriedUntilItAnswers() {
        String path = "/flaky";
        upstream.stubFor(get(path).inScenario("flaky").whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("second"));
        upstream.stubFor(get(path).inScenario("flaky").whenScenarioStateIs("second")
                .willReturn(aResponse().withStatus(500)).willSetStateTo("third"));
        upstream.stubFor(get(path).inScenario("flaky").whenScenarioStateIs("third")
                .willReturn(aResponse().withBody("finally")));
        String plan = """
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"method": "GET", "url": "%s"},
                            "retry": {"maxAttempts": 4, "backoff": "PT0.05S"}}]}""".formatted(url(path));
        JsonNode run = api.startRun("retry", plan);
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        JsonNode task = Api.task(done, "call");
        assertEquals(3, task.path("attempts").asInt());
        assertEquals("finally", task.path("output").path("body").asText());
        assertEquals("http_503", task.path("history").get(0).path("error").path("code").asText());
        upstream.verify(3, getRequestedFor(urlEqualTo(path)));
        // every attempt carries the same idempotency key
        var keys = upstream.findAll(getRequestedFor(urlEqualTo(path))).stream().map(r -> r.getHeader("Idempotency-Key")).distinct().toList();
        assertEquals(1, keys.size(), "one idempotency key for all attempts: " + keys);
    }

    @Test
    void aClientErrorIsNotRetriedAndSkipsTheDependants() {
        upstream.stubFor(get("/missing").willReturn(aResponse().withStatus(404)));
        String plan = """
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "%s"}, "retry": {"maxAttempts": 5, "backoff": "PT0.01S"}},
                  {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["fetch"]}
                ]}""".formatted(url("/missing"));
        JsonNode run = api.startRun("not found", plan);
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "FAILED");
        JsonNode fetch = Api.task(done, "fetch");
        assertEquals("FAILED", fetch.path("status").asText());
        assertEquals(1, fetch.path("attempts").asInt());
        assertEquals("http_404", fetch.path("error").path("code").asText());
        assertEquals("SKIPPED", Api.task(done, "after").path("status").asText());
        assertEquals("task_failed", done.path("error").path("code").asText());
        upstream.verify(1, getRequestedFor(urlEqualTo("/missing")));
    }

    @Test
    void theEventStreamReplaysEveryEventInOrderAndEndsWithTheRun() {
        JsonNode run = api.startRun("events", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"x\": 1}}, {\"id\": \"b\", \"wait\": \"PT0.2S\", \"dependsOn\": [\"a\"]}]}");
        String runId = run.path("id").asText();
        var events = api.events(runId, null, 1000);
        assertEquals("RunCreated", events.get(0).path("type").asText());
        assertEquals("RunSucceeded", events.get(events.size() - 1).path("type").asText());
        for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).path("seq").asLong());
        var resumed = api.events(runId, "3", 1000);
        assertEquals(4, resumed.get(0).path("seq").asLong());
        assertEquals(events.size() - 3, resumed.size());
    }

    private static JsonNode parse(String json) {
        try {
            return dev.baton.json.Json.parse(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
