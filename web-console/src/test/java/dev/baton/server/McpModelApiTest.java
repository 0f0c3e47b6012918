package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import dev.baton.tools.mcp.McpPeers;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An MCP server's tools used by the model-driven parts, with a model (WireMock speaking the OpenAI
 * wire format) and the MCP project's reference 'everything' server over stdio, every one of its
 * tools taken: the LLM planner is shown them and plans with one, and an agent that may use every
 * tool is offered them as functions (their schemas converted for the model) and calls one.
 */
class McpModelApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config()
                .withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                        .apiKey("sk-mcp-test-key-123").model("test-model").build())
                .withMcpServers(List.of(McpPeers.everythingStdio("ev", "McpModelApiTest"))); // skips without the peers, fails on CI
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
    void theLlmPlannerSeesTheMcpToolsAndItsPlanCallsOne() {
        String plan = """
                {"tasks": [{"id": "add", "title": "Add them", "tool": "ev.get-sum", "args": {"a": "${input.a}", "b": "${input.b}"}}]}""";
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(plan, 400, 60))));
        JsonNode created = api.post("/api/runs", dev.baton.server.testing.TestTools.json(
                "{\"goal\": \"add 2 and 40\", \"input\": {\"a\": 2, \"b\": 40}}")).json();
        JsonNode done = api.awaitRunStatus(created.path("id").asText(), "SUCCEEDED");
        assertEquals("llm", done.path("plan").path("source").asText());
        assertTrue(Api.task(done, "add").path("output").toString().contains("42"), Api.task(done, "add").toString());

        String planning = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString();
        assertTrue(planning.contains("ev.get-sum"), "the planner is shown the MCP tool: " + planning);
        assertTrue(planning.contains("Returns the sum of two numbers"), "with its description: " + planning);
    }

    @Test
    void anAgentIsOfferedTheMcpToolsAsFunctionsAndCallsOne() throws Exception {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.toolCalls(300, 20, OpenAiStubs.call("call_1", "ev_get-sum", "{\"a\": 20, \"b\": 22}"))))
                .willSetStateTo("answered"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("answered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer("It is 42.", 350, 5))));

        JsonNode run = api.startRun("add with an agent", """
                {"tasks": [{"id": "think", "agent": "assistant", "instruction": "Add 20 and 22 with the sum tool."}]}""");
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        JsonNode think = Api.task(done, "think");
        assertEquals("It is 42.", think.path("output").path("answer").asText(), think.toString());
        assertTrue(think.path("transcript").toString().contains("42"), "the MCP tool's answer is in the transcript: " + think.path("transcript"));

        String first = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString();
        JsonNode functions = dev.baton.json.Json.parse(first).path("tools");
        boolean offered = false;
        for (JsonNode function : functions) offered |= function.path("function").path("name").asText().equals("ev_get-sum");
        assertTrue(offered, "the agent is offered the MCP tool as a function: " + functions);
        String second = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(1).getBodyAsString();
        assertTrue(second.contains("The sum of 20 and 22 is 42"), "the tool's answer goes back to the model: " + second);
    }
}
