package dev.baton.runtime.model;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.output.TokenUsage;
import dev.baton.runtime.telemetry.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one way Baton talks to models. Thread-safe; its calls block, so call it from worker or virtual
 * threads, never from an event loop.
 *
 * <ul>
 *   <li><b>Retries</b>: HTTP 429, 5xx and 408, timeouts and I/O errors are retried up to
 *       {@link ModelConfig#maxRetries()} more times, waiting what the server's {@code Retry-After}
 *       says (seconds or an HTTP date, capped at {@link #MAX_RETRY_AFTER}) or else an exponential
 *       back-off (500 ms doubling, ±20 % jitter, at most 30 s). Other 4xx and unreadable answers are
 *       not retried. LangChain4j's own {@code HttpException} keeps no headers, so when the gateway
 *       builds the OpenAI model itself it plugs in an HTTP client that keeps {@code Retry-After};
 *       with another {@link ChatModel} the header is not visible and the gateway backs off normally.
 *       After the last attempt it throws a {@link ModelException} whose message never holds the key.</li>
 *   <li><b>Concurrency</b>: a fair semaphore of {@link ModelConfig#maxConcurrentCalls()} permits is held
 *       around each HTTP attempt (not during back-off).</li>
 *   <li><b>Cache</b>: when the effective temperature is 0 (or {@link ModelConfig#cacheNonZeroTemperature()}),
 *       answers are kept in a Caffeine cache keyed on a SHA-256 of the whole request: model name,
 *       temperature, every message and every parameter including tool specifications. A hit makes no
 *       HTTP request, is reported with {@code cached=true} and zero tokens, and counts in
 *       {@link Usage#cachedCalls()}, not in {@link Usage#calls()} nor in the tokens, since nothing was
 *       spent. Two identical calls in flight at once both go to the model.</li>
 *   <li><b>Usage</b>: calls the model answered and their prompt/completion tokens (from the
 *       response's {@link TokenUsage}) per run and per task, until {@link #forget(String)}.</li>
 * </ul>
 */
public final class ModelGateway {

    /** Longest {@code Retry-After} the gateway waits; longer hints are cut to this. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
    /** First back-off when the server gives no {@code Retry-After}. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final String NO_TASK = "\u0000run";
    private static final Logger LOG = LoggerFactory.getLogger(ModelGateway.class);

    private final ChatModel model;
    /** The same endpoint, streaming; null when the gateway was given a plain {@link ChatModel} (then {@link #stream} answers in one piece). */
    private volatile StreamingChatModel streaming;
    private final ModelConfig config;
    private final Duration initialBackoff;
    private final Semaphore permits;
    private final Cache<String, ChatResponse> cache;
    private final String host;
    private final int port;
    private final List<ModelCallListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, RunCounters> usage = new ConcurrentHashMap<>();
    private final Clock clock = Clock.systemUTC();
    private volatile Tracing tracing = Tracing.noop();

    /** A gateway over LangChain4j's {@link OpenAiChatModel} for the configured endpoint. */
    public ModelGateway(ModelConfig config) {
        this(openAi(config), config, DEFAULT_INITIAL_BACKOFF);
        this.streaming = openAiStreaming(config);
    }

    /** A gateway over any chat model (tests, other providers); {@code config} gives the limits, cache and model name. */
    public ModelGateway(ChatModel model, ModelConfig config) {
        this(model, config, DEFAULT_INITIAL_BACKOFF);
    }

    /** As {@link #ModelGateway(ChatModel, ModelConfig)} with another first back-off (tests use a short one). */
    public ModelGateway(ChatModel model, ModelConfig config, Duration initialBackoff) {
        this.model = Objects.requireNonNull(model, "model");
        this.config = Objects.requireNonNull(config, "config");
        this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
        this.permits = new Semaphore(config.maxConcurrentCalls(), true);
        this.cache = config.cacheSize() > 0 ? Caffeine.newBuilder().maximumSize(config.cacheSize()).build() : null;
        java.net.URI endpoint = endpoint(config.baseUrl());
        this.host = endpoint == null ? null : endpoint.getHost();
        this.port = endpoint == null ? -1 : endpoint.getPort() > 0 ? endpoint.getPort()
                : "https".equalsIgnoreCase(endpoint.getScheme()) ? 443 : "http".equalsIgnoreCase(endpoint.getScheme()) ? 80 : -1;
    }

    /** The endpoint's URI, for the spans' {@code server.address} and {@code server.port}; null if there is none or it is not one. */
    private static java.net.URI endpoint(String baseUrl) {
        if (baseUrl == null || baseUrl.isBlank()) return null;
        try {
            return new java.net.URI(baseUrl.strip());
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /** As {@link #ModelGateway(ModelConfig)} with another first back-off. */
    public static ModelGateway create(ModelConfig config, Duration initialBackoff) {
        return new ModelGateway(openAi(config), config, initialBackoff).streamWith(openAiStreaming(config));
    }

    /** Streams {@link #stream} calls through {@code model} (the same endpoint as the chat model's). */
    public ModelGateway streamWith(StreamingChatModel model) {
        this.streaming = model;
        return this;
    }

    /**
     * LangChain4j's streaming OpenAI model for the config, set up as {@link #openAi} is (its
     * streaming requests go through LangChain4j's own JDK client; see {@link GatewayHttpClient}).
     */
    static StreamingChatModel openAiStreaming(ModelConfig config) {
        return OpenAiStreamingChatModel.builder()
                .httpClientBuilder(new GatewayHttpClient.Builder())
                .baseUrl(config.baseUrl())
                .apiKey(config.hasApiKey() ? config.apiKey() : "none")
                .modelName(config.model())
                .temperature(config.temperature())
                .timeout(config.timeout())
                .logRequests(false)
                .logResponses(false)
                .build();
    }

    /**
     * LangChain4j's OpenAI chat model for the config: no retries of its own (the gateway retries),
     * no request/response logging (it would show the prompts), and an HTTP client that keeps
     * {@code Retry-After}. An empty key is sent as {@code none} (Ollama and local servers ignore it).
     */
    static ChatModel openAi(ModelConfig config) {
        return OpenAiChatModel.builder()
                .httpClientBuilder(new GatewayHttpClient.Builder())
                .baseUrl(config.baseUrl())
                .apiKey(config.hasApiKey() ? config.apiKey() : "none")
                .modelName(config.model())
                .temperature(config.temperature())
                .timeout(config.timeout())
                .maxRetries(0)
                .logRequests(false)
                .logResponses(false)
                .build();
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Gives every call a span ({@code chat {model}}, kind CLIENT, with the GenAI semantic conventions'
     * attributes: operation, provider, request and response model, token usage, {@code error.type}),
     * a child of the span current on the calling thread (an agent task's attempt, or the run for
     * planning). Pass the instance given to {@link dev.baton.runtime.orchestrator.OrchestratorOptions};
     * {@link OpenTelemetry#noop()} (the default) turns it off.
     */
    public ModelGateway traceWith(OpenTelemetry openTelemetry) {
        this.tracing = Tracing.of(openTelemetry);
        return this;
    }

    public void addListener(ModelCallListener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    public void removeListener(ModelCallListener listener) {
        listeners.remove(listener);
    }

    /** A chat model whose calls go through this gateway on behalf of {@code context}. */
    public ChatModel forContext(CallContext context) {
        return new GatewayChatModel(this, model, context);
    }

    /**
     * Sends one chat request (blocking), with retries, the concurrency cap, the cache and accounting.
     *
     * @throws ModelException when the call fails for good
     */
    public ChatResponse chat(ChatRequest request, CallContext context) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(context, "context");
        // No trace id here: lines logged inside a span (the attempt's, a call's) get its trace id from the log layout.
        try (var scope = dev.baton.runtime.LogContext.run(context.runId(), context.taskId(), null)) {
            return traced(request, context);
        }
    }

    /**
     * Sends one chat request and hands each piece of its answer to {@code onPartial} as the model
     * streams it (blocking until the answer is complete), with the same concurrency cap, retries,
     * accounting, listeners and span as {@link #chat}. A failure is retried only while nothing has
     * streamed yet: once text went out, a second answer would not continue it. The endpoint must go
     * quiet for {@link ModelConfig#timeout()} (no piece, no end) for the call to time out. Without a
     * streaming model, or from the cache, the answer comes as one piece. Streamed answers are not
     * cached.
     *
     * @throws ModelException when the call fails for good
     */
    public ChatResponse stream(ChatRequest request, CallContext context, java.util.function.Consumer<String> onPartial) {
        Objects.requireNonNull(onPartial, "onPartial");
        StreamingChatModel streamer = streaming;
        if (streamer == null) {
            ChatResponse response = chat(request, context);
            String text = response.aiMessage() == null ? null : response.aiMessage().text();
            if (text != null && !text.isEmpty()) onPartial.accept(text);
            return response;
        }
        try (var scope = dev.baton.runtime.LogContext.run(context.runId(), context.taskId(), null)) {
            ChatRequestParameters p = request.parameters();
            String modelName = p != null && p.modelName() != null ? p.modelName() : config.model();
            Span span = tracing.modelCallStarted(modelName, context.runId(), context.taskId(), context.purpose(), host, port);
            try (Scope ignored = span.makeCurrent()) {
                ChatResponse response = streamed(streamer, request, context, modelName, onPartial);
                TokenUsage tokens = response.tokenUsage();
                Tracing.modelCallEnded(span, response.modelName(), tokens == null || tokens.inputTokenCount() == null ? 0 : tokens.inputTokenCount(),
                        tokens == null || tokens.outputTokenCount() == null ? 0 : tokens.outputTokenCount(), false, null, null);
                return response;
            } catch (ModelException e) {
                Tracing.modelCallEnded(span, null, 0, 0, false, e.code(), e.getMessage());
                throw e;
            } catch (RuntimeException e) {
                Tracing.modelCallEnded(span, null, 0, 0, false, e.getClass().getName(), e.getMessage());
                throw e;
            }
        }
    }

    private ChatResponse streamed(StreamingChatModel streamer, ChatRequest request, CallContext context, String modelName,
                                  java.util.function.Consumer<String> onPartial) {
        java.util.concurrent.atomic.AtomicBoolean sentAny = new java.util.concurrent.atomic.AtomicBoolean();
        // Once text has streamed, a failure is not retried: a second answer would not continue the first.
        return withRetries(context, modelName, System.nanoTime(), () -> streamAttempt(streamer, request, piece -> {
            sentAny.set(true);
            onPartial.accept(piece);
        }), sentAny::get);
    }

    /** One streamed attempt under a permit: waits for its end, failing once the endpoint is quiet for the configured timeout. */
    private ChatResponse streamAttempt(StreamingChatModel streamer, ChatRequest request, java.util.function.Consumer<String> onPartial)
            throws InterruptedException {
        permits.acquire();
        try {
            java.util.concurrent.CompletableFuture<ChatResponse> done = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.atomic.AtomicLong heard = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
            streamer.chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partial) {
                    heard.set(System.nanoTime());
                    if (partial != null && !partial.isEmpty() && !done.isDone()) onPartial.accept(partial);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            long quietNanos = config.timeout().toNanos();
            while (true) {
                long left = quietNanos - (System.nanoTime() - heard.get());
                if (left <= 0) {
                    done.cancel(false);
                    throw new dev.langchain4j.exception.TimeoutException("the endpoint sent nothing for " + config.timeout().toMillis() + " ms");
                }
                try {
                    return done.get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException quiet) {
                    // a piece may have come meanwhile: look again
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) throw r;
                    throw new RuntimeException(cause);
                }
            }
        } finally {
            permits.release();
        }
    }

    private ChatResponse traced(ChatRequest request, CallContext context) {
        ChatRequestParameters p = request.parameters();
        String modelName = p != null && p.modelName() != null ? p.modelName() : config.model();
        Span span = tracing.modelCallStarted(modelName, context.runId(), context.taskId(), context.purpose(), host, port);
        try (Scope ignored = span.makeCurrent()) {
            Traced answer = call(request, context, modelName);
            TokenUsage tokens = answer.cached ? null : answer.response.tokenUsage();
            Tracing.modelCallEnded(span, answer.response.modelName(), tokens == null || tokens.inputTokenCount() == null ? 0 : tokens.inputTokenCount(),
                    tokens == null || tokens.outputTokenCount() == null ? 0 : tokens.outputTokenCount(), answer.cached, null, null);
            return answer.response;
        } catch (ModelException e) {
            Tracing.modelCallEnded(span, null, 0, 0, false, e.code(), e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            Tracing.modelCallEnded(span, null, 0, 0, false, e.getClass().getName(), e.getMessage());
            throw e;
        }
    }

    /** An answer, and whether it came from the cache. */
    private record Traced(ChatResponse response, boolean cached) {
    }

    private Traced call(ChatRequest request, CallContext context, String modelName) {
        long started = System.nanoTime();
        ChatRequestParameters p = request.parameters();
        double temperature = p != null && p.temperature() != null ? p.temperature() : config.temperature();
        String key = cache != null && config.cacheable(temperature) ? cacheKey(modelName, temperature, request) : null;
        if (key != null) {
            ChatResponse hit = cache.getIfPresent(key);
            if (hit != null) {
                counters(context).cached.increment();
                counters(context.runId(), null, true).cached.increment();
                publish(new ModelCall(context, modelName, 0, 0, elapsed(started), true, 0, finishReason(hit), null, null));
                return new Traced(hit, true);
            }
        }
        ChatResponse response = withRetries(context, modelName, started, () -> attempt(request), () -> false);
        if (key != null) cache.put(key, response);
        return new Traced(response, false);
    }

    /** One try of a model call: its answer, or an exception saying why not. */
    private interface Attempt {
        ChatResponse run() throws InterruptedException;
    }

    /**
     * Tries a call until it answers, fails for good or has spent {@code maxRetries}, waiting between
     * tries as {@link #waitBefore} says; counts its tokens and publishes each outcome as a {@link ModelCall}.
     *
     * @param midStream whether the call has already handed on text (a stream): then a failure is final
     */
    private ChatResponse withRetries(CallContext context, String modelName, long started, Attempt call, java.util.function.BooleanSupplier midStream) {
        int attempt = 0;
        while (true) {
            attempt++;
            Failure failure;
            try {
                ChatResponse response = call.run();
                long in = 0, out = 0;
                TokenUsage tokens = response.tokenUsage();
                if (tokens != null) {
                    in = tokens.inputTokenCount() == null ? 0 : tokens.inputTokenCount();
                    out = tokens.outputTokenCount() == null ? 0 : tokens.outputTokenCount();
                }
                count(context, in, out);
                publish(new ModelCall(context, modelName, in, out, elapsed(started), false, attempt, finishReason(response), null, null));
                return response;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ModelException ex = new ModelException(ModelException.UNAVAILABLE,
                        "model call for run " + context.runId() + " was interrupted", true, 0, attempt);
                publish(failed(context, modelName, started, attempt, ex));
                throw ex;
            } catch (RuntimeException e) {
                failure = Failure.of(e, config.apiKey(), clock.instant());
            }
            boolean streamed = midStream.getAsBoolean();
            if (!failure.retryable() || attempt > config.maxRetries() || streamed) {
                String message = "model call (" + modelName + ", run " + context.runId()
                        + (context.taskId() == null ? "" : ", task " + context.taskId()) + ") failed"
                        + (failure.retryable() ? " after " + attempt + (attempt == 1 ? " attempt" : " attempts") : "")
                        + (streamed ? " while streaming" : "") + ": " + failure.detail();
                ModelException ex = new ModelException(failure.code(), message, failure.retryable(), failure.httpStatus(), attempt);
                LOG.warn("{}", message);
                publish(failed(context, modelName, started, attempt, ex));
                throw ex;
            }
            Duration wait = waitBefore(attempt, failure.retryAfter());
            LOG.info("model call for run {} failed ({}); attempt {} of {}, retrying in {} ms",
                    context.runId(), failure.detail(), attempt, config.maxRetries() + 1, wait.toMillis());
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ModelException ex = new ModelException(ModelException.UNAVAILABLE,
                        "model call for run " + context.runId() + " was interrupted while waiting to retry", true, 0, attempt);
                publish(failed(context, modelName, started, attempt, ex));
                throw ex;
            }
        }
    }

    /** Usage of a whole run (all its tasks and its run-level calls); {@link Usage#NONE} if unknown. */
    public Usage usage(String runId) {
        RunCounters run = usage.get(runId);
        return run == null ? Usage.NONE : run.total.snapshot();
    }

    /** Usage of one task of a run; {@code taskId} null gives the run-level calls (planning, result). */
    public Usage usage(String runId, String taskId) {
        RunCounters run = usage.get(runId);
        if (run == null) return Usage.NONE;
        Counters c = run.tasks.get(taskId == null ? NO_TASK : taskId);
        return c == null ? Usage.NONE : c.snapshot();
    }

    /** Drops a finished run's counters. */
    public void forget(String runId) {
        usage.remove(runId);
    }

    /** Empties the cache. */
    public void clearCache() {
        if (cache != null) cache.invalidateAll();
    }

    private ChatResponse attempt(ChatRequest request) throws InterruptedException {
        permits.acquire();
        try {
            return model.chat(request);
        } finally {
            permits.release();
        }
    }

    private Duration waitBefore(int attempt, Duration retryAfter) {
        if (retryAfter != null) return retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        long base = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        base = Math.min(base, MAX_BACKOFF.toMillis());
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) (base * jitter));
    }

    private void count(CallContext context, long in, long out) {
        for (Counters c : List.of(counters(context), counters(context.runId(), null, true))) {
            c.calls.increment();
            c.prompt.add(in);
            c.completion.add(out);
        }
    }

    /** The task's (or run-level) counters. */
    private Counters counters(CallContext context) {
        return counters(context.runId(), context.taskId(), false);
    }

    private Counters counters(String runId, String taskId, boolean total) {
        RunCounters run = usage.computeIfAbsent(runId, id -> new RunCounters());
        return total ? run.total : run.tasks.computeIfAbsent(taskId == null ? NO_TASK : taskId, id -> new Counters());
    }

    private void publish(ModelCall call) {
        for (ModelCallListener l : listeners) {
            try {
                l.onCall(call);
            } catch (RuntimeException e) {
                LOG.warn("model call listener {} failed: {}", l, e.toString());
            }
        }
    }

    private ModelCall failed(CallContext context, String modelName, long started, int attempts, ModelException ex) {
        return new ModelCall(context, modelName, 0, 0, elapsed(started), false, attempts, null, ex.code(), ex.getMessage());
    }

    private static Duration elapsed(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private static String finishReason(ChatResponse response) {
        return response.finishReason() == null ? null : response.finishReason().name();
    }

    /**
     * SHA-256 of the model name, the temperature and the request's canonical text. LangChain4j's
     * {@code ChatRequest.toString()} lists every message (with tool calls and results) and every
     * parameter (including tool specifications and the response format).
     */
    static String cacheKey(String modelName, double temperature, ChatRequest request) {
        String canonical = modelName + "\n" + temperature + "\n" + request.messages() + "\n" + request.parameters();
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder prompt = new LongAdder();
        final LongAdder completion = new LongAdder();
        final LongAdder cached = new LongAdder();

        Usage snapshot() {
            return new Usage(calls.sum(), prompt.sum(), completion.sum(), cached.sum());
        }
    }

    private static final class RunCounters {
        final Counters total = new Counters();
        final Map<String, Counters> tasks = new ConcurrentHashMap<>();
    }
}
