package dev.baton.runtime.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.model.CallContext;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.model.ModelGateway;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.baton.runtime.testing.OpenAiStubs.answer;
import static dev.baton.runtime.testing.OpenAiStubs.call;
import static dev.baton.runtime.testing.OpenAiStubs.toolCalls;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_OPERATION_NAME;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_PROVIDER_NAME;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_REQUEST_MODEL;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_RESPONSE_MODEL;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_TOOL_CALL_ID;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_TOOL_NAME;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_USAGE_INPUT_TOKENS;
import static io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes.GEN_AI_USAGE_OUTPUT_TOKENS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spans of runs, task attempts, model calls and tool calls, captured by an in-memory exporter:
 * their parents, their GenAI attributes, the W3C trace context a caller brings and {@code http.request}
 * passes on, and a run's trace kept across a restart.
 */
@Timeout(90)
class TracingTest {
    private static final String COMPLETIONS = "/v1/chat/completions";
    /** A caller's trace, as a {@code traceparent} on an incoming request would give it. */
    private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private static WireMockServer model;
    private static WireMockServer upstream;

    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = sdk(spans);

    @BeforeAll
    static void servers() {
        model = new WireMockServer(options().dynamicPort());
        model.start();
        upstream = new WireMockServer(options().dynamicPort());
        upstream.start();
    }

    @AfterAll
    static void stopServers() {
        model.stop();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        model.resetAll();
        upstream.resetAll();
    }

    private static OpenTelemetrySdk sdk(InMemorySpanExporter exporter) {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
                .build();
    }

    private static ToolRegistry tools() {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.allowingHosts("127.0.0.1"));
        tools.register(LambdaTool.of("boom", (args, context) -> {
            throw ToolException.permanent("boom_code", "it went boom");
        }));
        tools.register(LambdaTool.of("count", (args, context) -> Json.object().put("n", 1)));
        return tools;
    }

    private static void turn(int turn, String body) {
        model.stubFor(post(urlEqualTo(COMPLETIONS)).inScenario("conversation")
                .whenScenarioStateIs(turn == 1 ? Scenario.STARTED : "turn-" + turn)
                .willSetStateTo("turn-" + (turn + 1))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body)));
    }

    /** The first span exported that {@code matches}, once it is (spans are exported when they end). */
    private SpanData span(String what, Predicate<SpanData> matches) {
        return Await.until("a span: " + what, Duration.ofSeconds(20),
                () -> spans.getFinishedSpanItems().stream().filter(matches).findFirst().orElse(null), s -> s != null);
    }

    private List<SpanData> named(String name) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    }

    private static void childOf(SpanData parent, SpanData child) {
        assertEquals(parent.getTraceId(), child.getTraceId(), child.getName() + " is in " + parent.getName() + "'s trace");
        assertEquals(parent.getSpanId(), child.getParentSpanId(), child.getName() + " is a child of " + parent.getName());
    }

    @Test
    void aPlannedAgentRunIsTracedFromTheRunToItsModelAndToolCalls() {
        ModelGateway gateway = ModelGateway.create(ModelConfig.builder().baseUrl(model.baseUrl() + "/v1").apiKey("k").model("gpt-test")
                .timeout(Duration.ofSeconds(10)).maxRetries(0).cacheSize(0).build(), Duration.ofMillis(10)).traceWith(sdk);
        // A planner that asks the model (through the gateway, as the LLM planner does) and then plans one agent task.
        GoalPlanner planner = request -> {
            gateway.chat(ChatRequest.builder().messages(UserMessage.from("plan: " + request.goal())).build(),
                    CallContext.forRun(request.runId(), "plan"));
            return new GoalPlanner.ProposedPlan(OrchestratorHarness.json("""
                    {"tasks": [{"id": "work", "agent": "assistant", "instruction": "Echo hello."}]}"""), "test");
        };
        turn(1, answer("a plan", 11, 5));
        turn(2, toolCalls(40, 12, call("call_1", "echo", "{\"text\": \"hello\"}")));
        turn(3, answer("The echo said hello", 70, 9));
        harness.start(tools(), OrchestratorOptions.builder().openTelemetry(sdk).planner(planner)
                .models((runId, taskId) -> gateway.forContext(new CallContext(runId, taskId, "agent"))).build());

        String runId = harness.submit(new RunRequest("say hello", null, null, null, null, null));
        JsonNode run = harness.finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());

        SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
        assertEquals(SpanKind.INTERNAL, runSpan.getKind());
        assertEquals(runId, runSpan.getAttributes().get(Tracing.RUN_ID));
        assertEquals("SUCCEEDED", runSpan.getAttributes().get(Tracing.RUN_STATUS));
        assertFalse(runSpan.getParentSpanContext().isValid(), "no caller: the run's span is a root");
        assertEquals(runSpan.getTraceId(), run.path("traceId").asText(), "the run shows its trace id");

        List<SpanData> chats = named("chat gpt-test");
        assertEquals(3, chats.size(), spans.getFinishedSpanItems().toString());
        SpanData planning = chats.stream().filter(s -> "plan".equals(s.getAttributes().get(Tracing.MODEL_PURPOSE))).findFirst().orElseThrow();
        childOf(runSpan, planning);
        assertGenAi(planning, 11, 5);

        SpanData task = span("the task's", s -> s.getName().equals("task work"));
        childOf(runSpan, task);
        assertEquals(SpanKind.INTERNAL, task.getKind());
        assertEquals("work", task.getAttributes().get(Tracing.TASK_ID));
        assertEquals(1L, task.getAttributes().get(Tracing.TASK_ATTEMPT));
        assertEquals("agent", task.getAttributes().get(Tracing.TASK_KIND));

        List<SpanData> agentCalls = chats.stream().filter(s -> "agent".equals(s.getAttributes().get(Tracing.MODEL_PURPOSE))).toList();
        assertEquals(2, agentCalls.size());
        agentCalls.forEach(c -> childOf(task, c));
        assertGenAi(agentCalls.stream().filter(c -> c.getAttributes().get(GEN_AI_USAGE_INPUT_TOKENS) == 40L).findFirst().orElseThrow(), 40, 12);
        assertGenAi(agentCalls.stream().filter(c -> c.getAttributes().get(GEN_AI_USAGE_INPUT_TOKENS) == 70L).findFirst().orElseThrow(), 70, 9);

        SpanData tool = span("the tool call's", s -> s.getName().equals("execute_tool echo"));
        childOf(task, tool);
        assertEquals(SpanKind.INTERNAL, tool.getKind());
        assertEquals("execute_tool", tool.getAttributes().get(GEN_AI_OPERATION_NAME));
        assertEquals("echo", tool.getAttributes().get(GEN_AI_TOOL_NAME));
        assertEquals("call_1", tool.getAttributes().get(GEN_AI_TOOL_CALL_ID));
    }

    private static void assertGenAi(SpanData chat, long in, long out) {
        assertEquals(SpanKind.CLIENT, chat.getKind());
        assertEquals("chat", chat.getAttributes().get(GEN_AI_OPERATION_NAME));
        assertEquals("openai", chat.getAttributes().get(GEN_AI_PROVIDER_NAME));
        assertEquals("gpt-test", chat.getAttributes().get(GEN_AI_REQUEST_MODEL));
        assertEquals("gpt-test", chat.getAttributes().get(GEN_AI_RESPONSE_MODEL), "the model named in the answer");
        assertEquals(in, chat.getAttributes().get(GEN_AI_USAGE_INPUT_TOKENS));
        assertEquals(out, chat.getAttributes().get(GEN_AI_USAGE_OUTPUT_TOKENS));
        assertEquals(StatusCode.UNSET, chat.getStatus().getStatusCode());
    }

    @Test
    void aFailedModelCallCarriesItsErrorType() {
        model.stubFor(post(urlEqualTo(COMPLETIONS)).willReturn(aResponse().withStatus(401).withBody("{\"error\": {\"message\": \"bad key\"}}")));
        ModelGateway gateway = ModelGateway.create(ModelConfig.builder().baseUrl(model.baseUrl() + "/v1").apiKey("k").model("gpt-test")
                .maxRetries(0).build(), Duration.ofMillis(10)).traceWith(sdk);
        try {
            gateway.chat(ChatRequest.builder().messages(UserMessage.from("hi")).build(), CallContext.forRun("r1", "plan"));
        } catch (RuntimeException expected) {
            // the span is what this test is about
        }
        SpanData chat = span("the failed call's", s -> s.getName().equals("chat gpt-test"));
        assertEquals(StatusCode.ERROR, chat.getStatus().getStatusCode());
        assertTrue(chat.getAttributes().get(ERROR_TYPE) != null && !chat.getAttributes().get(ERROR_TYPE).isBlank(), chat.toString());
        assertNull(chat.getAttributes().get(GEN_AI_USAGE_INPUT_TOKENS));
    }

    /** Submits under the caller's trace context, as the server does with a request's traceparent. */
    private String submitInCallersTrace(String plan) {
        SpanContext caller = SpanContext.createFromRemoteParent(CALLER_TRACE, CALLER_SPAN, TraceFlags.getSampled(), TraceState.getDefault());
        try (Scope ignored = Context.root().with(Span.wrap(caller)).makeCurrent()) {
            return harness.submit(new RunRequest("fetch the order", null, OrchestratorHarness.json(plan), null, null, null));
        }
    }

    private String fetchPlan() {
        upstream.stubFor(get(urlEqualTo("/orders/42")).willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{}")));
        return """
                {"tasks": [{"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "http://127.0.0.1:%d/orders/42"}}]}"""
                .formatted(upstream.port());
    }

    private static String traceparentUpstreamGot() {
        List<LoggedRequest> requests = upstream.findAll(getRequestedFor(urlEqualTo("/orders/42")));
        assertEquals(1, requests.size());
        return requests.get(0).containsHeader("traceparent") ? requests.get(0).getHeader("traceparent") : null;
    }

    @Test
    void aRunJoinsItsCallersTraceAndHttpRequestPassesItOn() {
        harness.start(tools(), OrchestratorOptions.builder().openTelemetry(sdk).build());
        String runId = submitInCallersTrace(fetchPlan());
        JsonNode run = harness.finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(CALLER_TRACE, run.path("traceId").asText());

        SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
        assertEquals(CALLER_TRACE, runSpan.getTraceId());
        assertEquals(CALLER_SPAN, runSpan.getParentSpanId(), "the run's span is a child of the caller's");
        SpanData task = span("the task's", s -> s.getName().equals("task fetch"));
        childOf(runSpan, task);
        assertEquals("http.request", task.getAttributes().get(GEN_AI_TOOL_NAME));
        SpanData tool = span("the tool call's", s -> s.getName().equals("execute_tool http.request"));
        childOf(task, tool);
        assertEquals("execute_tool", tool.getAttributes().get(GEN_AI_OPERATION_NAME));

        // The upstream joins the trace under the tool call's span.
        assertEquals("00-" + CALLER_TRACE + "-" + tool.getSpanId() + "-01", traceparentUpstreamGot());
    }

    @Test
    void aFailedToolTaskMarksItsSpansAndTheRunsWithTheErrorType() {
        harness.start(tools(), OrchestratorOptions.builder().openTelemetry(sdk).build());
        String runId = harness.submit("""
                {"tasks": [{"id": "explode", "tool": "boom", "args": {}}]}""");
        assertEquals("FAILED", harness.finished(runId).path("status").asText());
        SpanData tool = span("the tool call's", s -> s.getName().equals("execute_tool boom"));
        assertEquals("boom_code", tool.getAttributes().get(ERROR_TYPE));
        assertEquals(StatusCode.ERROR, tool.getStatus().getStatusCode());
        SpanData task = span("the task's", s -> s.getName().equals("task explode"));
        assertEquals("boom_code", task.getAttributes().get(ERROR_TYPE));
        SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
        assertEquals("FAILED", runSpan.getAttributes().get(Tracing.RUN_STATUS));
        assertEquals(StatusCode.ERROR, runSpan.getStatus().getStatusCode());
        assertEquals(0, harness.orchestrator().tracing().openRunSpans(), "no run span is left open");
    }

    @Test
    void aRunWhoseCompensationFailsEndsItsSpanToo() {
        harness.start(tools(), OrchestratorOptions.builder().openTelemetry(sdk).build());
        String runId = harness.submit("""
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {}, "compensate": {"tool": "boom", "args": {}}},
                  {"id": "b", "tool": "boom", "args": {}, "dependsOn": ["a"]}
                ]}""");
        assertEquals("COMPENSATION_FAILED", harness.finished(runId).path("status").asText());
        SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
        assertEquals("COMPENSATION_FAILED", runSpan.getAttributes().get(Tracing.RUN_STATUS));
        assertEquals(StatusCode.ERROR, runSpan.getStatus().getStatusCode());
        assertEquals(0, harness.orchestrator().tracing().openRunSpans(), "no run span is left open");
    }

    @Test
    void withTracingOffTheCallersTraceStillReachesTheRunAndTheUpstream() {
        harness.start(tools(), OrchestratorOptions.builder().build()); // OpenTelemetry.noop()
        String runId = submitInCallersTrace(fetchPlan());
        JsonNode run = harness.finished(runId);
        assertEquals(CALLER_TRACE, run.path("traceId").asText());
        String traceparent = traceparentUpstreamGot();
        assertTrue(traceparent != null && traceparent.startsWith("00-" + CALLER_TRACE + "-"), traceparent);
        assertTrue(spans.getFinishedSpanItems().isEmpty());
    }

    @Test
    void withTracingOffAndNoCallerARunHasNoTrace() {
        harness.start(tools(), OrchestratorOptions.builder().openTelemetry(OpenTelemetry.noop()).build());
        String runId = harness.submit(fetchPlan());
        JsonNode run = harness.finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertTrue(run.path("traceId").isMissingNode(), run.toString());
        assertNull(traceparentUpstreamGot());
    }

    @Test
    void aRunRecoveredAfterARestartKeepsItsTraceAndItsTasksJoinIt(@TempDir Path dir) {
        ToolRegistry tools = tools();
        harness.start(Journals.open("", dir), tools, OrchestratorOptions.builder().openTelemetry(sdk).build());
        String runId = harness.submit("""
                {"tasks": [{"id": "gate", "tool": "count", "args": {}, "approval": "required"}]}""");
        harness.awaitTask(runId, "gate", "WAITING_APPROVAL");
        String traceId = harness.run(runId).path("traceId").asText();
        assertEquals(32, traceId.length());

        // Another process: a new SDK, the run's span unknown to it.
        InMemorySpanExporter later = InMemorySpanExporter.create();
        Orchestrator again = harness.restart(Journals.open("", dir), tools, OrchestratorOptions.builder().openTelemetry(sdk(later)).build());
        assertEquals(traceId, harness.run(runId).path("traceId").asText(), "the trace id is read back from the journal");
        OrchestratorHarness.await(again.decide(new ApprovalDecision(runId, "gate", true, "alice", false, null, null)));
        assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());

        String runSpanId = harness.events(runId).stream().map(e -> e.data()).filter(d -> d instanceof EventData.RunCreated)
                .map(d -> ((EventData.RunCreated) d).traceParent()).findFirst().orElseThrow().substring(36, 52);
        SpanData task = Await.until("the task's span after the restart", Duration.ofSeconds(20),
                () -> later.getFinishedSpanItems().stream().filter(s -> s.getName().equals("task gate")).findFirst().orElse(null), s -> s != null);
        assertEquals(traceId, task.getTraceId());
        assertEquals(runSpanId, task.getParentSpanId(), "a child of the run's span, started before the restart");
    }

    @Test
    void theTraceParentIsKeptWithTheRunAndOldJournalsStillRead() throws Exception {
        String old = "{\"goal\":\"g\",\"input\":{},\"options\":null,\"idempotencyKey\":null,\"requestHash\":null}";
        EventData.RunCreated read = (EventData.RunCreated) EventCodec.dataFromJson("RunCreated", old);
        assertNull(read.traceParent());
        assertFalse(EventCodec.dataToJson(read).contains("traceParent"), "left out when null");

        String traceParent = "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01";
        EventData.RunCreated traced = new EventData.RunCreated("g", Json.object(), null, null, null, null, traceParent);
        assertEquals(traced, EventCodec.dataFromJson("RunCreated", EventCodec.dataToJson(traced)));
    }

    @Test
    void w3cHeadersAreReadAndWritten() {
        String traceParent = "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01";
        Context context = Tracing.extract(name -> switch (name) {
            case "traceparent" -> traceParent;
            case "tracestate" -> "vendor=x";
            default -> null;
        });
        assertEquals(CALLER_TRACE, Span.fromContext(context).getSpanContext().getTraceId());
        assertEquals(traceParent, Tracing.headers(context).get("traceparent"));
        assertEquals("vendor=x", Tracing.headers(context).get("tracestate"));
        assertFalse(Span.fromContext(Tracing.extract(name -> "garbage")).getSpanContext().isValid());
        assertTrue(Tracing.headers(Context.root()).isEmpty());
    }
}
