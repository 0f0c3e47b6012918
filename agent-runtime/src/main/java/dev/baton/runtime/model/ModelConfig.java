package dev.baton.runtime.model;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how the {@link ModelGateway} talks to an OpenAI-compatible chat endpoint (OpenAI, Azure
 * OpenAI, Ollama, vLLM, LM Studio...). Build with {@link #builder()} or {@link #fromEnvironment(Map)}.
 * {@link #toString()} never shows the API key.
 *
 * @param baseUrl                  the API root, e.g. {@code https://api.openai.com/v1} or
 *                                 {@code http://localhost:11434/v1} for Ollama
 * @param apiKey                   the key sent as a bearer token; may be empty (Ollama needs none)
 * @param model                    the model name, e.g. {@code gpt-4o-mini} or {@code llama3.1}
 * @param temperature              sampling temperature; default 0.0
 * @param timeout                  how long one HTTP attempt may take; default 60 s
 * @param maxConcurrentCalls       model calls in flight at once; default 4
 * @param maxRetries               extra attempts after a 429, 5xx, timeout or I/O error; default 3
 * @param cacheSize                responses kept in the cache; default 1,000; 0 turns the cache off
 * @param cacheNonZeroTemperature  whether to cache calls made with a temperature above 0; default false
 */
public record ModelConfig(String baseUrl, String apiKey, String model, double temperature, Duration timeout,
                          int maxConcurrentCalls, int maxRetries, long cacheSize, boolean cacheNonZeroTemperature) {

    public static final double DEFAULT_TEMPERATURE = 0.0;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 4;
    public static final int DEFAULT_MAX_RETRIES = 3;
    public static final long DEFAULT_CACHE_SIZE = 1_000;

    public ModelConfig {
        if (baseUrl == null || baseUrl.isBlank()) throw new IllegalArgumentException("baseUrl is required");
        if (model == null || model.isBlank()) throw new IllegalArgumentException("model is required");
        apiKey = apiKey == null ? "" : apiKey;
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        if (!(temperature >= 0.0 && temperature <= 2.0)) throw new IllegalArgumentException("temperature must be between 0 and 2");
        if (maxConcurrentCalls < 1) throw new IllegalArgumentException("maxConcurrentCalls must be at least 1");
        if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must not be negative");
        if (cacheSize < 0) throw new IllegalArgumentException("cacheSize must not be negative");
    }

    /** Whether a key is set (an empty key is fine for Ollama and most local servers). */
    public boolean hasApiKey() {
        return !apiKey.isEmpty();
    }

    /** Whether a call at this temperature may be served from, and stored in, the cache. */
    boolean cacheable(double effectiveTemperature) {
        return cacheSize > 0 && (effectiveTemperature == 0.0 || cacheNonZeroTemperature);
    }

    /**
     * Reads the configuration from environment variables. Empty when {@code BATON_MODEL} is unset or
     * blank: Baton then runs without a model.
     *
     * <ul>
     *   <li>{@code OPENAI_BASE_URL} (required with a model), {@code OPENAI_API_KEY} (may be empty or unset)</li>
     *   <li>{@code BATON_MODEL}, {@code BATON_MODEL_TEMPERATURE}, {@code BATON_MODEL_TIMEOUT} (ISO-8601, e.g. {@code PT30S}),
     *       {@code BATON_MODEL_MAX_CONCURRENCY}, {@code BATON_MODEL_MAX_RETRIES}, {@code BATON_MODEL_CACHE_SIZE}</li>
     * </ul>
     *
     * @throws IllegalArgumentException naming the variable when a value is missing or malformed
     */
    public static Optional<ModelConfig> fromEnvironment(Map<String, String> env) {
        String model = trimmed(env, "BATON_MODEL");
        if (model == null) return Optional.empty();
        String baseUrl = trimmed(env, "OPENAI_BASE_URL");
        if (baseUrl == null) {
            throw new IllegalArgumentException("BATON_MODEL is set to '" + model + "' but OPENAI_BASE_URL is not: set it to the"
                    + " API root of an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1, or for Ollama"
                    + " http://localhost:11434/v1 (OPENAI_API_KEY may stay empty for Ollama)");
        }
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new IllegalArgumentException("OPENAI_BASE_URL must be an http:// or https:// URL, got '" + baseUrl + "'");
        }
        Builder b = builder().baseUrl(baseUrl).model(model);
        String key = env.get("OPENAI_API_KEY");
        b.apiKey(key == null ? "" : key.trim());
        String v;
        if ((v = trimmed(env, "BATON_MODEL_TEMPERATURE")) != null) {
            double t;
            try {
                t = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw bad("BATON_MODEL_TEMPERATURE", v, "a number between 0 and 2");
            }
            if (!(t >= 0.0 && t <= 2.0)) throw bad("BATON_MODEL_TEMPERATURE", v, "a number between 0 and 2");
            b.temperature(t);
        }
        if ((v = trimmed(env, "BATON_MODEL_TIMEOUT")) != null) {
            Duration d;
            try {
                d = Duration.parse(v);
            } catch (DateTimeParseException e) {
                throw bad("BATON_MODEL_TIMEOUT", v, "an ISO-8601 duration such as PT60S or PT2M");
            }
            if (d.isNegative() || d.isZero()) throw bad("BATON_MODEL_TIMEOUT", v, "a positive ISO-8601 duration such as PT60S");
            b.timeout(d);
        }
        if ((v = trimmed(env, "BATON_MODEL_MAX_CONCURRENCY")) != null) {
            b.maxConcurrentCalls((int) integer("BATON_MODEL_MAX_CONCURRENCY", v, 1));
        }
        if ((v = trimmed(env, "BATON_MODEL_MAX_RETRIES")) != null) {
            b.maxRetries((int) integer("BATON_MODEL_MAX_RETRIES", v, 0));
        }
        if ((v = trimmed(env, "BATON_MODEL_CACHE_SIZE")) != null) {
            b.cacheSize(integer("BATON_MODEL_CACHE_SIZE", v, 0));
        }
        return Optional.of(b.build());
    }

    private static String trimmed(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static long integer(String name, String value, int min) {
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= Integer.MAX_VALUE) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(name, value, "a whole number of at least " + min);
    }

    private static IllegalArgumentException bad(String name, String value, String expected) {
        return new IllegalArgumentException(name + " must be " + expected + ", got '" + value + "'");
    }

    /** Shows every setting but the key, which appears as {@code ***} (or {@code <none>}). */
    @Override
    public String toString() {
        return "ModelConfig[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isEmpty() ? "<none>" : "***") + ", model=" + model
                + ", temperature=" + temperature + ", timeout=" + timeout + ", maxConcurrentCalls=" + maxConcurrentCalls
                + ", maxRetries=" + maxRetries + ", cacheSize=" + cacheSize
                + ", cacheNonZeroTemperature=" + cacheNonZeroTemperature + "]";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder; baseUrl and model are required, everything else has the defaults listed on the record. */
    public static final class Builder {
        private String baseUrl;
        private String apiKey = "";
        private String model;
        private double temperature = DEFAULT_TEMPERATURE;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
        private int maxRetries = DEFAULT_MAX_RETRIES;
        private long cacheSize = DEFAULT_CACHE_SIZE;
        private boolean cacheNonZeroTemperature;

        public Builder baseUrl(String value) { this.baseUrl = value; return this; }
        public Builder apiKey(String value) { this.apiKey = value; return this; }
        public Builder model(String value) { this.model = value; return this; }
        public Builder temperature(double value) { this.temperature = value; return this; }
        public Builder timeout(Duration value) { this.timeout = Objects.requireNonNull(value); return this; }
        public Builder maxConcurrentCalls(int value) { this.maxConcurrentCalls = value; return this; }
        public Builder maxRetries(int value) { this.maxRetries = value; return this; }
        public Builder cacheSize(long value) { this.cacheSize = value; return this; }
        public Builder cacheNonZeroTemperature(boolean value) { this.cacheNonZeroTemperature = value; return this; }

        public ModelConfig build() {
            return new ModelConfig(baseUrl, apiKey, model, temperature, timeout, maxConcurrentCalls, maxRetries,
                    cacheSize, cacheNonZeroTemperature);
        }
    }
}
