package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An agent task through the server: the gateway carries its model calls, the run shows its transcript and usage. */
class AgentTaskApiTest {
    static WireMockServer model;
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        model.start();
        ModelConfig config = ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1").apiKey("sk-agent-test-key-123")
                .model("test-model").build();
        server = TestServer.start(TestServer.config().withModel(config), registry -> {
        });
        api = server.api();
    }

    @AfterAll
    static void stop() {
        server.close();
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
        // the agent's two calls (300 + 350 prompt, 20 + 15 completion tokens) and the run's answer call (350, 15)
        assertEquals(3, done.path("usage").path("llmCalls").asInt(), done.path("usage").toString());
        assertEquals(1000, done.path("usage").path("promptTokens").asInt());
        assertEquals(50, done.path("usage").path("completionTokens").asInt());
        assertEquals(650, think.path("usage").path("promptTokens").asInt(), "the task's own usage counts only its calls");
        // The agent's two calls, then the final answer of the run (not an agent call: not in the run's llmCalls).
        model.verify(3, postRequestedFor(urlEqualTo("/v1/chat/completions")));
        JsonNode agents = api.get("/api/agents").json();
        assertEquals("assistant", agents.get(0).path("name").asText());
        assertTrue(agents.get(0).path("available").asBoolean());
    }
}
