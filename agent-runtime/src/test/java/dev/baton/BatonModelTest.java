package dev.baton;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.testing.OpenAiStubs;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Baton with a model (WireMock speaking the OpenAI wire format): a goal is planned, an agent task runs, the answer is written, all in the run's trace. */
class BatonModelTest {

    private static WireMockServer model;

    @BeforeAll
    static void start() {
        model = new WireMockServer(options().dynamicPort());
        model.start();
    }

    @AfterAll
    static void stop() {
        model.stop();
    }

    @Test
    void aGoalIsPlannedByTheModelAndItsAgentTaskRuns() {
        // Every call gets the same answer: the planner reads the plan in it, the agent and the result writer take it as their text.
        String plan = """
                {"tasks": [
                  {"id": "sum", "tool": "math.add", "args": {"a": 1, "b": 2}},
                  {"id": "say", "agent": "clerk", "instruction": "Say that the sum is ready.", "dependsOn": ["sum"]}
                ]}""";
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(plan, 100, 20))));
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        try (Baton baton = Baton.builder()
                .tool(new BatonTest.AddTool())
                .agent(new AgentSpec("clerk", "Says things", "You say things.", List.of("math.add")))
                .model(model.baseUrl() + "/v1", "", "test-model")
                .openTelemetry(sdk)
                .start()) {
            RunResult result = baton.run("add one and two").await(Duration.ofSeconds(30));
            assertEquals(RunStatus.SUCCEEDED, result.status(), result.run().toPrettyString());
            assertEquals("llm", result.run().at("/plan/source").asText());
            assertEquals(3.0, result.output("sum").path("sum").asDouble());
            JsonNode say = result.run().at("/plan/tasks/1");
            assertEquals("agent", say.path("kind").asText());
            assertEquals("SUCCEEDED", say.path("status").asText());
            // planning and the agent, both journalled as the run's usage; the run asked for no answer (options.answer, issue 16)
            model.verify(2, postRequestedFor(urlEqualTo("/v1/chat/completions")));
            assertEquals(2, result.run().at("/usage/llmCalls").asInt(), result.run().path("usage").toString());
            assertEquals(plan, result.output("say").path("answer").asText(), "the agent's answer is the stub's text");
            assertFalse(result.result().has("answer"), "no answer was asked for: " + result.result());
            // The builder's OpenTelemetry reaches the model gateway too: its two calls are spans in the run's trace.
            String traceId = result.run().path("traceId").asText();
            List<SpanData> chats = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("chat test-model")).toList();
            assertEquals(2, chats.size(), spans.getFinishedSpanItems().toString());
            chats.forEach(chat -> assertEquals(traceId, chat.getTraceId(), chat.toString()));
        }
    }
}
