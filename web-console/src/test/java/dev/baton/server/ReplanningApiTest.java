package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replanning through the API, with WireMock as the OpenAI endpoint (real chat.completions wire
 * format) and as the upstream {@code http.request} calls: a task fails for good (404), the
 * model's new plan routes around it, the run succeeds, and a last model call writes the answer.
 */
class ReplanningApiTest {
    private static final String KEY = "sk-test-0123456789abcdef";
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    static WireMockServer upstream;
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1").apiKey(KEY)
                .model("test-model").build());
    });
    static final Api api = servers.api();

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterAll
    static void stop() {
        model.stop();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        model.resetAll();
        upstream.resetAll();
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + upstream.port() + path;
    }

    /** The model answers {@code content} when the scenario is in {@code state}, then moves it to {@code next}. */
    private static void answer(String state, String content, String next) {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("run").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(content, 400, 60)))
                .willSetStateTo(next));
    }

    /** The answer's call, streamed as OpenAI streams it ({@code stream: true}), when the scenario is in {@code state}. */
    private static void streamedAnswer(String state, String content, String next) {
        int half = content.length() / 2;
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("run").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                        .withBody(OpenAiStubs.streamed(400, 60, content.substring(0, half), content.substring(half))))
                .willSetStateTo(next));
    }

    /** The run once its answer is written: the answer follows SUCCEEDED (issue 16). */
    private static JsonNode answered(String runId) {
        api.awaitRunStatus(runId, "SUCCEEDED");
        return api.awaitRun(runId, r -> "WRITTEN".equals(r.path("answerStatus").asText()), java.time.Duration.ofSeconds(30));
    }

    @Test
    void aTaskThatFailsForGoodIsReplannedAroundAndTheAnswerIsWritten() {
        upstream.stubFor(get("/primary").willReturn(aResponse().withStatus(404).withBody("no such record")));
        upstream.stubFor(get("/mirror").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"status\": \"ok\", \"price\": 42}")));
        String firstPlan = """
                {"tasks": [
                  {"id": "lookup", "title": "Note the item", "tool": "echo", "args": {"item": "${input.item}"}},
                  {"id": "primary", "title": "Fetch the price", "tool": "http.request", "args": {"method": "GET", "url": "%s"},
                   "dependsOn": ["lookup"]},
                  {"id": "summary", "tool": "echo", "args": {"price": "${primary.output.body.price}"}, "dependsOn": ["primary"]}
                ]}""".formatted(url("/primary"));
        // Replanning: the model writes only the new tasks; the planner keeps 'lookup' in front of them.
        String newTasks = """
                {"tasks": [
                  {"id": "mirror", "title": "Fetch the price from the mirror", "tool": "http.request",
                   "args": {"method": "GET", "url": "%s"}, "dependsOn": ["lookup"]},
                  {"id": "summary2", "tool": "echo", "args": {"item": "${lookup.output.item}", "price": "${mirror.output.body.price}"},
                   "dependsOn": ["mirror"]}
                ]}""".formatted(url("/mirror"));
        answer(Scenario.STARTED, firstPlan, "planned");
        answer("planned", newTasks, "replanned");
        streamedAnswer("replanned", "The widget costs 42 [summary2], from the mirror [mirror].", "answered");

        var body = Json.object();
        body.put("goal", "find the price of the widget");
        body.putObject("input").put("item", "widget");
        body.putObject("options").put("answer", true); // an answer is opt-in (issue 16)
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        JsonNode run = answered(runId);

        assertEquals(2, run.path("plan").path("version").asInt(), run.toString());
        assertEquals("llm", run.path("plan").path("source").asText());
        assertEquals(1, Api.task(run, "lookup").path("attempts").asInt(), "the succeeded task is kept, not redone");
        assertEquals("SUCCEEDED", Api.task(run, "lookup").path("status").asText());
        assertEquals("42", Api.task(run, "summary2").path("output").path("price").asText());
        assertEquals("widget", Api.task(run, "summary2").path("output").path("item").asText());
        assertEquals("The widget costs 42 [summary2], from the mirror [mirror].", run.path("result").path("answer").asText());
        assertEquals("42", run.path("result").path("outputs").path("summary2").path("price").asText());
        upstream.verify(1, getRequestedFor(urlEqualTo("/primary"))); // a 404 is not retried
        upstream.verify(1, getRequestedFor(urlEqualTo("/mirror")));

        List<LoggedRequest> calls = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertEquals(3, calls.size(), "plan, replan, answer");
        String replanPrompt = calls.get(1).getBodyAsString();
        assertTrue(replanPrompt.contains("primary") && replanPrompt.contains("lookup") && replanPrompt.contains("404"),
                "the replan prompt carries the run so far");
        String answerPrompt = calls.get(2).getBodyAsString();
        assertTrue(answerPrompt.contains("find the price of the widget") && answerPrompt.contains("summary2"), answerPrompt);

        Api.Response late = api.post("/api/runs/" + runId + "/messages", "{\"text\": \"also in euros\"}");
        assertEquals(409, late.status(), late.body());
    }

    @Test
    void aMessageMidRunIsRecordedAndReplansTheUnfinishedPart() throws Exception {
        upstream.stubFor(get("/slow").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"price\": 42}").withFixedDelay(1500)));
        String firstPlan = """
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "usd", "tool": "echo", "args": {"usd": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""".formatted(url("/slow"));
        String newTasks = """
                {"tasks": [
                  {"id": "eur", "tool": "echo", "args": {"eur": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""";
        answer(Scenario.STARTED, firstPlan, "planned");
        answer("planned", newTasks, "replanned");
        streamedAnswer("replanned", "It costs 42 EUR [eur].", "answered");

        Api.Response created = api.post("/api/runs", "{\"goal\": \"price of the widget\", \"options\": {\"answer\": true}}");
        String runId = created.json().path("id").asText();
        api.awaitRunStatus(runId, "RUNNING");
        Api.Response sent = api.post("/api/runs/" + runId + "/messages", "{\"text\": \"give the price in euros\"}");
        assertEquals(202, sent.status(), sent.body());
        assertEquals("give the price in euros", sent.json().path("messages").get(0).path("text").asText());

        JsonNode run = answered(runId);
        assertEquals("42", Api.task(run, "eur").path("output").path("eur").asText());
        assertEquals(1, Api.task(run, "fetch").path("attempts").asInt());
        assertEquals("It costs 42 EUR [eur].", run.path("result").path("answer").asText());
        assertEquals("give the price in euros", run.path("messages").get(0).path("text").asText());
        upstream.verify(1, getRequestedFor(urlEqualTo("/slow")));
        List<LoggedRequest> calls = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertEquals(3, calls.size());
        assertTrue(calls.get(1).getBodyAsString().contains("give the price in euros"), "the replan sees the message");
    }
}
