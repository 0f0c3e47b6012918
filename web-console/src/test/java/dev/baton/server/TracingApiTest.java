package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.MemorySpanExporterProvider;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import dev.baton.server.testing.Webhooks;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Traces through a real server: the SDK set up by its autoconfigure module from the standard OpenTelemetry
 * settings (here {@code -Dotel.traces.exporter} naming an in-memory exporter the tests provide), a
 * caller's {@code traceparent} on {@code POST /api/runs} and on a trigger's webhook, and the default,
 * with no {@code OTEL_*} setting: nothing started, nothing exported.
 */
@Timeout(120)
class TracingApiTest {
    private static final String CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";
    private static final String TRACEPARENT = "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01";

    private static WireMockServer upstream;

    @BeforeAll
    static void upstream() {
        upstream = new WireMockServer(options().dynamicPort());
        upstream.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
        upstream.stubFor(get(urlEqualTo("/orders/42")).willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{}")));
        MemorySpanExporterProvider.SPANS.reset();
    }

    /** A server whose traces go to the in-memory exporter, as {@code OTEL_TRACES_EXPORTER} would send them to a collector. */
    private static TestServer tracedServer() {
        System.setProperty("otel.traces.exporter", MemorySpanExporterProvider.NAME);
        System.setProperty("otel.bsp.schedule.delay", "50");
        try {
            return TestServer.start();
        } finally {
            System.clearProperty("otel.traces.exporter");
            System.clearProperty("otel.bsp.schedule.delay");
        }
    }

    private static ObjectNode fetchPlan() {
        return (ObjectNode) TestTools.json("""
                {"tasks": [{"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "http://127.0.0.1:%d/orders/42"}}]}"""
                .formatted(upstream.port()));
    }

    private static Api.Response postRun(Api api, String traceparent) {
        ObjectNode body = Json.object().put("goal", "fetch the order");
        body.set("plan", fetchPlan());
        HttpRequest.Builder request = api.request("/api/runs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (traceparent != null) request.header("traceparent", traceparent);
        return api.send(request);
    }

    private static String traceparentUpstreamGot() {
        List<LoggedRequest> requests = upstream.findAll(getRequestedFor(urlEqualTo("/orders/42")));
        assertEquals(1, requests.size());
        return requests.get(0).containsHeader("traceparent") ? requests.get(0).getHeader("traceparent") : null;
    }

    private static SpanData span(String what, Predicate<SpanData> matches) {
        return Api.await(() -> MemorySpanExporterProvider.SPANS.getFinishedSpanItems().stream().filter(matches).findFirst().orElse(null),
                s -> s != null, Duration.ofSeconds(20), "a span: " + what);
    }

    @Test
    void aTraceparentOnPostApiRunsIsTheRunsTraceAndReachesTheUpstream() {
        try (TestServer server = tracedServer()) {
            Api api = server.api();
            Api.Response created = postRun(api, TRACEPARENT);
            assertEquals(201, created.status(), created.body());
            String runId = created.json().path("id").asText();
            assertEquals(CALLER_TRACE, created.json().path("traceId").asText(), "the run is in the caller's trace");

            JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
            assertEquals(CALLER_TRACE, run.path("traceId").asText(), "GET /api/runs/{id} shows the trace id");

            SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
            assertEquals(CALLER_TRACE, runSpan.getTraceId());
            assertEquals(CALLER_SPAN, runSpan.getParentSpanId());
            SpanData task = span("the task's", s -> s.getName().equals("task fetch"));
            assertEquals(runSpan.getSpanId(), task.getParentSpanId());
            SpanData tool = span("the tool call's", s -> s.getName().equals("execute_tool http.request"));
            assertEquals(task.getSpanId(), tool.getParentSpanId());
            assertEquals("baton", runSpan.getResource().getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));

            // The upstream joins the trace, under the tool call's span.
            assertEquals("00-" + CALLER_TRACE + "-" + tool.getSpanId() + "-01", traceparentUpstreamGot());
        }
    }

    @Test
    void aRunWithoutACallerStartsATraceOfItsOwn() {
        try (TestServer server = tracedServer()) {
            Api.Response created = postRun(server.api(), null);
            assertEquals(201, created.status(), created.body());
            String traceId = created.json().path("traceId").asText();
            assertEquals(32, traceId.length(), created.body());
            server.api().awaitRunStatus(created.json().path("id").asText(), "SUCCEEDED");
            SpanData runSpan = span("the run's", s -> s.getName().equals("baton.run"));
            assertEquals(traceId, runSpan.getTraceId());
            assertFalse(runSpan.getParentSpanContext().isValid());
            assertTrue(traceparentUpstreamGot().startsWith("00-" + traceId + "-"));
        }
    }

    @Test
    void aTriggersWebhookJoinsTheSendersTrace() {
        try (TestServer server = tracedServer()) {
            Api api = server.api();
            ObjectNode trigger = Json.object().put("name", "orders").put("goal", "an order came");
            trigger.putObject("event");
            trigger.set("plan", fetchPlan());
            Api.Response r = api.post("/api/triggers", trigger);
            assertEquals(201, r.status(), r.body());
            Api.Response posted = api.send(Webhooks.request(api, "orders", "{\"order\": 42}", null)
                    .header("X-Baton-Event-Id", "evt-1").header("traceparent", TRACEPARENT));
            assertTrue(posted.status() / 100 == 2, posted.body());
            JsonNode run = Api.await(() -> TriggerRuns.of(api, "orders"), runs -> !runs.isEmpty(), Duration.ofSeconds(20), "the trigger's run")
                    .get(0);
            assertEquals(CALLER_TRACE, run.path("traceId").asText(), run.toString());
        }
    }

    @Test
    void anOtlpEndpointAloneExportsOverHttpProtobuf() throws Exception {
        // A collector stub: what the SDK set up from OTEL_EXPORTER_OTLP_ENDPOINT alone sends, over OTLP/HTTP (not gRPC).
        java.util.List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer collector = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 8);
        collector.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + exchange.getRequestHeaders().getFirst("Content-Type"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try (Telemetry telemetry = Telemetry.open(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort()))) {
            assertTrue(telemetry.on());
            telemetry.openTelemetry().getTracer("test").spanBuilder("one").startSpan().end();
        } finally { // closing exports what is queued
            collector.stop(0);
        }
        assertEquals(List.of("POST /v1/traces application/x-protobuf"), received);
    }

    @Test
    void withNoOtelSettingsNothingIsStartedOrExported() {
        // The rule, as the README's table says it.
        assertFalse(Telemetry.tracesOn(Map.of()));
        assertFalse(Telemetry.tracesOn(Map.of("OTEL_SERVICE_NAME", "baton", "OTEL_EXPORTER_OTLP_HEADERS", "a=b")));
        assertTrue(Telemetry.tracesOn(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")));
        assertTrue(Telemetry.tracesOn(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")));
        assertTrue(Telemetry.tracesOn(Map.of("OTEL_TRACES_EXPORTER", "otlp")));
        assertFalse(Telemetry.tracesOn(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")));
        assertFalse(Telemetry.tracesOn(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")));
        Telemetry off = Telemetry.open(Map.of());
        assertFalse(off.on());
        assertSame(OpenTelemetry.noop(), off.openTelemetry());

        try (TestServer server = TestServer.start()) {
            assertSame(OpenTelemetry.noop(), server.server().orchestrator().options().openTelemetry(), "no SDK was started");
            Api.Response created = postRun(server.api(), TRACEPARENT);
            assertEquals(201, created.status(), created.body());
            server.api().awaitRunStatus(created.json().path("id").asText(), "SUCCEEDED");
            // Trace context still passes through, so the caller's trace reaches the upstream; no span is made.
            assertEquals(CALLER_TRACE, created.json().path("traceId").asText());
            assertTrue(traceparentUpstreamGot().startsWith("00-" + CALLER_TRACE + "-"));
        }
        assertTrue(MemorySpanExporterProvider.SPANS.getFinishedSpanItems().isEmpty());
    }
}
