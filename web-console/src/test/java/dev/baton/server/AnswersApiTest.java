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
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answer a run may ask for, over HTTP with a model configured (WireMock speaking OpenAI's
 * streaming wire format): it is opt-in, never delays SUCCEEDED, streams to the run's event stream
 * in pieces, and a failed answer call leaves the run SUCCEEDED with an answerError.
 */
class AnswersApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start();
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1").apiKey("sk-test")
                .model("test-model").build());
    });
    static final Api api = servers.api();
    static final String PLAN = """
            {"tasks": [{"id": "hello", "title": "Say hello", "tool": "echo", "args": {"text": "hello"}}]}""";

    @AfterAll
    static void stop() {
        model.stop();
    }

    @BeforeEach
    void reset() {
        model.resetAll();
    }

    private static JsonNode parse(String text) {
        try {
            return Json.parse(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static JsonNode body(String goal, String options) {
        var body = Json.object();
        body.put("goal", goal);
        body.set("plan", parse(PLAN));
        if (options != null) body.set("options", parse(options));
        return body;
    }

    private static void streams(String... pieces) {
        // Dribbled in chunks over 600 ms, so the pieces reach the server (and the stream) one by one.
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                .withHeader("Content-Type", "text/event-stream").withBody(OpenAiStubs.streamed(300, 12, pieces))
                .withChunkedDribbleDelay(pieces.length + 3, 600)));
    }

    @Test
    void aPostedPlanSucceedsWithoutAnyModelCall() {
        streams("never", " asked");
        Api.Response created = api.post("/api/runs", body("echo hello", null));
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        try (Sse sse = Sse.open(api, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            List<Sse.Event> events = sse.readToEnd(Duration.ofSeconds(20));
            assertEquals("RunSucceeded", events.get(events.size() - 1).type(), "the stream ends with the run");
            assertTrue(events.stream().noneMatch(e -> e.type().startsWith("Answer")), events.toString());
        }
        JsonNode run = api.run(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertTrue(run.path("answerStatus").isNull(), run.toString());
        assertFalse(run.path("result").has("answer"));
        assertEquals(0, model.findAll(anyRequestedFor(anyUrl())).size(), "with a model configured, no model call at all");
        assertEquals(0, run.path("usage").path("llmCalls").asInt());
    }

    @Test
    void optionsAnswerGivesAnAnswerThatStreamsAfterSucceeded() {
        streams("The echo ", "said *hello* ", "[hello].");
        Api.Response created = api.post("/api/runs", body("echo hello", "{\"answer\": true}"));
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        try (Sse sse = Sse.open(api, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            List<Sse.Event> events = sse.readToEnd(Duration.ofSeconds(30));
            List<String> types = events.stream().map(Sse.Event::type).toList();
            int succeeded = types.indexOf("RunSucceeded");
            int written = types.indexOf("AnswerWritten");
            assertTrue(succeeded >= 0 && written > succeeded, "SUCCEEDED first, the answer after it: " + types);
            assertTrue(events.get(succeeded).data().path("data").path("answering").asBoolean(), events.get(succeeded).toString());
            assertEquals(written, types.size() - 1, "the stream ends with the answer: " + types);
            List<Sse.Event> deltas = events.subList(succeeded, written).stream().filter(e -> e.type().equals("AnswerDelta")).toList();
            assertTrue(deltas.size() > 1, "the answer streams in several deltas before the final event: " + types);
            StringBuilder joined = new StringBuilder();
            for (Sse.Event delta : deltas) {
                assertEquals(null, delta.id(), "a delta has no id: it is not journaled and leaves Last-Event-ID alone");
                assertEquals(runId, delta.data().path("runId").asText());
                joined.append(delta.data().path("data").path("text").asText());
            }
            assertEquals("The echo said *hello* [hello].", joined.toString());
            assertEquals("The echo said *hello* [hello].", events.get(written).data().path("data").path("answer").asText());
        }
        JsonNode run = api.run(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals("WRITTEN", run.path("answerStatus").asText());
        assertEquals("The echo said *hello* [hello].", run.path("result").path("answer").asText());
        assertEquals("hello", run.path("result").path("outputs").path("hello").path("text").asText());
        assertTrue(run.path("options").path("answer").asBoolean(), "the option is kept with the run");
        List<LoggedRequest> calls = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertEquals(1, calls.size());
        assertTrue(parse(calls.get(0).getBodyAsString()).path("stream").asBoolean(), "the answer is asked for as a stream");
        // the deltas are not in the journal: replaying the stream shows the run's durable events only
        List<JsonNode> journaled = api.events(runId, null, 1000);
        assertTrue(journaled.stream().noneMatch(e -> e.path("type").asText().equals("AnswerDelta")), journaled.toString());
        assertEquals(1, run.path("usage").path("llmCalls").asInt(), "the answer call is counted: " + run.path("usage"));
    }

    @Test
    void aFailingAnswerCallGivesAnAnswerErrorAndLeavesTheRunSucceeded() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody("{\"error\": {\"message\": \"bad model\", \"type\": \"invalid_request_error\"}}")));
        Api.Response created = api.post("/api/runs", body("echo hello", "{\"answer\": true}"));
        String runId = created.json().path("id").asText();
        JsonNode run = api.awaitRun(runId, r -> "FAILED".equals(r.path("answerStatus").asText()), Duration.ofSeconds(30));
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertTrue(run.path("result").path("answerError").asText().startsWith("the answer could not be written"), run.path("result").toString());
        assertFalse(run.path("result").has("answer"));
        List<String> types = api.events(runId, null, 1000).stream().map(e -> e.path("type").asText()).toList();
        assertEquals("AnswerFailed", types.get(types.size() - 1), types.toString());
        assertEquals(1, types.stream().filter("RunSucceeded"::equals).count(), types.toString());
    }

    @Test
    void aGoalTypedInTheChatAsksForAnAnswerByDefault() {
        streams("Hello ", "from the chat.");
        Api.Response created = api.post("/api/runs", body("echo hello", "{\"chat\": true}"));
        assertEquals(201, created.status(), created.body());
        assertTrue(created.json().path("options").path("answer").asBoolean(), "the chat's default is written into the run's options");
        JsonNode run = api.awaitRun(created.json().path("id").asText(), r -> "WRITTEN".equals(r.path("answerStatus").asText()),
                Duration.ofSeconds(30));
        assertEquals("Hello from the chat.", run.path("result").path("answer").asText());

        Api.Response declined = api.post("/api/runs", body("echo hello", "{\"chat\": true, \"answer\": false}"));
        JsonNode quiet = api.awaitRunStatus(declined.json().path("id").asText(), "SUCCEEDED");
        assertTrue(quiet.path("answerStatus").isNull(), "a chat goal may decline: " + quiet);
    }

    @Test
    void aNonBooleanAnswerOptionIs400AndCreatesNothing() {
        int before = api.get("/api/runs?limit=500").json().path("runs").size();
        for (String bad : List.of("{\"answer\": \"yes\"}", "{\"answer\": 1}", "{\"chat\": \"true\"}")) {
            Api.Response refused = api.post("/api/runs", body("echo hello", bad));
            assertEquals(400, refused.status(), bad + ": " + refused.body());
            assertTrue(refused.errorMessage().contains("answer") || refused.errorMessage().contains("chat"), refused.body());
        }
        assertEquals(before, api.get("/api/runs?limit=500").json().path("runs").size(), "nothing created");
        assertEquals(0, model.findAll(anyRequestedFor(anyUrl())).size());
    }

    @Test
    void aStreamRefusedBeforeItsFirstPieceIsRetriedByTheGateway() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("busy").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "0")
                        .withHeader("Content-Type", "application/json").withBody("{\"error\": {\"message\": \"slow down\"}}"))
                .willSetStateTo("free"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("busy").whenScenarioStateIs("free")
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(OpenAiStubs.streamed(300, 12, "After ", "a retry."))));
        Api.Response created = api.post("/api/runs", body("echo hello", "{\"answer\": true}"));
        JsonNode run = api.awaitRun(created.json().path("id").asText(), r -> !r.path("answerStatus").asText().equals("WRITING")
                && !r.path("answerStatus").isNull(), Duration.ofSeconds(30));
        assertEquals("WRITTEN", run.path("answerStatus").asText(), run.toString());
        assertEquals("After a retry.", run.path("result").path("answer").asText());
        assertEquals(2, model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).size(), "the 429, then the stream");
    }
}
