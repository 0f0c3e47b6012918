package dev.baton.server.metrics;

import dev.baton.runtime.metrics.Histogram;
import dev.baton.runtime.model.ModelCall;
import dev.baton.runtime.model.ModelCallListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Model calls counted per model and purpose ({@code plan}, {@code agent}, {@code result}, ...),
 * fed by the gateway as a {@link ModelCallListener}: calls, failures, cache hits, tokens, durations.
 */
public final class ModelMetrics implements ModelCallListener {

    /** The model asked for and what the call was for. */
    public record Key(String model, String purpose) {
    }

    /** One model and purpose's totals. */
    public static final class Stats {
        private final LongAdder calls = new LongAdder();
        private final LongAdder errors = new LongAdder();
        private final LongAdder cached = new LongAdder();
        private final LongAdder promptTokens = new LongAdder();
        private final LongAdder completionTokens = new LongAdder();
        private final Histogram seconds = new Histogram(Histogram.SECONDS);

        public long calls() { return calls.sum(); }
        public long errors() { return errors.sum(); }
        public long cached() { return cached.sum(); }
        public long promptTokens() { return promptTokens.sum(); }
        public long completionTokens() { return completionTokens.sum(); }
        public Histogram.Snapshot seconds() { return seconds.snapshot(); }
    }

    private final ConcurrentHashMap<Key, Stats> stats = new ConcurrentHashMap<>();

    @Override
    public void onCall(ModelCall call) {
        String purpose = call.context() == null || call.context().purpose() == null ? "unknown" : call.context().purpose();
        Stats s = stats.computeIfAbsent(new Key(String.valueOf(call.model()), purpose), k -> new Stats());
        s.calls.increment();
        if (!call.succeeded()) s.errors.increment();
        if (call.cached()) s.cached.increment();
        s.promptTokens.add(call.promptTokens());
        s.completionTokens.add(call.completionTokens());
        if (call.duration() != null) s.seconds.observeNanos(call.duration().toNanos());
    }

    public Map<Key, Stats> all() {
        return java.util.Collections.unmodifiableMap(stats);
    }
}
