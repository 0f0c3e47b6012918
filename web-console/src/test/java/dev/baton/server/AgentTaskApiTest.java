package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An agent task through the server: the gateway carries its model calls, the run shows its transcript and usage. */
class AgentTaskApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-agent-test-key-123").model("test-model").build());
    });
    static final Api api = servers.api();

    @AfterAll
    static void stop() {
        model.stop();
    }



    @Test
    void anAgentCallsAToolThenAnswers() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.toolCalls(300, 20, OpenAiStubs.call("call_1", "echo", "{\"note\": \"looked it up\"}"))))
                .willSetStateTo("answered"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("answered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.answer("The note says: looked it up.", 350, 15))));

        JsonNode run = api.startRun("summarise a note", """
                {"tasks": [{"id": "think", "agent": "assistant", "instruction": "Look up the note with the echo tool and summarise it."}]}""");
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        JsonNode think = Api.task(done, "think");
        assertEquals("The note says: looked it up.", think.path("output").path("answer").asText());
        assertTrue(think.path("transcript").size() >= 3, think.path("transcript").toString());
        // the agent's two calls (300 + 350 prompt, 20 + 15 completion tokens); a posted plan asks for no answer (issue 16)
        assertEquals(2, done.path("usage").path("llmCalls").asInt(), done.path("usage").toString());
        assertEquals(650, done.path("usage").path("promptTokens").asInt());
        assertEquals(35, done.path("usage").path("completionTokens").asInt());
        assertEquals(650, think.path("usage").path("promptTokens").asInt(), "the task's own usage counts only its calls");
        // The agent's two calls, and no answer call: the run did not ask for one (options.answer).
        model.verify(2, postRequestedFor(urlEqualTo("/v1/chat/completions")));
        JsonNode agents = api.get("/api/agents").json();
        assertEquals("assistant", agents.get(0).path("name").asText());
        assertTrue(agents.get(0).path("available").asBoolean());
    }

    @Test
    void anAgentFallbackTakesOverWhenAToolFailsForGood() {
        model.resetAll();
        model.stubFor(get("/inventory").willReturn(aResponse().withStatus(503)));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody(OpenAiStubs.answer("About 40 units, from last week's report.", 200, 10))));
        String inventory = "http://127.0.0.1:" + model.port() + "/inventory";

        JsonNode run = api.startRun("estimate stock", """
                {"tasks": [
                  {"id": "count", "tool": "http.request", "args": {"url": "%s"}, "retry": {"maxAttempts": 2, "backoff": "PT0.05S"},
                   "fallback": {"agent": "assistant", "instruction": "The inventory service said ${count.error.code}; estimate the stock instead."}},
                  {"id": "report", "tool": "echo", "args": {"estimate": "${count.output.answer}"}}
                ]}""".formatted(inventory));
        String runId = run.path("id").asText();
        JsonNode done = api.awaitRunStatus(runId, "SUCCEEDED");

        model.verify(2, getRequestedFor(urlEqualTo("/inventory")));
        JsonNode count = Api.task(done, "count");
        assertEquals("SUCCEEDED", count.path("fallback").path("status").asText(), count.toString());
        assertEquals("assistant", count.path("fallback").path("args").path("agent").asText());
        assertEquals("About 40 units, from last week's report.", Api.task(done, "report").path("output").path("estimate").asText(),
                "the agent's answer stands in for the tool's output");
        String firstPrompt = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString();
        assertTrue(firstPrompt.contains("The inventory service said http_503; estimate the stock instead."), firstPrompt);
        assertTrue(firstPrompt.contains("fallback of the task 'count'"), "the agent hears why it runs: " + firstPrompt);
        // the fallback's call is the run's usage; a posted plan asks for no answer (issue 16)
        assertEquals(1, done.path("usage").path("llmCalls").asInt(), done.path("usage").toString());
        assertEquals(200, done.path("usage").path("promptTokens").asInt(), done.path("usage").toString());
    }
}
