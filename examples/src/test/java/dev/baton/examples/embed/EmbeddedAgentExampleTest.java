package dev.baton.examples.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.model.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example against WireMock answering as the OpenAI chat.completions API does: plan, tool call, answer. */
class EmbeddedAgentExampleTest {
    private static final String COMPLETIONS = "/v1/chat/completions";

    WireMockServer model;

    @BeforeEach
    void start() {
        model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        model.start();
    }

    @AfterEach
    void stop() {
        model.stop();
    }

    /** A chat.completions response in the real wire format. */
    private static String completion(ObjectNode message, String finishReason, int prompt, int completion) {
        ObjectNode body = Json.object();
        body.put("id", "chatcmpl-" + prompt).put("object", "chat.completion").put("created", 1_700_000_000L).put("model", "test-model");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", finishReason);
        body.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        return body.toString();
    }

    private static ObjectNode text(String content) {
        return Json.object().put("role", "assistant").put("content", content);
    }

    private void answerInTurn(String state, String nextState, String body) {
        var stub = post(urlEqualTo(COMPLETIONS)).inScenario("embedded-agent").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body));
        model.stubFor(nextState == null ? stub : stub.willSetStateTo(nextState));
    }

    @Test
    void theModelPlansTheClerkWhichLooksUpTheStockAndAnswers() throws Exception {
        // 1st call: the planner's answer, one task for the custom agent.
        String plan = """
                {"tasks": [{"id": "count", "title": "Count SKU-1", "agent": "inventory-clerk",
                            "instruction": "Find out how many units of SKU-1 can still be reserved."}]}""";
        answerInTurn(Scenario.STARTED, "planned", completion(text(plan), "stop", 400, 60));

        // 2nd call: the agent calls the stock tool ("inventory.stockLevel" as an OpenAI function name).
        ObjectNode toolCall = Json.object().put("role", "assistant");
        toolCall.putNull("content");
        ObjectNode call = toolCall.putArray("tool_calls").addObject();
        call.put("id", "call_stock_1").put("type", "function");
        call.putObject("function").put("name", "inventory_stockLevel").put("arguments", "{\"sku\": \"SKU-1\"}");
        answerInTurn("planned", "looked-up", completion(toolCall, "tool_calls", 200, 20));

        // 3rd call: the agent's final answer.
        answerInTurn("looked-up", null, completion(text("10 units of SKU-1 can still be reserved."), "stop", 250, 12));

        ModelConfig config = ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-embedded-example").model("test-model").maxRetries(0).build();
        EmbeddedAgentExample.Outcome outcome = EmbeddedAgentExample.run(config, "How many units of SKU-1 can still be reserved?");
        JsonNode run = outcome.run();

        assertEquals("SUCCEEDED", run.path("status").asText(), run.toPrettyString());
        assertEquals("llm", run.path("plan").path("source").asText());
        JsonNode task = run.path("plan").path("tasks").get(0);
        assertEquals("inventory-clerk", task.path("agent").asText());
        assertEquals("10 units of SKU-1 can still be reserved.", task.path("output").path("answer").asText(), task.toPrettyString());
        assertTrue(run.path("result").toString().contains("10 units of SKU-1 can still be reserved."), run.path("result").toString());

        // The tool really ran: its output is in the agent's transcript.
        String transcript = task.path("transcript").toString();
        assertTrue(transcript.contains("inventory.stockLevel") && transcript.contains("\"available\":10"), transcript);

        // The run's usage counts the planner's call and the agent task's two calls, as the gateway does.
        JsonNode usage = run.path("usage");
        assertEquals(3, usage.path("llmCalls").asInt(), usage.toString());
        assertEquals(850, usage.path("promptTokens").asInt(), usage.toString());
        assertEquals(92, usage.path("completionTokens").asInt(), usage.toString());
        assertEquals(1, usage.path("toolCalls").asInt(), usage.toString());
        assertEquals(new Usage(3, 850, 92), outcome.modelUsage());

        List<LoggedRequest> requests = model.findAll(postRequestedFor(urlEqualTo(COMPLETIONS)));
        assertEquals(3, requests.size());
        assertTrue(requests.get(0).getBodyAsString().contains("inventory-clerk"), "the planner is told about the agent");
        String agentRequest = requests.get(1).getBodyAsString();
        assertTrue(agentRequest.contains("You are an inventory clerk") && agentRequest.contains("inventory_stockLevel"),
                "the agent gets its own prompt and the stock tool");
        assertFalse(agentRequest.contains("inventory_reserve"), "the clerk is given only the stock tool");
        assertEquals("Bearer sk-embedded-example", requests.get(1).getHeader("Authorization"));
    }
}
