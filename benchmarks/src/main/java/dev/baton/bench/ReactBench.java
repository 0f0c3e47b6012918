package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.baton.json.Json;
import dev.baton.plan.llm.AgentInfo;
import dev.baton.plan.llm.LlmPlanner;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentLimits;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.agent.ModelProvider;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.model.CallContext;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.model.ModelGateway;
import dev.baton.runtime.model.Usage;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import dev.baton.runtime.planning.LlmGoalPlanner;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Part 4: plan-and-execute against a ReAct loop, for a goal that needs K independent lookups, with
 * the model stubbed by WireMock at a fixed delay per call (300 ms by default).
 *
 * <p>Both sides go through the same {@link Orchestrator}, the same {@link ModelGateway} (cache off,
 * so every call is paid for) and the same {@link ToolRegistry}, which holds one tool, {@code kb.lookup}.
 * <ul>
 *   <li><b>Plan-and-execute</b>: a run posted with the goal only. The {@link LlmGoalPlanner} makes one
 *       model call, which answers with K independent {@code kb.lookup} tool tasks; they run in parallel
 *       with no model call. Then the benchmark makes one more model call through the same gateway, as the
 *       run's result (the goal and the K outputs in, the answer out): 2 model calls in all. The
 *       orchestrator does not write a result itself yet, so this call stands for it, counted in the same
 *       run's usage.</li>
 *   <li><b>ReAct</b>: a run posted with a one-task plan, {@code {"agent": "assistant", "instruction": goal}}:
 *       the agent loop ({@code AgentLoop}) over the same gateway and tools. The stubbed model calls one tool
 *       per turn (K turns, then the answer: K + 1 calls), each request carrying the whole conversation so
 *       far. A second variant, "ReAct, parallel tool calls", answers the first turn with all K tool calls at
 *       once (2 calls).</li>
 * </ul>
 *
 * <p>Tokens: the stub computes {@code usage} from what it is sent and what it answers, since a
 * fixed figure would hide what matters here (a ReAct prompt grows with every step):
 * {@code prompt_tokens = ceil(request body characters / 4)} (the whole chat.completions JSON: messages,
 * tool specifications, response format) and {@code completion_tokens = ceil(answer characters / 4)}
 * (the message's content plus, per tool call, its function name and arguments).
 */
final class ReactBench {

    private static final double GOAL_SPEEDUP = 3.0;
    private static final double GOAL_TOKENS = 2.0;
    private static final String TOOL = "kb.lookup";
    private static final String RESULT_MARKER = "Write the run's result";

    private final Vertx vertx;
    private final Report report;
    private final int k = Math.max(1, Options.integer("bench.react.k", 8));
    private final int delayMs = Options.integer("bench.react.delay", 300);
    private final int toolMs = Options.integer("bench.react.toolms", 3);
    private final int warmups = Options.integer("bench.react.warmups", 2);
    private final int reps = Math.max(1, Options.integer("bench.react.reps", 5));

    ReactBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    /** What one run of one side cost. */
    private record Sample(double ms, double runMs, Usage usage) {
    }

    void run() throws Exception {
        report.section(String.format(Locale.ROOT, "4. Plan-and-execute vs ReAct: %d independent %s calls, model stubbed at %d ms per call,"
                + " memory journal", k, TOOL, delayMs));
        OpenAiStub stub = new OpenAiStub(k, delayMs);
        WireMockServer server = new WireMockServer(options()
                .bindAddress("127.0.0.1")
                .dynamicPort()
                .containerThreads(32)
                .asynchronousResponseEnabled(true)
                .asynchronousResponseThreads(8)
                .disableRequestJournal()
                .stubRequestLoggingDisabled(true)
                .gzipDisabled(true)
                .extensions(stub)
                .notifier(new ConsoleNotifier(false)));
        server.start();
        Path dir = Files.createTempDirectory("baton-bench-react-");
        Orchestrator orchestrator = null;
        try {
            server.stubFor(post(urlPathMatching(".*/chat/completions")).willReturn(aResponse().withStatus(200)));
            ModelConfig config = ModelConfig.builder()
                    .baseUrl("http://127.0.0.1:" + server.port() + "/v1")
                    .apiKey("bench-key")
                    .model("gpt-4o-mini")
                    .timeout(Duration.ofSeconds(30))
                    .maxRetries(0)
                    .cacheSize(0) // every call paid for: repeated runs would otherwise be answered from the cache
                    .build();
            ModelGateway gateway = new ModelGateway(config);

            ToolRegistry tools = new ToolRegistry();
            tools.register(new LookupTool(toolMs));
            AgentRegistry agents = new AgentRegistry();
            // The default assistant as it is, but with room for K tool turns and the answer (its default is 8 steps).
            agents.register(AgentRegistry.ASSISTANT.withLimits(new AgentLimits(k + 4, 1_000_000, Duration.ofMinutes(5))));
            ModelProvider models = (runId, taskId) -> gateway.forContext(new CallContext(runId, taskId, "agent"));
            LlmGoalPlanner planner = new LlmGoalPlanner(LlmPlanner.defaults(), RuntimeCatalog.of(tools, agents, true),
                    () -> agents.all().stream().map(a -> new AgentInfo(a.name(), a.description(),
                            a.allTools() ? tools.names() : a.tools())).toList(),
                    runId -> gateway.forContext(CallContext.forRun(runId, "plan")));
            OrchestratorOptions options = OrchestratorOptions.builder().planner(planner).agents(agents).models(models).build();
            orchestrator = Async.await(Orchestrator.start(vertx, Journals.open("memory", dir), tools, options), 60);

            String goal = goal();
            report.say("goal: \"%s\"", goal);
            report.say("tools: %s only; gateway: cache off, no retries; agent 'assistant' with its own prompt and all tools,"
                    + " step limit raised to %d", TOOL, k + 4);
            report.say("tokens as the stub charges them: prompt = ceil(request body chars / 4), completion = ceil(answer chars / 4)");

            List<Sample> planned = new ArrayList<>();
            List<Sample> react = new ArrayList<>();
            List<Sample> parallel = new ArrayList<>();
            for (int i = 0; i < warmups + reps; i++) {
                boolean warm = i < warmups;
                Sample p = planAndExecute(orchestrator, gateway, goal);
                stub.mode = OpenAiStub.SERIAL;
                Sample r = reactRun(orchestrator, gateway, goal);
                stub.mode = OpenAiStub.PARALLEL;
                Sample q = reactRun(orchestrator, gateway, goal);
                stub.mode = OpenAiStub.SERIAL;
                if (!warm) {
                    planned.add(p);
                    react.add(r);
                    parallel.add(q);
                }
                report.say("%s %d: plan-and-execute %6.0f ms (%d calls, %,d tokens) | ReAct %6.0f ms (%d calls, %,d tokens)"
                                + " | ReAct parallel %6.0f ms (%d calls, %,d tokens)",
                        warm ? "warm-up" : "run    ", warm ? i + 1 : i - warmups + 1,
                        p.ms, p.usage.calls(), p.usage.totalTokens(), r.ms, r.usage.calls(), r.usage.totalTokens(),
                        q.ms, q.usage.calls(), q.usage.totalTokens());
            }

            Figures pe = Figures.of(planned);
            Figures re = Figures.of(react);
            Figures rp = Figures.of(parallel);
            report.say("");
            report.say("medians of %d runs (after %d warm-ups):", reps, warmups);
            report.say("%-44s %9s %7s %9s %11s %9s", "", "wall ms", "calls", "prompt", "completion", "tokens");
            line("plan-and-execute (plan + tools + result call)", pe);
            report.say("%-44s %9.0f   (to RunSucceeded, before the result call: the plan call and the tools)", "  of which the run itself", pe.runMs);
            line("ReAct, one tool call per turn", re);
            line("ReAct, all tool calls in one turn", rp);
            report.say("");
            report.say("ratios ReAct / plan-and-execute:   wall time %.2fx, model calls %.2fx, tokens %.2fx (prompt %.2fx, completion %.2fx)",
                    re.ms / pe.ms, re.calls / pe.calls, re.tokens / pe.tokens, re.prompt / pe.prompt, re.completion / pe.completion);
            report.say("ratios ReAct parallel / plan-and-execute: wall time %.2fx, model calls %.2fx, tokens %.2fx (prompt %.2fx, completion %.2fx)",
                    rp.ms / pe.ms, rp.calls / pe.calls, rp.tokens / pe.tokens, rp.prompt / pe.prompt, rp.completion / pe.completion);
            report.say("(ReAct parallel: the model asks for all %d lookups in one answer; the agent loop runs them one after another,"
                    + " %d x ~%d ms)", k, k, toolMs);
            report.say("ideal (model time only): plan-and-execute 2 x %d ms, ReAct %d x %d ms: %.2fx", delayMs, k + 1, delayMs, (k + 1) / 2.0);
            report.goal("4 speed-up over ReAct (one call per turn)", re.ms / pe.ms, "x", GOAL_SPEEDUP, false,
                    String.format(Locale.ROOT, "%.2fx (%.0f vs %.0f ms)", re.ms / pe.ms, re.ms, pe.ms));
            report.goal("4 token saving over ReAct (one call per turn)", re.tokens / pe.tokens, "x", GOAL_TOKENS, false,
                    String.format(Locale.ROOT, "%.2fx (%,.0f vs %,.0f)", re.tokens / pe.tokens, re.tokens, pe.tokens));
            report.info("4 ReAct with parallel tool calls / plan-and-execute",
                    String.format(Locale.ROOT, "%.2fx time, %.2fx tokens", rp.ms / pe.ms, rp.tokens / pe.tokens));
        } finally {
            if (orchestrator != null) orchestrator.close();
            server.stop();
            Async.deleteTree(dir);
        }
    }

    private void line(String name, Figures f) {
        report.say("%-44s %9.0f %7.0f %9.0f %11.0f %9.0f", name, f.ms, f.calls, f.prompt, f.completion, f.tokens);
    }

    /** Medians of each figure (each its own median, so they need not come from the same run). */
    private record Figures(double ms, double runMs, double calls, double prompt, double completion, double tokens) {
        static Figures of(List<Sample> samples) {
            return new Figures(
                    Stats.of(samples.stream().map(Sample::ms).toList()).median(),
                    Stats.of(samples.stream().map(Sample::runMs).toList()).median(),
                    Stats.of(samples.stream().map(s -> s.usage.calls()).toList()).median(),
                    Stats.of(samples.stream().map(s -> s.usage.promptTokens()).toList()).median(),
                    Stats.of(samples.stream().map(s -> s.usage.completionTokens()).toList()).median(),
                    Stats.of(samples.stream().map(s -> s.usage.totalTokens()).toList()).median());
        }
    }

    private String goal() {
        StringBuilder keys = new StringBuilder();
        for (int i = 1; i <= k; i++) keys.append(i == 1 ? "" : i == k ? " and " : ", ").append(key(i));
        return "Look up the customer records " + keys + " in the knowledge base and report, for each one, its owner and status.";
    }

    static String key(int i) {
        return "CUST-" + (1000 + i);
    }

    /** A run posted with the goal only: planned by the model, then run by the orchestrator; then the result call. */
    private Sample planAndExecute(Orchestrator orchestrator, ModelGateway gateway, String goal) throws Exception {
        long t0 = System.nanoTime();
        Submitted submitted = Async.await(orchestrator.submit(new RunRequest(goal, null, null, null, null, null)), 60);
        JsonNode run = Async.await(orchestrator.whenFinished(submitted.runId()), 120);
        long t1 = System.nanoTime();
        check(run, "plan-and-execute");
        JsonNode tasks = run.path("plan").path("tasks");
        if (tasks.size() != k) throw new IllegalStateException("the plan has " + tasks.size() + " tasks, not " + k + ": " + run.path("plan"));
        StringBuilder outputs = new StringBuilder();
        for (JsonNode task : tasks) outputs.append("- ").append(task.path("id").asText()).append(": ").append(Json.write(task.path("output"))).append('\n');
        ChatRequest result = ChatRequest.builder().messages(
                SystemMessage.from("You write the result of a run of Baton: an answer to the goal, citing the tasks whose outputs you used."),
                UserMessage.from(RESULT_MARKER + ".\n\nGoal: " + goal + "\n\nThe tasks' outputs (JSON):\n" + outputs)).build();
        String answer = gateway.forContext(CallContext.forRun(submitted.runId(), "result")).chat(result).aiMessage().text();
        long t2 = System.nanoTime();
        if (answer == null || !answer.contains(key(k))) throw new IllegalStateException("unexpected result: " + answer);
        Usage usage = gateway.usage(submitted.runId());
        gateway.forget(submitted.runId());
        return new Sample((t2 - t0) / 1e6, (t1 - t0) / 1e6, usage);
    }

    /** A run of one agent task: the agent loop is the ReAct loop. */
    private Sample reactRun(Orchestrator orchestrator, ModelGateway gateway, String goal) throws Exception {
        ObjectNode plan = Json.object();
        plan.putArray("tasks").addObject().put("id", "react").put("agent", AgentRegistry.DEFAULT_AGENT).put("instruction", goal);
        long t0 = System.nanoTime();
        Submitted submitted = Async.await(orchestrator.submit(new RunRequest(goal, null, plan, null, null, null)), 60);
        JsonNode run = Async.await(orchestrator.whenFinished(submitted.runId()), 120);
        long t1 = System.nanoTime();
        check(run, "ReAct");
        String answer = run.path("plan").path("tasks").get(0).path("output").path("answer").asText();
        if (!answer.contains(key(k))) throw new IllegalStateException("unexpected ReAct answer: " + run.path("plan"));
        Usage usage = gateway.usage(submitted.runId());
        gateway.forget(submitted.runId());
        return new Sample((t1 - t0) / 1e6, (t1 - t0) / 1e6, usage);
    }

    private static void check(JsonNode run, String what) {
        if (!"SUCCEEDED".equals(run.path("status").asText())) {
            throw new IllegalStateException(what + " run ended " + run.path("status").asText() + ": " + run.path("error")
                    + " " + run.path("plan"));
        }
    }

    /** kb.lookup {key}: a small JSON record after a few ms of work. */
    static final class LookupTool implements BatonTool {
        private final ToolDescriptor descriptor;
        private final int workMs;

        LookupTool(int workMs) {
            this.workMs = workMs;
            ObjectNode schema = Json.object();
            schema.put("type", "object");
            schema.putObject("properties").putObject("key").put("type", "string").put("description", "the record's key, e.g. CUST-1001");
            schema.putArray("required").add("key");
            schema.put("additionalProperties", false);
            this.descriptor = ToolDescriptor.builder(TOOL)
                    .description("Looks up one customer record in the knowledge base by its key.")
                    .parameters(schema).idempotent(true).build();
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) throws Exception {
            if (workMs > 0) Thread.sleep(workMs);
            return record(args.path("key").asText());
        }

        static ObjectNode record(String key) {
            int n = Math.abs(key.hashCode());
            ObjectNode record = Json.object();
            record.put("key", key);
            record.put("name", "Customer " + key.substring(key.indexOf('-') + 1));
            record.put("owner", List.of("a.lovelace", "g.hopper", "e.noether", "k.johnson").get(n % 4));
            record.put("status", List.of("active", "trial", "suspended").get(n % 3));
            record.put("region", List.of("eu-west", "us-east", "ap-south").get(n % 3));
            record.put("updated", "2026-11-" + String.format(Locale.ROOT, "%02d", 1 + n % 28));
            return record;
        }
    }

    /**
     * The OpenAI chat.completions API as WireMock answers it: every answer after a fixed delay, in the
     * real wire format, with {@code usage} computed from the request and the answer.
     * <ul>
     *   <li>a request with {@code tools} is a ReAct turn: with fewer than K tool results in the conversation
     *       the model asks for the next lookup ({@link #SERIAL}) or for all K at once ({@link #PARALLEL});
     *       after them it answers;</li>
     *   <li>a request that asks for the run's result gets the answer;</li>
     *   <li>any other request is the planner's: it gets K independent kb.lookup tasks.</li>
     * </ul>
     */
    static final class OpenAiStub implements ResponseDefinitionTransformerV2 {
        static final int SERIAL = 0;
        static final int PARALLEL = 1;

        private final int k;
        private final int delayMs;
        private final AtomicInteger ids = new AtomicInteger();
        volatile int mode = SERIAL;

        OpenAiStub(int k, int delayMs) {
            this.k = k;
            this.delayMs = delayMs;
        }

        @Override
        public String getName() {
            return "baton-openai-stub";
        }

        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            String body = serveEvent.getRequest().getBodyAsString();
            String answer;
            try {
                answer = answer(Json.parse(body), body.length());
            } catch (Exception e) {
                return ResponseDefinitionBuilder.responseDefinition().withStatus(400).withBody(String.valueOf(e)).build();
            }
            return ResponseDefinitionBuilder.responseDefinition().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody(answer).withFixedDelay(delayMs).build();
        }

        private String answer(JsonNode request, int requestChars) {
            JsonNode messages = request.path("messages");
            ObjectNode message = Json.object();
            message.put("role", "assistant");
            int answerChars;
            String finish = "stop";
            if (request.path("tools").isArray() && !request.path("tools").isEmpty()) {
                String function = request.path("tools").get(0).path("function").path("name").asText();
                int results = 0;
                for (JsonNode m : messages) if ("tool".equals(m.path("role").asText())) results++;
                if (results < k) {
                    int first = results + 1;
                    int last = mode == PARALLEL ? k : first;
                    message.putNull("content");
                    ArrayNode calls = message.putArray("tool_calls");
                    answerChars = 0;
                    for (int i = first; i <= last; i++) {
                        String arguments = Json.write(Json.object().put("key", key(i)));
                        ObjectNode call = calls.addObject();
                        call.put("id", "call_" + Integer.toHexString(ids.incrementAndGet()));
                        call.put("type", "function");
                        call.putObject("function").put("name", function).put("arguments", arguments);
                        answerChars += function.length() + arguments.length();
                    }
                    finish = "tool_calls";
                } else {
                    String text = finalAnswer();
                    message.put("content", text);
                    answerChars = text.length();
                }
            } else if (lastUserText(messages).startsWith(RESULT_MARKER)) {
                String text = finalAnswer();
                message.put("content", text);
                answerChars = text.length();
            } else {
                String plan = plan();
                message.put("content", plan);
                answerChars = plan.length();
            }
            ObjectNode body = Json.object();
            body.put("id", "chatcmpl-" + Integer.toHexString(ids.incrementAndGet()));
            body.put("object", "chat.completion");
            body.put("created", System.currentTimeMillis() / 1000);
            body.put("model", request.path("model").asText("gpt-4o-mini"));
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("message", message);
            choice.putNull("logprobs");
            choice.put("finish_reason", finish);
            int prompt = (requestChars + 3) / 4;
            int completion = (answerChars + 3) / 4;
            ObjectNode usage = body.putObject("usage");
            usage.put("prompt_tokens", prompt);
            usage.put("completion_tokens", completion);
            usage.put("total_tokens", prompt + completion);
            return Json.write(body);
        }

        private static String lastUserText(JsonNode messages) {
            for (int i = messages.size() - 1; i >= 0; i--) {
                JsonNode m = messages.get(i);
                if ("user".equals(m.path("role").asText())) {
                    JsonNode content = m.path("content");
                    if (content.isTextual()) return content.asText();
                    if (content.isArray() && !content.isEmpty()) return content.get(0).path("text").asText();
                    return "";
                }
            }
            return "";
        }

        /** What a planner model writes for the goal: K independent tool tasks, compact JSON. */
        private String plan() {
            ObjectNode plan = Json.object();
            ArrayNode tasks = plan.putArray("tasks");
            for (int i = 1; i <= k; i++) {
                ObjectNode task = tasks.addObject().put("id", "lookup_" + i).put("title", "Look up " + key(i)).put("tool", TOOL);
                task.putObject("args").put("key", key(i));
            }
            return Json.write(plan);
        }

        /** The answer to the goal, from the records (the same text for both sides). */
        private String finalAnswer() {
            StringBuilder text = new StringBuilder("Here are the " + k + " customer records:\n");
            for (int i = 1; i <= k; i++) {
                JsonNode r = LookupTool.record(key(i));
                text.append("- ").append(key(i)).append(" (").append(r.path("name").asText()).append("): owner ")
                        .append(r.path("owner").asText()).append(", status ").append(r.path("status").asText()).append('\n');
            }
            return text.toString().strip();
        }
    }
}
