package dev.baton.runtime.model;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway against WireMock answering as the OpenAI API does on {@code POST /v1/chat/completions}:
 * answers, tool calls, usage, retries with {@code Retry-After}, 5xx, timeouts, broken bodies, the
 * cache, the concurrency cap, and the key never showing.
 */
@Timeout(60)
class ModelGatewayTest {

    private static final String KEY = "sk-test-SECRET-key-0123456789abcdef";
    private static final String PATH = "/v1/chat/completions";
    private static WireMockServer wiremock;

    private final List<ModelCall> calls = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        wiremock = new WireMockServer(options().dynamicPort().containerThreads(32).jettyAcceptors(2));
        wiremock.start();
    }

    @AfterAll
    static void stop() {
        wiremock.stop();
    }

    @BeforeEach
    void reset() {
        wiremock.resetAll();
        calls.clear();
    }

    private ModelConfig.Builder config() {
        return ModelConfig.builder().baseUrl(wiremock.baseUrl() + "/v1").apiKey(KEY).model("gpt-test")
                .timeout(Duration.ofSeconds(5)).maxRetries(3);
    }

    private ModelGateway gateway(Consumer<ModelConfig.Builder> tweak) {
        ModelConfig.Builder b = config();
        tweak.accept(b);
        ModelGateway g = ModelGateway.create(b.build(), Duration.ofMillis(50));
        g.addListener(calls::add);
        return g;
    }

    private static ChatRequest ask(String question) {
        return ChatRequest.builder().messages(SystemMessage.from("You are terse."), UserMessage.from(question)).build();
    }

    private static String completion(String content, int prompt, int completionTokens) {
        return """
                {"id":"chatcmpl-1","object":"chat.completion","created":1760000000,"model":"gpt-test",
                 "choices":[{"index":0,"message":{"role":"assistant","content":%s},"logprobs":null,"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}
                """.formatted(quote(content), prompt, completionTokens, prompt + completionTokens);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void answer(String body) {
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(okJson(body)));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder okJson(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }

    private int requests() {
        return wiremock.findAll(postRequestedFor(urlEqualTo(PATH))).size();
    }

    @Test
    void answersAndCountsUsagePerRunAndTask() {
        wiremock.stubFor(post(urlEqualTo(PATH)).withRequestBody(matchingJsonPath("$.messages[?(@.content == 'first')]"))
                .willReturn(okJson(completion("one", 10, 3))));
        wiremock.stubFor(post(urlEqualTo(PATH)).withRequestBody(matchingJsonPath("$.messages[?(@.content == 'second')]"))
                .willReturn(okJson(completion("two", 20, 5))));
        wiremock.stubFor(post(urlEqualTo(PATH)).withRequestBody(matchingJsonPath("$.messages[?(@.content == 'plan it')]"))
                .willReturn(okJson(completion("plan", 100, 50))));
        ModelGateway g = gateway(b -> {});

        ChatResponse r = g.chat(ask("first"), new CallContext("run-1", "t1", "agent"));
        assertEquals("one", r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
        g.chat(ask("second"), new CallContext("run-1", "t2", "agent"));
        // A plain ChatModel view, as a planner in a lower module would take it.
        ChatModel planner = g.forContext(CallContext.forRun("run-1", "plan"));
        assertEquals("plan", planner.chat("plan it"));
        g.chat(ask("first"), new CallContext("run-2", "t1", "agent"));

        assertEquals(new Usage(3, 130, 58), g.usage("run-1"));
        assertEquals(new Usage(1, 10, 3), g.usage("run-1", "t1"));
        assertEquals(new Usage(1, 20, 5), g.usage("run-1", "t2"));
        assertEquals(new Usage(1, 100, 50), g.usage("run-1", null));
        assertEquals(Usage.NONE, g.usage("run-1", "t9"));
        assertEquals(new Usage(0, 0, 0, 1), g.usage("run-2"), "same request again: a cache hit, no tokens spent");
        assertEquals(3, requests());

        wiremock.verify(postRequestedFor(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer " + KEY))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-test")))
                .withRequestBody(matchingJsonPath("$.temperature", equalTo("0.0"))));
        assertEquals(4, calls.size());
        ModelCall first = calls.get(0);
        assertEquals(new CallContext("run-1", "t1", "agent"), first.context());
        assertEquals("gpt-test", first.model());
        assertEquals(10, first.promptTokens());
        assertEquals(3, first.completionTokens());
        assertEquals(1, first.attempts());
        assertEquals("STOP", first.finishReason());
        assertFalse(first.cached());
        assertTrue(first.succeeded());
        assertEquals("plan", calls.get(2).context().purpose());
        assertTrue(calls.get(3).cached());

        g.forget("run-1");
        assertEquals(Usage.NONE, g.usage("run-1"));
        assertEquals(Usage.NONE, g.usage("run-1", "t1"));
    }

    @Test
    void toolCallsComeBackAsToolExecutionRequests() {
        answer("""
                {"id":"chatcmpl-2","object":"chat.completion","created":1760000000,"model":"gpt-test",
                 "choices":[{"index":0,"message":{"role":"assistant","content":null,
                   "tool_calls":[{"id":"call_abc","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                                 {"id":"call_def","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Rome\\"}"}}]},
                   "finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59}}
                """);
        ModelGateway g = gateway(b -> {});
        ToolSpecification weather = ToolSpecification.builder().name("weather").description("Current weather in a city")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Weather in Paris and Rome?"))
                .toolSpecifications(weather).build();

        ChatResponse r = g.chat(request, new CallContext("run-t", "t1", "agent"));

        List<ToolExecutionRequest> tools = r.aiMessage().toolExecutionRequests();
        assertEquals(2, tools.size());
        assertEquals("call_abc", tools.get(0).id());
        assertEquals("weather", tools.get(0).name());
        assertEquals("{\"city\":\"Paris\"}", tools.get(0).arguments());
        assertEquals("Rome", tools.get(1).arguments().replaceAll(".*\"city\":\"(\\w+)\".*", "$1"));
        assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason());
        assertEquals(new Usage(1, 42, 17), g.usage("run-t", "t1"));
        wiremock.verify(postRequestedFor(urlEqualTo(PATH))
                .withRequestBody(matchingJsonPath("$.tools[?(@.function.name == 'weather')]")));
        assertEquals("TOOL_EXECUTION", calls.get(0).finishReason());
    }

    @Test
    void rateLimitHonoursRetryAfter() {
        wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("429").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1").withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"))
                .willSetStateTo("ok"));
        wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("429").whenScenarioStateIs("ok")
                .willReturn(okJson(completion("fine", 5, 1))));
        ModelGateway g = gateway(b -> {});

        ChatResponse r = g.chat(ask("hi"), new CallContext("run-429", "t", "agent"));

        assertEquals("fine", r.aiMessage().text());
        List<LoggedRequest> sent = wiremock.findAll(postRequestedFor(urlEqualTo(PATH)));
        assertEquals(2, sent.size());
        long gap = sent.get(1).getLoggedDate().getTime() - sent.get(0).getLoggedDate().getTime();
        assertTrue(gap >= 950, "waited only " + gap + " ms despite Retry-After: 1");
        assertEquals(new Usage(1, 5, 1), g.usage("run-429"));
        assertEquals(2, calls.get(0).attempts());
    }

    @Test
    void fiveHundredsThenSuccess() {
        wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("5xx").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500).withBody("{\"error\":{\"message\":\"boom\"}}")).willSetStateTo("again"));
        wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("5xx").whenScenarioStateIs("again")
                .willReturn(aResponse().withStatus(502).withBody("bad gateway")).willSetStateTo("ok"));
        wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("5xx").whenScenarioStateIs("ok")
                .willReturn(okJson(completion("up", 7, 2))));
        ModelGateway g = gateway(b -> {});

        assertEquals("up", g.chat(ask("hi"), new CallContext("run-5xx", null, "plan")).aiMessage().text());
        assertEquals(3, requests());
        assertEquals(new Usage(1, 7, 2), g.usage("run-5xx"));
        assertEquals(3, calls.get(0).attempts());
    }

    @Test
    void fiveHundredForeverGivesUpAfterMaxRetries() {
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(500).withBody("{\"error\":{\"message\":\"down\"}}")));
        ModelGateway g = gateway(b -> b.maxRetries(2));

        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-down", "t", "agent")));

        assertEquals(ModelException.UNAVAILABLE, e.code());
        assertTrue(e.retryable());
        assertEquals(500, e.httpStatus());
        assertEquals(3, e.attempts());
        assertTrue(e.getMessage().contains("HTTP 500") && e.getMessage().contains("3 attempts"), e.getMessage());
        assertEquals(3, requests());
        assertEquals(Usage.NONE, g.usage("run-down"));
        ModelCall failed = calls.get(0);
        assertFalse(failed.succeeded());
        assertEquals(ModelException.UNAVAILABLE, failed.errorCode());
        assertEquals(3, failed.attempts());
    }

    @Test
    void rateLimitedForeverGivesUpAsRateLimited() {
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "0")
                .withBody("{\"error\":{\"message\":\"quota\"}}")));
        ModelGateway g = gateway(b -> b.maxRetries(1));

        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), CallContext.forRun("run-q", "plan")));

        assertEquals(ModelException.RATE_LIMITED, e.code());
        assertTrue(e.retryable());
        assertEquals(429, e.httpStatus());
        assertEquals(2, requests());
    }

    @Test
    void unreachableEndpointIsUnavailable() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ModelConfig config = config().baseUrl("http://127.0.0.1:" + closedPort + "/v1").maxRetries(1).build();
        ModelGateway g = ModelGateway.create(config, Duration.ofMillis(10));

        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), CallContext.forRun("run-u", "plan")));

        assertEquals(ModelException.UNAVAILABLE, e.code(), e.getMessage());
        assertTrue(e.retryable());
        assertEquals(2, e.attempts());
        assertFalse(e.getMessage().contains(KEY));
    }

    @Test
    void badRequestIsNotRetried() {
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Invalid value for 'messages'\",\"type\":\"invalid_request_error\"}}")));
        ModelGateway g = gateway(b -> {});

        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-400", "t", "agent")));

        assertEquals(ModelException.REJECTED, e.code());
        assertFalse(e.retryable());
        assertEquals(400, e.httpStatus());
        assertTrue(e.getMessage().contains("Invalid value for 'messages'"), e.getMessage());
        assertEquals(1, requests());
    }

    @Test
    void modelThatNeverAnswersTimesOut() {
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(okJson(completion("late", 1, 1)).withFixedDelay(3_000)));
        ModelGateway g = gateway(b -> b.timeout(Duration.ofMillis(400)).maxRetries(1));

        long t0 = System.nanoTime();
        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-slow", "t", "agent")));
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertEquals(ModelException.TIMEOUT, e.code());
        assertTrue(e.retryable());
        assertEquals(2, e.attempts());
        assertTrue(ms < 2_500, "took " + ms + " ms");
        assertEquals(2, requests());
    }

    @Test
    void truncatedBodyIsABadResponse() {
        String full = completion("cut short", 3, 3);
        answer(full.substring(0, full.length() / 2));
        ModelGateway g = gateway(b -> {});

        ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-bad", "t", "agent")));

        assertEquals(ModelException.BAD_RESPONSE, e.code(), e.getMessage());
        assertFalse(e.retryable());
        assertEquals(1, requests());
    }

    @Test
    void identicalTemperatureZeroRequestsHitTheCache() {
        answer(completion("cached", 11, 4));
        ModelGateway g = gateway(b -> {});
        CallContext ctx = new CallContext("run-c", "t", "agent");

        ChatResponse a = g.chat(ask("same"), ctx);
        ChatResponse b = g.chat(ask("same"), ctx);
        g.chat(ask("different"), ctx);

        assertEquals(a.aiMessage().text(), b.aiMessage().text());
        assertEquals(2, requests());
        assertTrue(calls.get(1).cached());
        assertEquals(0, calls.get(1).promptTokens());
        assertEquals(0, calls.get(1).attempts());
        assertEquals(new Usage(2, 22, 8, 1), g.usage("run-c", "t"));
    }

    @Test
    void nonZeroTemperatureAndDisabledCacheAlwaysCallTheModel() {
        answer(completion("random", 1, 1));
        ModelGateway warm = gateway(b -> b.temperature(0.7));
        warm.chat(ask("same"), CallContext.forRun("r", "plan"));
        warm.chat(ask("same"), CallContext.forRun("r", "plan"));
        assertEquals(2, requests());

        ModelGateway off = gateway(b -> b.cacheSize(0));
        off.chat(ask("same"), CallContext.forRun("r", "plan"));
        off.chat(ask("same"), CallContext.forRun("r", "plan"));
        assertEquals(4, requests());

        ModelGateway forced = gateway(b -> b.temperature(0.7).cacheNonZeroTemperature(true));
        forced.chat(ask("same"), CallContext.forRun("r", "plan"));
        forced.chat(ask("same"), CallContext.forRun("r", "plan"));
        assertEquals(5, requests());
    }

    @Test
    void theKeyNeverShows() {
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        List<String> messages = new ArrayList<>();
        try {
            System.setErr(capture);
            System.setOut(capture);
            // An endpoint that echoes the key and the header back in its error bodies.
            wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("echo").whenScenarioStateIs(Scenario.STARTED)
                    .willReturn(aResponse().withStatus(503).withBody("upstream said: Authorization: Bearer " + KEY))
                    .willSetStateTo("401"));
            wiremock.stubFor(post(urlEqualTo(PATH)).inScenario("echo").whenScenarioStateIs("401")
                    .willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                            .withBody("{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\",\"code\":\"invalid_api_key\"}}")));
            ModelGateway g = gateway(b -> {});
            ModelException e = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-key", "t", "agent")));
            assertEquals(ModelException.REJECTED, e.code());
            assertTrue(e.getMessage().contains("OPENAI_API_KEY"), e.getMessage());
            messages.add(e.getMessage());
            messages.add(String.valueOf(e));

            wiremock.resetAll();
            wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(500).withBody("{\"debug\":\"api_key=" + KEY + "\"}")));
            ModelException e2 = assertThrows(ModelException.class, () -> g.chat(ask("hi"), new CallContext("run-key", "t", "agent")));
            messages.add(e2.getMessage());
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("retrying"), "expected the retries to be logged: " + log);
        for (ModelCall c : calls) messages.add(String.valueOf(c));
        messages.add(log);
        messages.add(String.valueOf(calls));
        for (String m : messages) {
            assertFalse(m.contains(KEY), m);
            assertFalse(m.contains("SECRET"), m);
        }
    }

    @Test
    void concurrencyIsCapped() throws Exception {
        answer(completion("slow", 1, 1));
        wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(okJson(completion("slow", 1, 1)).withFixedDelay(300)));
        ModelGateway g = gateway(b -> b.maxConcurrentCalls(2).cacheSize(0));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            long t0 = System.nanoTime();
            List<Future<ChatResponse>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = i;
                futures.add(pool.submit(() -> g.chat(ask("q" + n), new CallContext("run-par", "t" + n, "agent"))));
            }
            for (Future<ChatResponse> f : futures) assertEquals("slow", f.get().aiMessage().text());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 880, "6 calls of 300 ms, 2 at a time, took only " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
        // Requests arriving within 250 ms of each other were in flight together (each takes >= 300 ms).
        List<Long> starts = wiremock.getAllServeEvents().stream().map(ServeEvent::getRequest)
                .map(r -> r.getLoggedDate().getTime()).sorted(Comparator.naturalOrder()).toList();
        assertEquals(6, starts.size());
        int maxInFlight = 0;
        for (long s : starts) {
            int n = (int) starts.stream().filter(o -> o <= s && o > s - 250).count();
            maxInFlight = Math.max(maxInFlight, n);
        }
        assertEquals(2, maxInFlight, "arrivals " + starts);
        assertEquals(new Usage(6, 6, 6), g.usage("run-par"));
    }

    @Test
    void cacheKeyCoversMessagesToolsAndParameters() {
        ToolSpecification a = ToolSpecification.builder().name("a").description("tool a").build();
        ToolSpecification b = ToolSpecification.builder().name("b").description("tool b").build();
        ChatRequest base = ChatRequest.builder().messages(UserMessage.from("q")).toolSpecifications(a).build();
        String key = ModelGateway.cacheKey("m", 0.0, base);
        assertEquals(key, ModelGateway.cacheKey("m", 0.0,
                ChatRequest.builder().messages(UserMessage.from("q")).toolSpecifications(a).build()));
        assertFalse(key.equals(ModelGateway.cacheKey("m", 0.0,
                ChatRequest.builder().messages(UserMessage.from("q")).toolSpecifications(b).build())), "tools");
        assertFalse(key.equals(ModelGateway.cacheKey("m", 0.0,
                ChatRequest.builder().messages(UserMessage.from("q!")).toolSpecifications(a).build())), "messages");
        assertFalse(key.equals(ModelGateway.cacheKey("m", 0.0,
                ChatRequest.builder().messages(UserMessage.from("q")).toolSpecifications(a).maxOutputTokens(10).build())), "parameters");
        assertFalse(key.equals(ModelGateway.cacheKey("other", 0.0, base)), "model");
    }

    @Test
    void listenerFailuresDoNotBreakCalls() {
        answer(completion("ok", 1, 1));
        ModelGateway g = gateway(b -> {});
        g.addListener(c -> { throw new IllegalStateException("listener bug"); });
        assertEquals("ok", g.chat(ask("x"), CallContext.forRun("r", "result")).aiMessage().text());
        assertNull(calls.get(0).errorCode());
    }
}
