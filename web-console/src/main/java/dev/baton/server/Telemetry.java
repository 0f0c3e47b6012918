package dev.baton.server;

import dev.baton.runtime.telemetry.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server's OpenTelemetry: traces exported over OTLP as the standard {@code OTEL_*} environment
 * variables (or {@code -Dotel.*} system properties) say, through the SDK's autoconfigure module, and off
 * unless they ask for it.
 *
 * <h2>When traces are on</h2>
 * <ul>
 *   <li>{@code OTEL_SDK_DISABLED=true}: off.</li>
 *   <li>{@code OTEL_TRACES_EXPORTER} set: on unless it is {@code none} (e.g. {@code otlp}, {@code console}).</li>
 *   <li>otherwise on when {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} is set
 *       (the exporter is then OTLP, by default over HTTP/protobuf).</li>
 *   <li>otherwise off: {@link OpenTelemetry#noop()}, no SDK, no exporter thread, nothing logged.</li>
 * </ul>
 * When on, every other {@code OTEL_*} setting (sampler, headers, protocol, resource attributes, batch
 * sizes...) is the SDK's. Baton only changes four defaults: {@code service.name} is {@code baton}, the
 * OTLP protocol is {@code http/protobuf} (the specification's default; the SDK module alone would take
 * gRPC), and metrics and logs are not exported over OTLP ({@code OTEL_METRICS_EXPORTER} and
 * {@code OTEL_LOGS_EXPORTER} default to {@code none}: metrics are on {@code /metrics}); setting any of
 * them overrides this. Incoming W3C {@code traceparent} headers are honoured whether traces are on or off
 * ({@link Tracing}).
 */
public final class Telemetry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);
    private static final Telemetry OFF = new Telemetry(null);

    private final OpenTelemetrySdk sdk;

    private Telemetry(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    /** As the process's environment and system properties say. */
    public static Telemetry fromEnvironment() {
        return open(System.getenv());
    }

    /**
     * As {@code env} (environment variables by name, e.g. {@code OTEL_EXPORTER_OTLP_ENDPOINT}) and the
     * system properties say; the system properties win, as in the SDK.
     */
    public static Telemetry open(Map<String, String> env) {
        if (!tracesOn(env)) return OFF;
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("otel.service.name", "baton");
        // OTLP over HTTP/protobuf (port 4318), as the OpenTelemetry specification and its Java agent default to; the
        // SDK's autoconfigure module alone would use gRPC (port 4317). OTEL_EXPORTER_OTLP_PROTOCOL=grpc picks that.
        properties.put("otel.exporter.otlp.protocol", "http/protobuf");
        properties.put("otel.metrics.exporter", "none");
        properties.put("otel.logs.exporter", "none");
        // The variables given (the process's own are read by the SDK anyway, with a higher priority).
        env.forEach((name, value) -> {
            if (name.startsWith("OTEL_")) properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
        });
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> properties)
                .disableShutdownHook() // the server closes it, after the runs' last spans
                .build()
                .getOpenTelemetrySdk();
        LOG.info("OpenTelemetry traces are exported ({})", describe(env));
        return new Telemetry(sdk);
    }

    /** Whether the settings turn traces on (see the class comment). */
    static boolean tracesOn(Map<String, String> env) {
        if ("true".equalsIgnoreCase(setting(env, "OTEL_SDK_DISABLED"))) return false;
        String exporter = setting(env, "OTEL_TRACES_EXPORTER");
        if (exporter != null) return !exporter.strip().equalsIgnoreCase("none");
        return setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT") != null || setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null;
    }

    /** A setting from the system properties ({@code otel.sdk.disabled}) or else the environment; null if unset or blank. */
    private static String setting(Map<String, String> env, String name) {
        String value = System.getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'));
        if (value == null || value.isBlank()) value = env.get(name);
        return value == null || value.isBlank() ? null : value;
    }

    private static String describe(Map<String, String> env) {
        String exporter = setting(env, "OTEL_TRACES_EXPORTER");
        String endpoint = setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (endpoint == null) endpoint = setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
        return "exporter " + (exporter == null ? "otlp" : exporter) + (endpoint == null ? "" : ", endpoint " + Config.redact(endpoint));
    }

    /** The instance to hand the orchestrator and the model gateway: the SDK, or {@link OpenTelemetry#noop()} when traces are off. */
    public OpenTelemetry openTelemetry() {
        return sdk == null ? OpenTelemetry.noop() : sdk;
    }

    /** Whether traces are exported. */
    public boolean on() {
        return sdk != null;
    }

    /**
     * The trace context of a request's {@code traceparent}/{@code tracestate} headers, to make current
     * around the call that starts a run so that the run joins the caller's trace ({@link Context#root()} without).
     */
    public static Context caller(RoutingContext ctx) {
        return Tracing.extract(ctx.request()::getHeader);
    }

    /** Exports the spans still queued and stops the exporter. */
    @Override
    public void close() {
        if (sdk == null) return;
        try {
            sdk.shutdown().join(10, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            LOG.warn("OpenTelemetry did not shut down cleanly: {}", e.toString());
        }
    }
}
