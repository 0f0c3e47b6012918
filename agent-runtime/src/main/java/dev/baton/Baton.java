package dev.baton;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.Catalog;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.llm.AgentInfo;
import dev.baton.plan.llm.LlmPlanner;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.model.CallContext;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.model.ModelGateway;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunListener;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.planning.GoalPlanners;
import dev.baton.runtime.planning.LlmGoalPlanner;
import dev.baton.runtime.planning.LlmResultWriter;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Baton inside your own program, in a few lines: tools, agents, a journal and a model, then
 * runs whose approvals and ends you hear of as they happen.
 *
 * <pre>{@code
 * try (Baton baton = Baton.builder()
 *         .tool(new CurrencyConverterTool())          // a BatonTool
 *         .tools(new InventoryTools(stock))           // an object with @Tool methods
 *         .journal("memory")                          // or a folder (H2), or a jdbc:postgresql: URL
 *         .start()) {
 *     baton.onApprovalRequested(request -> baton.decide(request.approve().by("alice")));
 *     RunResult result = baton.run("reserve two units", plan, Map.of("sku", "SKU-1")).await(Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p><b>What it owns.</b> A Baton owns its orchestrator and journal, and its Vert.x instance unless
 * {@link Builder#vertx(Vertx) given one}; {@link #close()} stops them. The Vert.x it makes has
 * daemon threads, as have the orchestrator's own, and a shutdown hook closes the Baton when the JVM
 * exits: a program whose {@code main} throws before {@code close()} still ends, and its journal
 * is flushed on the way out.
 *
 * <p><b>Threads.</b> The methods that wait ({@link #start}, {@link #decide}, {@link RunHandle#await})
 * block the calling thread and must not be called on a Vert.x event loop; listeners run on a
 * thread of their own and may call them (see {@link RunListener}). Errors the orchestrator
 * refuses a request with are {@link dev.baton.runtime.BatonException}s with the API's code and
 * message (e.g. {@code plan_invalid}, or a conflict for a task that is not waiting).
 *
 * <p>The server ({@code dev.baton.server.Main}) is wired the same way; this class adds no
 * behaviour of its own, only a shorter way to reach {@link Orchestrator}.
 */
public final class Baton implements AutoCloseable {

    /** How long {@link #start()}, {@link #decide} and {@link #close()} wait for the orchestrator. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final Orchestrator orchestrator;
    private final ModelGateway gateway;
    private final Thread shutdownHook;
    private volatile boolean closed;

    private Baton(Vertx vertx, boolean ownsVertx, Orchestrator orchestrator, ModelGateway gateway) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.orchestrator = orchestrator;
        this.gateway = gateway;
        this.shutdownHook = new Thread(this::close, "baton-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ runs

    /** Runs {@code plan} for {@code goal} with an empty input. */
    public RunHandle run(String goal, Plan plan) {
        return run(goal, plan, Map.of());
    }

    /** Runs {@code plan} for {@code goal}; {@code input} is what {@code ${input...}} references read. */
    public RunHandle run(String goal, Plan plan, Map<String, ?> input) {
        Objects.requireNonNull(plan, "plan");
        return run(new RunRequest(goal, Json.toTree(input == null ? Map.of() : input), PlanWriter.toJson(plan), null, null, null));
    }

    /** Has the model plan {@code goal} and runs the plan (needs {@link Builder#model}). */
    public RunHandle run(String goal) {
        return run(new RunRequest(goal, null, null, null, null, null));
    }

    /** Starts a run as the orchestrator takes it (options, an idempotency key...), once it is durable. */
    public RunHandle run(RunRequest request) {
        String runId = await(orchestrator.submit(request), WAIT).runId();
        return new RunHandle(runId, orchestrator);
    }

    /** A run started earlier (by id), e.g. to await it after a restart on a durable journal. */
    public RunHandle runOf(String runId) {
        return new RunHandle(Objects.requireNonNull(runId, "runId"), orchestrator);
    }

    /**
     * Decides a waiting approval, e.g. {@code decide(ApprovalDecision.approve(runId, "reserve").by("alice"))}.
     * Returns once the decision is durable; throws a {@link dev.baton.runtime.BatonException} (conflict) if the task is not waiting.
     */
    public void decide(ApprovalDecision decision) {
        await(orchestrator.decide(decision), WAIT);
    }

    // ------------------------------------------------------------------ listeners

    /** Calls {@code action} for every task that waits for a person (see {@link RunListener} for the thread). */
    public RunListener.Registration onApprovalRequested(Consumer<RunListener.ApprovalRequested> action) {
        Objects.requireNonNull(action, "action");
        return addListener(new RunListener() {
            @Override
            public void onApprovalRequested(ApprovalRequested request) {
                action.accept(request);
            }
        });
    }

    /** Calls {@code action} for every run that ends. */
    public RunListener.Registration onRunFinished(Consumer<RunListener.RunFinished> action) {
        Objects.requireNonNull(action, "action");
        return addListener(new RunListener() {
            @Override
            public void onRunFinished(RunFinished finished) {
                action.accept(finished);
            }
        });
    }

    /** Calls {@code action} for every durable event of every run. */
    public RunListener.Registration onEvent(Consumer<RunEvent> action) {
        Objects.requireNonNull(action, "action");
        return addListener(new RunListener() {
            @Override
            public void onEvent(RunEvent event) {
                action.accept(event);
            }
        });
    }

    /** Registers a listener with several methods. */
    public RunListener.Registration addListener(RunListener listener) {
        return orchestrator.addListener(listener);
    }

    // ------------------------------------------------------------------ the parts, for what this class does not cover

    public Orchestrator orchestrator() {
        return orchestrator;
    }

    public ToolRegistry tools() {
        return orchestrator.tools();
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * Stops taking work, writes what is queued, and closes the journal and (if this Baton made it)
     * Vert.x. Calls in flight are interrupted; on a durable journal they run again, with the same
     * idempotency key, at the next start. Closing twice does nothing.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (Thread.currentThread() != shutdownHook) Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting already; the hook is under way or done
        }
        orchestrator.close();
        if (ownsVertx) {
            try {
                vertx.close().await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // its threads are daemons: they do not hold the JVM up
            }
        }
    }

    /** Waits for {@code future} from a thread that may block; a failure is thrown as it is when unchecked. */
    static <T> T await(Future<T> future, Duration timeout) {
        try {
            return future.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer within " + timeout.toSeconds() + " s", e);
        }
    }

    /**
     * What a Baton is made of. Every setting has a default: no tools, the default agent only,
     * the journal in memory, no model (plans must then be given), {@link OrchestratorOptions#defaults()}.
     */
    public static final class Builder {
        private final ToolRegistry tools = new ToolRegistry();
        private final AgentRegistry agents = new AgentRegistry();
        private Journal journal;
        private String journalUrl = "memory";
        private Path dataDir = Path.of(".");
        private ModelConfig model;
        private Vertx vertx;
        private Consumer<OrchestratorOptions.Builder> options = o -> { };

        private Builder() {
        }

        /** A tool implemented as {@link BatonTool}, with its own JSON schema. */
        public Builder tool(BatonTool tool) {
            tools.register(tool);
            return this;
        }

        /** Every {@code @Tool} method (LangChain4j's annotation) of {@code annotated}, as tools. */
        public Builder tools(Object annotated) {
            tools.registerAnnotated(annotated);
            return this;
        }

        /**
         * Tools found with {@link java.util.ServiceLoader} ({@code dev.baton.tools.ToolProvider}) on the class path,
         * the built-in network tools allowed to reach {@code settings}' hosts.
         */
        public Builder discoverTools(dev.baton.tools.ToolSettings settings) {
            tools.discover(Thread.currentThread().getContextClassLoader(), settings);
            return this;
        }

        /** An agent that plans may name in agent tasks (they need a {@link #model}). */
        public Builder agent(AgentSpec agent) {
            agents.register(agent);
            return this;
        }

        /** A journal already open; the Baton closes it. */
        public Builder journal(Journal journal) {
            this.journal = Objects.requireNonNull(journal, "journal");
            return this;
        }

        /**
         * The journal by URL, as {@code BATON_DB_URL} names it: {@code memory} (the default: nothing
         * survives the process), {@code jdbc:postgresql://...}, or {@code jdbc:h2:...}.
         */
        public Builder journal(String url) {
            this.journalUrl = Objects.requireNonNull(url, "url");
            this.journal = null;
            return this;
        }

        /** A durable H2 journal in {@code folder} ({@code <folder>/journal/baton.mv.db}). */
        public Builder journal(Path folder) {
            this.journalUrl = "";
            this.dataDir = Objects.requireNonNull(folder, "folder");
            this.journal = null;
            return this;
        }

        /** The model for planning goals and for agent tasks. */
        public Builder model(ModelConfig config) {
            this.model = Objects.requireNonNull(config, "model");
            return this;
        }

        /** An OpenAI-compatible model by its base URL (e.g. {@code http://localhost:11434/v1}), key (may be empty) and name. */
        public Builder model(String baseUrl, String apiKey, String modelName) {
            return model(ModelConfig.builder().baseUrl(baseUrl).apiKey(apiKey).model(modelName).build());
        }

        /** Runs on this Vert.x instance, which the Baton then neither owns nor closes. */
        public Builder vertx(Vertx vertx) {
            this.vertx = Objects.requireNonNull(vertx, "vertx");
            return this;
        }

        /** Where the spans of runs, tasks, tool calls and model calls go (none by default). */
        public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
            Objects.requireNonNull(openTelemetry, "openTelemetry");
            return options(o -> o.openTelemetry(openTelemetry));
        }

        /** Where the runtime's meters go (runs, tasks, calls per tool, journal); a registry of its own by default. */
        public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
            Objects.requireNonNull(registry, "registry");
            return options(o -> o.meterRegistry(registry));
        }

        /**
         * Sets more of the orchestrator's options, e.g. {@code .options(o -> o.maxConcurrentCalls(16))}.
         * The agents, and with a {@link #model} the planner, the agents' model and the result writer, are
         * set from this builder first; what {@code settings} sets afterwards wins.
         */
        public Builder options(Consumer<OrchestratorOptions.Builder> settings) {
            this.options = this.options.andThen(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /** Opens the journal, recovers its unfinished runs and starts taking runs. */
        public Baton start() {
            boolean ownsVertx = vertx == null;
            Vertx vx = ownsVertx ? Vertx.vertx(new VertxOptions().setUseDaemonThread(true)) : vertx;
            Journal opened = null;
            try {
                opened = journal != null ? journal : Journals.open(journalUrl, dataDir);
                OrchestratorOptions.Builder settings = OrchestratorOptions.builder().agents(agents);
                ModelGateway gateway = null;
                if (model != null) {
                    gateway = new ModelGateway(model);
                    ModelGateway g = gateway;
                    Catalog catalog = RuntimeCatalog.of(tools, agents, true);
                    settings.models((runId, taskId) -> g.forContext(new CallContext(runId, taskId, "agent")));
                    settings.planner(GoalPlanners.choosing(new LlmGoalPlanner(LlmPlanner.defaults(), catalog, this::agentInfos,
                            runId -> g.forContext(CallContext.forRun(runId, "plan"))), null));
                    settings.resultWriter(new LlmResultWriter(runId -> g.forContext(CallContext.forRun(runId, "result"))));
                }
                options.accept(settings); // last: what the caller sets wins
                OrchestratorOptions built = settings.build();
                if (gateway != null) gateway.traceWith(built.openTelemetry()); // model calls join their runs' traces
                Orchestrator orchestrator = await(Orchestrator.start(vx, opened, tools, built), WAIT);
                if (gateway != null) {
                    // The planner's calls belong to the run as a whole: journal them as its usage, as the server does.
                    gateway.addListener(call -> {
                        if (call.context().taskId() == null && call.context().runId() != null) {
                            orchestrator.recordModelCall(call.context().runId(), new EventData.ModelUsed(call.context().purpose(),
                                    call.model(), call.promptTokens(), call.completionTokens(), call.duration().toMillis(), call.cached(),
                                    call.errorCode()));
                        }
                    });
                }
                return new Baton(vx, ownsVertx, orchestrator, gateway);
            } catch (RuntimeException e) {
                if (opened != null && journal == null) {
                    try {
                        opened.close();
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                if (ownsVertx) vx.close();
                throw e;
            }
        }

        private List<AgentInfo> agentInfos() {
            return agents.all().stream()
                    .map(a -> new AgentInfo(a.name(), a.description(), a.allTools() ? tools.names() : a.tools()))
                    .toList();
        }
    }
}
