package dev.baton.server;

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

import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.baton.server.LiveMetricsApiTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model calls and tokens in /metrics, per model and purpose, and the agent's loop in the per-agent histogram. */
class ModelMetricsApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-metrics-test-key-123").model("test-model").build());
    });
    static final Api api = servers.api();

    @AfterAll
    static void stop() {
        if (model != null) model.stop();
    }

    static Map<String, LiveMetricsApiTest.Sample> scrape() {
        return LiveMetricsApiTest.parse(api.get("/metrics").body());
    }

    @Test
    void modelCallsAndTokensAreCountedPerModelAndPurpose() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.toolCalls(300, 20, OpenAiStubs.call("call_1", "echo", "{\"note\": \"n\"}"))))
                .willSetStateTo("answered"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("answered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer("Done.", 350, 15)))
                .willSetStateTo("agent done"));
        // the run's answer, asked for (answers are opt-in) and streamed as OpenAI streams
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("agent done")
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(OpenAiStubs.streamed(350, 15, "Done", "."))));
        String id = api.post("/api/runs", dev.baton.server.testing.TestTools.json("""
                {"goal": "summarise", "options": {"answer": true},
                 "plan": {"tasks": [{"id": "think", "agent": "assistant", "instruction": "Use echo, then answer."}]}}""")).json().path("id").asText();
        api.awaitRunStatus(id, "SUCCEEDED");
        Api.await(() -> api.run(id).path("answerStatus").asText(), "WRITTEN"::equals, java.time.Duration.ofSeconds(30), "the run's answer written");

        Map<String, LiveMetricsApiTest.Sample> m = scrape();
        assertEquals(2, value(m, "baton_model_calls_total", "model", "test-model", "purpose", "agent"), m.keySet().toString());
        assertEquals(650, value(m, "baton_model_tokens_total", "model", "test-model", "purpose", "agent", "type", "prompt"));
        assertEquals(35, value(m, "baton_model_tokens_total", "model", "test-model", "purpose", "agent", "type", "completion"));
        assertEquals(1, value(m, "baton_model_calls_total", "model", "test-model", "purpose", "result"), "the run's answer");
        assertEquals(350, value(m, "baton_model_tokens_total", "model", "test-model", "purpose", "result", "type", "prompt"));
        assertEquals(0, value(m, "baton_model_call_errors_total", "model", "test-model", "purpose", "agent"));
        assertEquals(2, value(m, "baton_model_call_seconds_count", "model", "test-model", "purpose", "agent"));
        assertEquals(1, value(m, "baton_task_duration_seconds_count", "kind", "agent", "name", "assistant"), "one agent loop");
        assertEquals(0, value(m, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo"),
                "the agent's own tool calls are part of its loop, not tasks of the plan");
        assertTrue(value(m, "baton_task_duration_seconds_sum", "kind", "agent", "name", "assistant") > 0);
    }
}
