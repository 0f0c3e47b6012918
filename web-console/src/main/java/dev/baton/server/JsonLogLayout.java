package dev.baton.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.baton.runtime.LogContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/**
 * One log event as one line of JSON (BATON_LOG_FORMAT=json):
 * <pre>{"timestamp":"2026-12-07T00:18:49.123Z","level":"INFO","logger":"dev.baton...","thread":"...",
 * "message":"...","run_id":"...","task_id":"...","trace_id":"...","exception":"java.lang...\n\tat ..."}</pre>
 * The ids are the logging context's (see {@link dev.baton.runtime.LogContext}), present only when
 * set; {@code exception} only with a throwable. A line logged inside an OpenTelemetry span (a task
 * attempt, a tool or model call) without a trace id of its own takes the span's: the appender is
 * synchronous, so the layout runs on the thread that logged, where that span is current. Logback's own JsonEncoder nests the context under
 * "mdc", names the logger "loggerName" and writes epoch numbers, which log tools read less readily.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {
    private static final JsonFactory JSON = new JsonFactory();
    /** UTC, always with milliseconds (Instant.toString drops a fraction of zero). */
    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(java.time.ZoneOffset.UTC);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("timestamp", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())));
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            json.writeStringField("message", event.getFormattedMessage());
            Map<String, String> context = event.getMDCPropertyMap();
            if (context != null) {
                for (Map.Entry<String, String> entry : context.entrySet()) {
                    if (entry.getValue() != null) json.writeStringField(entry.getKey(), entry.getValue());
                }
            }
            if (context == null || context.get(LogContext.TRACE_ID) == null) {
                SpanContext span = Span.current().getSpanContext();
                if (span.isValid()) json.writeStringField(LogContext.TRACE_ID, span.getTraceId());
            }
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) json.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }
}
