package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With a model configured (WireMock speaking the OpenAI wire format), a goal becomes a plan that runs. */
class LlmPlanningApiTest {
    private static final String KEY = "sk-test-0123456789abcdef";
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1").apiKey(KEY)
                .model("test-model").build());
    });
    static final Api api = servers.api();

    @AfterAll
    static void stop() {
        model.stop();
    }

    @BeforeEach
    void reset() {
        model.resetAll();
    }

    @Test
    void aGoalBecomesAPlanWithParallelBranchesThatRuns() {
        String plan = """
                {"tasks": [
                  {"id": "a", "title": "First greeting", "tool": "echo", "args": {"text": "hello ${input.name}"}},
                  {"id": "b", "title": "Second greeting", "tool": "echo", "args": {"text": "bonjour ${input.name}"}},
                  {"id": "both", "tool": "echo", "args": {"en": "${a.output.text}", "fr": "${b.output.text}"}}
                ]}""";
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(plan, 420, 80))));
        var body = Json.object();
        body.put("goal", "greet Ada in English and French");
        body.putObject("input").put("name", "Ada");
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        JsonNode run = api.awaitRunStatus(created.json().path("id").asText(), "SUCCEEDED");
        assertEquals("llm", run.path("plan").path("source").asText());
        // the planning call, 420 + 80 tokens in the stub's usage; an API run without options.answer asks for no answer (issue 16)
        assertEquals(1, run.path("usage").path("llmCalls").asInt(), run.path("usage").toString());
        assertEquals(420, run.path("usage").path("promptTokens").asInt());
        assertEquals(80, run.path("usage").path("completionTokens").asInt());
        // the runs list shows the same usage (projected in the journal, not from the run in memory)
        JsonNode listed = api.get("/api/runs?limit=500").json().path("runs").findParents("id").stream()
                .filter(r -> r.path("id").asText().equals(run.path("id").asText())).findFirst().orElseThrow();
        assertEquals(run.path("usage").path("llmCalls"), listed.path("usage").path("llmCalls"), listed.toString());
        assertEquals(420, listed.path("usage").path("promptTokens").asInt(), listed.toString());
        assertEquals(80, listed.path("usage").path("completionTokens").asInt(), listed.toString());
        assertEquals("hello Ada", Api.task(run, "both").path("output").path("en").asText());
        assertEquals("bonjour Ada", Api.task(run, "both").path("output").path("fr").asText());
        assertTrue(Api.task(run, "a").path("dependsOn").isEmpty() && Api.task(run, "b").path("dependsOn").isEmpty(), "a and b are parallel");

        List<LoggedRequest> requests = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertEquals(1, requests.size(), "the plan only: the run did not ask for an answer (options.answer)");
        String sent = requests.get(0).getBodyAsString();
        assertTrue(sent.contains("greet Ada in English and French") && sent.contains("http.request") && sent.contains("echo"),
                "the prompt carries the goal and the tools");
        assertEquals("Bearer " + KEY, requests.get(0).getHeader("Authorization"));
        assertFalse(run.toString().contains(KEY), "the key never appears in a run");
        assertTrue(api.get("/api/health").json().path("model").path("configured").asBoolean());
        assertFalse(api.get("/api/health").body().contains(KEY));
    }

    @Test
    void aPlanTheModelCannotRepairFailsTheRunWithTheValidatorsMessages() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody(OpenAiStubs.answer("{\"tasks\": [{\"id\": \"x\", \"tool\": \"teleport\", \"args\": {}}]}", 420, 80))));
        Api.Response created = api.post("/api/runs", "{\"goal\": \"teleport me\"}");
        JsonNode run = api.awaitRunStatus(created.json().path("id").asText(), "FAILED");
        assertEquals("plan_invalid_after_repairs", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("teleport"), run.path("error").toString());
        assertEquals(3, model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).size(), "one answer and two repairs");
    }
}
