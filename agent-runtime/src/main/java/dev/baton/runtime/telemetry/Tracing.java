package dev.baton.runtime.telemetry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.incubating.GenAiIncubatingAttributes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Baton's OpenTelemetry spans, for the shell of the orchestrator and the model gateway (never the pure
 * decider): one span per run, per task attempt (a child of its run), per tool call (a child of its
 * attempt) and per model call (a child of what is current when it is made: the task attempt of an agent
 * task, the run for planning, replanning and the answer), the last two with the GenAI semantic
 * conventions' attributes.
 *
 * <h2>Runs outlive processes</h2>
 * A run's span is started when the run is submitted, as a child of the caller's trace when the request
 * carried a W3C {@code traceparent}, and its own {@code traceparent} (trace id and span id) is kept in
 * the run's {@code RunCreated} event. Tasks and planning calls take their parent from that stored
 * value, never from memory, so after a restart, or on the node that took the run over, their spans
 * still join the run's trace under the run's span. The run's span itself is ended by the process that
 * started it, when it sees the run finish (succeeded, failed or cancelled); a run that finishes in
 * another process (after a crash or a takeover) never gets its span ended, so the tracing backend shows
 * its children under a parent it never received. At most {@link #OPEN_RUN_SPANS} run spans are held
 * open in memory: past that, the oldest is ended early, marked {@code baton.run.span_ended_early}
 * (its run goes on, and so do its children's spans).
 *
 * <h2>Propagation</h2>
 * W3C trace context ({@code traceparent}, {@code tracestate}) is read and written with the W3C
 * propagator whatever the SDK's propagators are, so that a caller's trace reaches the run and the
 * {@code http.request} tool's upstream also when tracing itself is off: the run then carries the
 * caller's trace id, and its spans are no-ops.
 *
 * <p>Thread-safe. With {@link OpenTelemetry#noop()} every span is a no-op and nothing is kept.
 */
public final class Tracing {
    /** The instrumentation scope of Baton's spans. */
    public static final String SCOPE = "dev.baton";
    /** Run spans held open at once, at most (see the class comment). */
    public static final int OPEN_RUN_SPANS = 10_000;

    public static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("baton.run.id");
    public static final AttributeKey<String> RUN_STATUS = AttributeKey.stringKey("baton.run.status");
    public static final AttributeKey<String> RUN_ORIGIN = AttributeKey.stringKey("baton.run.origin");
    public static final AttributeKey<Boolean> RUN_SPAN_ENDED_EARLY = AttributeKey.booleanKey("baton.run.span_ended_early");
    public static final AttributeKey<String> TASK_ID = AttributeKey.stringKey("baton.task.id");
    public static final AttributeKey<Long> TASK_ATTEMPT = AttributeKey.longKey("baton.task.attempt");
    public static final AttributeKey<String> TASK_LANE = AttributeKey.stringKey("baton.task.lane");
    public static final AttributeKey<String> TASK_KIND = AttributeKey.stringKey("baton.task.kind");
    public static final AttributeKey<String> MODEL_PURPOSE = AttributeKey.stringKey("baton.model.purpose");
    public static final AttributeKey<Boolean> MODEL_CACHED = AttributeKey.booleanKey("baton.model.cached");

    private static final Tracing NOOP = new Tracing(OpenTelemetry.noop());
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Function<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };

    private final Tracer tracer;
    /**
     * False for {@link #noop()}: its spans are then made without the tracer (no names built, no attributes set),
     * as non-recording wrappers of their parent's context, so that the trace context still passes through.
     */
    private final boolean recording;
    /** The spans of runs started here and not finished yet, by run id. */
    private final Cache<String, Span> openRuns;

    private Tracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer(SCOPE);
        this.recording = openTelemetry != OpenTelemetry.noop();
        this.openRuns = Caffeine.newBuilder().maximumSize(OPEN_RUN_SPANS)
                .<String, Span>removalListener((runId, span, cause) -> {
                    if (cause == RemovalCause.SIZE && span != null) {
                        span.setAttribute(RUN_SPAN_ENDED_EARLY, true);
                        span.end();
                    }
                })
                .build();
    }

    /** Spans through {@code openTelemetry}; {@link #noop()} for {@link OpenTelemetry#noop()} or null. */
    public static Tracing of(OpenTelemetry openTelemetry) {
        return openTelemetry == null || openTelemetry == OpenTelemetry.noop() ? NOOP : new Tracing(openTelemetry);
    }

    /** No spans; W3C trace context is still read and passed on. */
    public static Tracing noop() {
        return NOOP;
    }

    // ------------------------------------------------------------------ W3C trace context

    /**
     * The trace context of an incoming request's {@code traceparent} and {@code tracestate} headers
     * ({@code header} answers a header's value by name, or null), or {@link Context#root()} without one
     * or with a malformed one.
     */
    public static Context extract(Function<String, String> header) {
        return W3C.extract(Context.root(), header, HEADERS);
    }

    /** The {@code traceparent} (and {@code tracestate}, if any) headers that pass {@code context} on; empty if it has no valid span. */
    public static Map<String, String> headers(Context context) {
        Map<String, String> headers = new LinkedHashMap<>(2);
        W3C.inject(context, headers, (carrier, key, value) -> carrier.put(key, value));
        return headers;
    }

    /** OpenTelemetry's current context (for code where Vert.x's {@code Context} has the simple name). */
    public static Context current() {
        return Context.current();
    }

    /** A span context's W3C {@code traceparent}, or null if it is not valid. */
    public static String traceParent(SpanContext span) {
        if (span == null || !span.isValid()) return null;
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /**
     * The context whose current span is the one {@code traceParent} names (a remote parent: a run's
     * span, perhaps started by another process), or {@link Context#root()} for null or a malformed value.
     */
    public static Context parent(String traceParent) {
        if (traceParent == null) return Context.root();
        return extract(name -> "traceparent".equals(name) ? traceParent : null);
    }

    // ------------------------------------------------------------------ runs

    /**
     * Starts the span of a new run under {@code parent} (the caller's trace, or the root) and holds it
     * open until {@link #runFinished}. Returns the W3C {@code traceparent} to keep with the run: the
     * run's own span, or, when tracing is off, the caller's (so the run still joins its trace); null if
     * there is neither.
     */
    public String runStarted(String runId, String goal, String origin, Context parent) {
        if (!recording) return traceParent(Span.fromContext(parent == null ? Context.root() : parent).getSpanContext());
        Span span = tracer.spanBuilder("baton.run")
                .setParent(parent == null ? Context.root() : parent)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(RUN_ID, runId)
                .setAttribute(RUN_ORIGIN, origin)
                .setAttribute("baton.run.goal", goal == null ? "" : abbreviate(goal, 200))
                .startSpan();
        if (span.isRecording()) openRuns.put(runId, span);
        return traceParent(span.getSpanContext());
    }

    /** The run finished ({@code status}: SUCCEEDED, FAILED, CANCELLED; {@code errorCode} when it failed): its span, if open here, ends. */
    public void runFinished(String runId, String status, String errorCode) {
        Span span = openRuns.asMap().remove(runId);
        if (span == null) return;
        span.setAttribute(RUN_STATUS, status);
        if (errorCode != null) {
            span.setAttribute(ErrorAttributes.ERROR_TYPE, errorCode);
            span.setStatus(StatusCode.ERROR, errorCode);
        }
        span.end();
    }

    /** Run spans held open (for tests and metrics). */
    public long openRunSpans() {
        openRuns.cleanUp();
        return openRuns.estimatedSize();
    }

    // ------------------------------------------------------------------ task attempts and tool calls

    /**
     * Starts the span of a task attempt, a child of the run's span ({@code traceParent} as kept with
     * the run). {@code kind} is {@code tool} or {@code agent}, {@code name} the tool's or the agent's.
     */
    public Span taskStarted(String traceParent, String runId, String taskId, int attempt, String lane, String kind, String name) {
        if (!recording) return traceParent == null ? Span.getInvalid() : Span.wrap(Span.fromContext(parent(traceParent)).getSpanContext());
        return tracer.spanBuilder("task " + taskId)
                .setParent(parent(traceParent))
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(RUN_ID, runId)
                .setAttribute(TASK_ID, taskId)
                .setAttribute(TASK_ATTEMPT, (long) attempt)
                .setAttribute(TASK_LANE, lane)
                .setAttribute(TASK_KIND, kind)
                .setAttribute(kind.equals("agent") ? GenAiIncubatingAttributes.GEN_AI_AGENT_NAME : GenAiIncubatingAttributes.GEN_AI_TOOL_NAME, name)
                .startSpan();
    }

    /** Ends a span (a task attempt's, a tool call's) as a success, or as failed with {@code errorCode}. */
    public static void end(Span span, String errorCode, String message) {
        if (span == null) return;
        if (errorCode != null) {
            span.setAttribute(ErrorAttributes.ERROR_TYPE, errorCode);
            span.setStatus(StatusCode.ERROR, message == null ? errorCode : abbreviate(message, 200));
        }
        span.end();
    }

    /**
     * Starts the span of one tool call ({@code execute_tool {tool}}), a child of what is current (the
     * task attempt); {@code callId} is the model's id for the call in an agent's loop, or null.
     */
    public Span toolCallStarted(String toolName, String callId) {
        if (!recording) return Span.wrap(Span.current().getSpanContext());
        var builder = tracer.spanBuilder("execute_tool " + toolName)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_OPERATION_NAME,
                        GenAiIncubatingAttributes.GenAiOperationNameIncubatingValues.EXECUTE_TOOL)
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_TOOL_NAME, toolName);
        if (callId != null) builder.setAttribute(GenAiIncubatingAttributes.GEN_AI_TOOL_CALL_ID, callId);
        return builder.startSpan();
    }

    // ------------------------------------------------------------------ model calls

    /**
     * Starts the span of one chat call ({@code chat {model}}, kind CLIENT), a child of what is current,
     * with the GenAI request attributes; the caller adds the response's with {@link #modelCallEnded}.
     */
    public Span modelCallStarted(String model, String runId, String taskId, String purpose, String serverAddress, int serverPort) {
        if (!recording) return Span.wrap(Span.current().getSpanContext());
        var builder = tracer.spanBuilder("chat " + model)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_OPERATION_NAME,
                        GenAiIncubatingAttributes.GenAiOperationNameIncubatingValues.CHAT)
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_PROVIDER_NAME,
                        GenAiIncubatingAttributes.GenAiProviderNameIncubatingValues.OPENAI)
                // gen_ai.system gave way to gen_ai.provider.name in semconv 1.37; backends built on the older
                // conventions still read it, so both are set.
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_SYSTEM, "openai")
                .setAttribute(GenAiIncubatingAttributes.GEN_AI_REQUEST_MODEL, model)
                .setAttribute(RUN_ID, runId)
                .setAttribute(MODEL_PURPOSE, purpose);
        if (taskId != null) builder.setAttribute(TASK_ID, taskId);
        if (serverAddress != null) {
            builder.setAttribute(AttributeKey.stringKey("server.address"), serverAddress);
            if (serverPort > 0) builder.setAttribute(AttributeKey.longKey("server.port"), (long) serverPort);
        }
        return builder.startSpan();
    }

    /**
     * Ends a chat call's span: on success with the response's model and the token usage
     * ({@code cached}: answered from the gateway's cache, no tokens spent), on failure with {@code error.type}.
     */
    public static void modelCallEnded(Span span, String responseModel, long inputTokens, long outputTokens, boolean cached,
                                      String errorCode, String message) {
        if (errorCode == null) {
            if (responseModel != null) span.setAttribute(GenAiIncubatingAttributes.GEN_AI_RESPONSE_MODEL, responseModel);
            span.setAttribute(GenAiIncubatingAttributes.GEN_AI_USAGE_INPUT_TOKENS, inputTokens);
            span.setAttribute(GenAiIncubatingAttributes.GEN_AI_USAGE_OUTPUT_TOKENS, outputTokens);
            if (cached) span.setAttribute(MODEL_CACHED, true);
        }
        end(span, errorCode, message);
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }

    @Override
    public String toString() {
        return this == NOOP ? "Tracing[noop]" : "Tracing[" + Objects.toString(tracer) + "]";
    }
}
