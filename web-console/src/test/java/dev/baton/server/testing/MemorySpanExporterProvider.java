package dev.baton.server.testing;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * {@code OTEL_TRACES_EXPORTER=baton-test-memory} (or {@code -Dotel.traces.exporter=baton-test-memory}): the SDK's
 * autoconfigure module, as the server runs it, exports to {@link #SPANS}, so that a test sees what an OTLP
 * collector would receive. Found through {@code ServiceLoader} in the test classpath only.
 */
public final class MemorySpanExporterProvider implements ConfigurableSpanExporterProvider {
    public static final String NAME = "baton-test-memory";
    public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    @Override
    public SpanExporter createExporter(ConfigProperties config) {
        return new SpanExporter() { // SPANS outlives each server: its shutdown is not passed on
            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode export(java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
                return SPANS.export(spans);
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode flush() {
                return SPANS.flush();
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
                return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }
        };
    }

    @Override
    public String getName() {
        return NAME;
    }
}
