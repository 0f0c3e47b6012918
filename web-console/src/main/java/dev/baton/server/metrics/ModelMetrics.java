package dev.baton.server.metrics;

import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.model.ModelCall;
import dev.baton.runtime.model.ModelCallListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Model calls counted per model and purpose ({@code plan}, {@code agent}, {@code result}, ...),
 * fed by the gateway as a {@link ModelCallListener}: calls, failures, cache hits, tokens, durations,
 * as meters in the server's registry (made once per model and purpose).
 */
public final class ModelMetrics implements ModelCallListener {
    /** Meter names, also read by the dashboard's summary. */
    public static final String CALLS = "baton.model.calls", ERRORS = "baton.model.call.errors", TOKENS = "baton.model.tokens";

    /** The model asked for and what the call was for. */
    private record Key(String model, String purpose) {
    }

    /** One model and purpose's meters. */
    private record PerModel(Counter calls, Counter errors, Counter cached, Counter promptTokens, Counter completionTokens,
                           Timer seconds) {
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Key, PerModel> meters = new ConcurrentHashMap<>();

    public ModelMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onCall(ModelCall call) {
        String purpose = call.context() == null || call.context().purpose() == null ? "unknown" : call.context().purpose();
        PerModel m = meters.computeIfAbsent(new Key(String.valueOf(call.model()), purpose), this::meters);
        m.calls().increment();
        if (!call.succeeded()) m.errors().increment();
        if (call.cached()) m.cached().increment();
        m.promptTokens().increment(call.promptTokens());
        m.completionTokens().increment(call.completionTokens());
        if (call.duration() != null) m.seconds().record(call.duration().toNanos(), TimeUnit.NANOSECONDS);
    }

    private PerModel meters(Key key) {
        String[] tags = {"model", key.model(), "purpose", key.purpose()};
        return new PerModel(
                Counter.builder(CALLS).description("Model calls, per model and purpose (plan, replan, agent, result).").tags(tags).register(registry),
                Counter.builder(ERRORS).description("Model calls that failed for good.").tags(tags).register(registry),
                Counter.builder("baton.model.cache.hits").description("Model calls answered from the cache.").tags(tags).register(registry),
                tokens(tags, "prompt"), tokens(tags, "completion"),
                Meters.timer(registry, "baton.model.call", "Duration of model calls, including waits and backoffs.", tags));
    }

    private Counter tokens(String[] tags, String type) {
        return Counter.builder(TOKENS).description("Tokens the model read (type=prompt) and wrote (type=completion).")
                .tags(tags).tag("type", type).register(registry);
    }
}
