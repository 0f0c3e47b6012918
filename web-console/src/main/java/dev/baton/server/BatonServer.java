package dev.baton.server;

import dev.baton.plan.Catalog;
import dev.baton.server.metrics.McpMetrics;
import dev.baton.server.mcp.McpEndpoint;
import dev.baton.server.metrics.ModelMetrics;
import dev.baton.server.metrics.ServerMetrics;
import dev.baton.tools.mcp.McpTools;
import dev.baton.server.notify.Notifier;
import dev.baton.tools.http.HttpRequestTool;
import dev.baton.plan.llm.AgentInfo;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.agent.ModelProvider;
import dev.baton.plan.llm.LlmPlanner;
import dev.baton.embedding.Embeddings;
import dev.baton.runtime.triage.CascadeClassifier;
import dev.baton.runtime.triage.ModelClassifier;
import dev.baton.plan.playbook.PlaybookException;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.plan.playbook.PlaybookMatcher;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.model.CallContext;
import dev.baton.runtime.model.ModelGateway;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.GoalPlanners;
import dev.baton.runtime.planning.LlmGoalPlanner;
import dev.baton.runtime.planning.LlmResultWriter;
import dev.baton.runtime.planning.PlaybookGoalPlanner;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.trigger.TriggerStore;
import dev.baton.runtime.trigger.Triggers;
import dev.baton.tools.builtin.BuiltinTools;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.runtime.ticket.TicketService;
import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketClassifier;
import dev.baton.triage.TicketClassifiers;
import dev.baton.triage.Triage;
import dev.baton.triage.TriageTools;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Baton's server: opens the journal, registers the tools, recovers unfinished runs, and
 * serves the API and the console. Start one with {@link #start(Config)}; embed it in tests
 * with {@code Config.defaults().withPort(0)}.
 */
public final class BatonServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatonServer.class);
    /** The largest request body accepted (413 beyond it). */
    public static final long BODY_LIMIT = 10L * 1024 * 1024;

    private final Vertx vertx;
    private final Orchestrator orchestrator;
    private final HttpServer http;
    private final Config config;
    private final Triggers triggers;
    /** Null when no notification rules are configured. */
    private final Notifier notifier;
    private final TicketService tickets;
    private final java.util.concurrent.atomic.AtomicReference<EmbeddingClassifier> classifier;

    /** Null unless this server is a node of a cluster (a PostgreSQL journal). */
    private final Membership membership;
    /** The MCP servers Baton takes tools from, with their states; null when none is configured. */
    private final McpTools mcpTools;
    /** Baton as an MCP server at /mcp. */
    private final McpEndpoint mcpEndpoint;
    /** Where spans go; closed last, after the runs' last spans. */
    private Telemetry telemetry;
    private final ServerMetrics metrics;
    /** The routes, for the check of the OpenAPI document against them (set once, right after construction). */
    private Router router;

    private BatonServer(Vertx vertx, Orchestrator orchestrator, Triggers triggers, HttpServer http, Config config, Notifier notifier,
                        TicketService tickets, java.util.concurrent.atomic.AtomicReference<EmbeddingClassifier> classifier,
                        Membership membership, McpTools mcpTools, McpEndpoint mcpEndpoint, ServerMetrics metrics) {
        this.membership = membership;
        this.mcpTools = mcpTools;
        this.mcpEndpoint = mcpEndpoint;
        this.metrics = metrics;
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.triggers = triggers;
        this.http = http;
        this.config = config;
        this.notifier = notifier;
        this.tickets = tickets;
        this.classifier = classifier;
    }

    /** Starts a server with the built-in tools and any found through {@code ServiceLoader}. */
    public static BatonServer start(Config config) {
        return start(config, registry -> {
        });
    }

    /**
     * Starts a server; {@code moreTools} may register tools of the embedding application.
     * Blocks until the server listens, after recovery.
     *
     * @throws ConfigException if the data directory or the database cannot be used
     */
    public static BatonServer start(Config config, Consumer<ToolRegistry> moreTools) {
        return start(config, moreTools, UnaryOperator.identity());
    }

    /**
     * As {@link #start(Config, Consumer)}, with the triggers' store wrapped by {@code triggerStore}
     * (given the store that goes with the journal), e.g. to observe or delay its saves in a test.
     */
    public static BatonServer start(Config config, Consumer<ToolRegistry> moreTools, UnaryOperator<TriggerStore> triggerStore) {
        Path dataDir = config.dataDir().toAbsolutePath();
        try {
            Files.createDirectories(dataDir);
        } catch (Exception e) {
            throw new ConfigException("BATON_DATA_DIR (--data-dir) '" + dataDir + "' cannot be created: " + e.getMessage());
        }
        // Work that needs only the settings runs side by side on the two threads a small machine has, rather than in
        // a row: the journal opens on a thread of its own (on a new database Flyway creates the tables, about a second
        // of CPU in a fresh JVM) while this thread registers the tools and reads the playbooks and the triage settings,
        // and, when the classifier is warmed up, both embedding models load beside them (see Embeddings).
        CompletableFuture<Journal> opening = openJournal(config.dbUrl(), dataDir);
        if (config.triage().warmUp()) Embeddings.loadInBackground();
        ToolSettings settings = new ToolSettings(config.allowedHosts());
        ToolRegistry tools = new ToolRegistry();
        try {
            BuiltinTools.register(tools, settings);
        } catch (IllegalArgumentException e) {
            throw failStart(opening, new ConfigException("BATON_HTTP_ALLOWED_HOSTS (--http-allowed-hosts): " + e.getMessage()));
        }
        tools.discover(Thread.currentThread().getContextClassLoader(), settings);
        moreTools.accept(tools);

        PlaybookLibrary playbooks;
        try {
            playbooks = config.playbooksDir() == null ? PlaybookLibrary.builtin() : PlaybookLibrary.load(config.playbooksDir());
        } catch (PlaybookException e) {
            throw failStart(opening, new ConfigException("BATON_PLAYBOOKS_DIR (--playbooks-dir): " + e.getMessage()));
        }
        // Traces: exported over OTLP when the OTEL_* variables ask for it, else a no-op (see Telemetry).
        Telemetry telemetry = Telemetry.fromEnvironment();
        ModelGateway gateway = config.model() == null ? null : new ModelGateway(config.model()).traceWith(telemetry.openTelemetry());
        AgentRegistry agents = new AgentRegistry();
        if (config.agentsFile() != null) {
            try {
                agents.loadFile(config.agentsFile());
            } catch (Exception e) {
                telemetry.close();
                throw failStart(opening, new ConfigException("BATON_AGENTS_FILE (--agents-file): " + e.getMessage()));
            }
        }
        ModelProvider models = gateway == null ? null
                : (runId, taskId) -> gateway.forContext(new CallContext(runId, taskId, "agent"));
        GoalPlanner planner = planner(tools, agents, playbooks, gateway);
        var classifier = new java.util.concurrent.atomic.AtomicReference<EmbeddingClassifier>();
        Triage triage;
        JsonNode triagePlaybook;
        try {
            triage = triage(config.triage(), classifier, gateway);
            tools.registerAll(TriageTools.create(triage));
            triagePlaybook = triagePlaybook(config.triage(), tools, agents, gateway != null);
        } catch (ConfigException e) {
            telemetry.close();
            throw failStart(opening, e);
        }
        if (config.triage().warmUp()) warmUp(triage);
        // Last, so that a built-in, annotated or provided tool keeps its name against an MCP server's; before recovery,
        // so that recovered runs and the first plans find the MCP tools (each server is waited for at most 10 s).
        ServerMetrics serverMetrics = new ServerMetrics(); // the registry /metrics shows; Vert.x reports into it
        McpMetrics mcpMetrics = new McpMetrics(serverMetrics.registry());
        McpTools mcpTools = config.mcpServers().isEmpty() ? null
                : McpTools.connect(config.mcpServers(), tools, mcpMetrics, McpTools.DEFAULT_WAIT);
        if (mcpTools != null) mcpMetrics.servers(mcpTools::statuses);

        Vertx vertx = serverMetrics.vertx();
        Notifier notifier = null;
        Membership membership = null;
        Journal journal = null;
        try {
            journal = awaitJournal(opening);
            // With a PostgreSQL journal this server is a node of the cluster of every server on that database.
            membership = Membership.join(vertx, journal, config, serverMetrics);
            Orchestrator orchestrator = Orchestrator.start(vertx, journal, tools,
                            OrchestratorOptions.builder().planner(planner).agents(agents).models(models).defaultToolTimeout(config.toolTimeout())
                                    .shards(config.shardsOrDefault())
                                    .openTelemetry(telemetry.openTelemetry())
                                    .meterRegistry(serverMetrics.registry())
                                    .resultWriter(gateway == null ? null
                                            : new LlmResultWriter(runId -> gateway.forContext(CallContext.forRun(runId, "result")),
                                                    (runId, request, onPiece) -> gateway.stream(request, CallContext.forRun(runId, "result"), onPiece),
                                                    4_000))
                                    .approvalPolicy(TicketService.reviewPolicy(triage))
                                    .build(), membership == null ? null : membership.node)
                    .await(10, TimeUnit.MINUTES);
            if (membership != null) membership.start(orchestrator);
            ModelMetrics modelMetrics = new ModelMetrics(serverMetrics.registry());
            if (gateway != null) gateway.addListener(modelMetrics);
            notifier = config.notifications() == null ? null
                    : Notifier.start(vertx, journal, tools.find(HttpRequestTool.NAME).orElseThrow(), config.notifications(),
                            orchestrator.options().clock());
            if (gateway != null) {
                // Planning, replanning and the answer are the run's own model calls: journal them as its usage.
                // Agent tasks journal theirs as AgentModelCalled events already.
                gateway.addListener(call -> {
                    if (call.context().taskId() == null && call.context().runId() != null) {
                        orchestrator.recordModelCall(call.context().runId(), new EventData.ModelUsed(call.context().purpose(),
                                call.model(), call.promptTokens(), call.completionTokens(), call.duration().toMillis(),
                                call.cached(), call.errorCode()));
                    }
                });
            }
            TicketService tickets = new TicketService(vertx, orchestrator, journal, triage, triagePlaybook);
            // Before the first request: the next ticket like a corrected one must follow the correction, also after a restart.
            int learned = tickets.loadExamples().await(2, TimeUnit.MINUTES);
            if (learned > 0) LOG.info("ticket triage: {} confirmed or corrected tickets from the journal taught to the classifier", learned);
            // After recovery: a catch-up firing may need to see whether the run of an earlier one is still going.
            Triggers triggers = Triggers.start(vertx, orchestrator, triggerStore.apply(TriggerStore.forJournal(journal)), playbooks,
                            orchestrator.options().clock())
                    .await(1, TimeUnit.MINUTES);
            EdgeMetrics edge = new EdgeMetrics(serverMetrics.registry());
            ConnectionTimeouts timeouts = new ConnectionTimeouts(vertx, config.edge().headerTimeout(), config.edge().bodyTimeout(), edge);
            StreamQuota streams = new StreamQuota(config.eventStreams());
            McpEndpoint mcpEndpoint = new McpEndpoint(vertx, orchestrator, tickets, playbooks, membership == null ? null : membership.relay(),
                    version(), Auth::caller);
            Router router = router(vertx, orchestrator, triggers, config, playbooks, agents,
                    new PrometheusMetrics(serverMetrics.registry(), orchestrator, notifier, triggers, streams), tickets, edge, timeouts, streams,
                    membership, mcpEndpoint, mcpTools, new HealthProbes(orchestrator, config.triage().warmUp() ? triage : null,
                            membership == null ? null : membership.node), () -> {
                        EmbeddingClassifier built = classifier.get();
                        return built == null ? null : built.progress();
                    });
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.port())
                    .setCompressionSupported(true)
                    // No cleartext HTTP/2 (h2c): browsers never use it, and in Vert.x 5.0 an upgrade request skips the
                    // header size limit and an HTTP/1 connection exists (and can be timed) only once h2c is ruled out.
                    .setHttp2ClearTextEnabled(false)
                    .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, config.edge().idleTimeout().toMillis()))
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
            HttpServer http = vertx.createHttpServer(options)
                    .connectionHandler(timeouts::opened)
                    .invalidRequestHandler(new InvalidRequests(edge, options.getMaxInitialLineLength(), options.getMaxHeaderSize())::handle)
                    .requestHandler(router)
                    .listen()
                    .await(30, TimeUnit.SECONDS);
            BatonServer server = new BatonServer(vertx, orchestrator, triggers, http, config, notifier, tickets, classifier, membership, mcpTools, mcpEndpoint, serverMetrics);
            server.telemetry = telemetry;
            server.router = router;
            LOG.info("Baton {} listening on http://{}:{}/ (journal: {}, data: {})", version(), config.host(), http.actualPort(),
                    config.dbUrl().isEmpty() ? "H2 in " + dataDir : Config.redact(config.dbUrl()), dataDir);
            return server;
        } catch (Exception e) {
            if (notifier != null) notifier.close();
            if (membership != null) membership.close();
            vertx.close().onComplete(closed -> serverMetrics.close());
            if (journal != null) journal.close();
            if (mcpTools != null) mcpTools.close();
            closeClassifier(classifier);
            telemetry.close();
            if (e instanceof RuntimeException r && r.getCause() instanceof java.net.BindException) {
                throw new ConfigException("BATON_PORT (--port) " + config.port() + " on " + config.host() + " is in use or not allowed: " + r.getCause().getMessage());
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** Opens the journal on a thread of its own; the future fails with the reason it cannot be opened. */
    private static CompletableFuture<Journal> openJournal(String dbUrl, Path dataDir) {
        CompletableFuture<Journal> opened = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                opened.complete(Journals.open(dbUrl, dataDir));
            } catch (Throwable t) {
                opened.completeExceptionally(t);
            }
        }, "baton-journal-open");
        thread.setDaemon(true);
        thread.start();
        return opened;
    }

    /** The journal once open; a journal that cannot be opened is a {@link ConfigException} with its reason, as before it opened beside the rest. */
    private static Journal awaitJournal(CompletableFuture<Journal> opening) {
        try {
            return opening.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) throw new ConfigException(cause.getMessage());
            if (cause instanceof Error error) throw error;
            throw new IllegalStateException(cause);
        }
    }

    /**
     * What a start that failed on {@code error} throws once the journal opening beside it has ended: the journal's own
     * failure if it had one (it was the first check when the journal opened first), else {@code error}, the journal closed.
     */
    private static ConfigException failStart(CompletableFuture<Journal> opening, ConfigException error) {
        awaitJournal(opening).close();
        return error;
    }

    /**
     * The model when one is configured, else the playbooks. The playbook matcher loads an
     * embedding model (seconds), so it is built once, in the background right after start.
     */
    private static GoalPlanner planner(ToolRegistry tools, AgentRegistry agents, PlaybookLibrary playbooks, ModelGateway gateway) {
        Supplier<PlaybookMatcher> matcher = memoize(() -> new PlaybookMatcher(Embeddings.minilm(), playbooks));
        if (gateway == null) {
            Thread warmUp = new Thread(() -> {
                try {
                    matcher.get();
                } catch (RuntimeException e) {
                    LOG.warn("the playbook matcher could not load its embedding model: {}", e.toString());
                }
            }, "baton-playbook-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
        GoalPlanner fromPlaybooks = new PlaybookGoalPlanner(playbooks, matcher);
        GoalPlanner fromModel = null;
        if (gateway != null) {
            Catalog catalog = RuntimeCatalog.of(tools, agents, true);
            Supplier<List<AgentInfo>> agentInfos = () -> agents.all().stream()
                    .map(a -> new AgentInfo(a.name(), a.description(), a.allTools() ? tools.names() : a.tools()))
                    .toList();
            fromModel = new LlmGoalPlanner(LlmPlanner.defaults(), catalog, agentInfos,
                    runId -> gateway.forContext(CallContext.forRun(runId, "plan")));
        }
        return GoalPlanners.choosing(fromModel, fromPlaybooks);
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public synchronized T get() {
                if (value == null) value = supplier.get();
                return value;
            }
        };
    }

    /**
     * The routing table, checked now against the examples' categories (every one must have a
     * queue), and a triage whose embedding classifier is built on {@link Triage#warmUp()} or the
     * first ticket: embedding and training cost minutes of CPU the first time (seconds once
     * cached), which servers that never see a ticket (most tests, embedded uses, a crash-recovery
     * restart) should not spend.
     */
    private static Triage triage(Config.TriageConfig settings, java.util.concurrent.atomic.AtomicReference<EmbeddingClassifier> built,
                                 ModelGateway gateway) {
        // Read and checked here. The bundled examples cannot change: the classifier is built from these (a second
        // parse of the 10,003 rows cost the warm-up about 0.1 s and the JIT up to half a second of compiling). A file
        // is read again when the classifier is built, so that it is built from the file as it is then.
        TicketClassifiers.Examples read;
        try {
            read = TicketClassifiers.Examples.read(settings.examples());
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigException("BATON_TRIAGE_EXAMPLES (--triage-examples): " + e.getMessage());
        }
        RoutingTable table;
        try {
            table = settings.routing() == null ? RoutingTable.bundledDemo() : RoutingTable.load(settings.routing());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("BATON_ROUTING (--routing): " + e.getMessage());
        }
        java.util.List<String> missing = read.examples().stream().map(dev.baton.triage.LabelledExample::category).distinct()
                .filter(c -> !table.categories().contains(c)).sorted().toList();
        if (!missing.isEmpty()) {
            throw new ConfigException("BATON_ROUTING (--routing): the examples' categories " + missing.subList(0, Math.min(5, missing.size()))
                    + (missing.size() > 5 ? " and " + (missing.size() - 5) + " more" : "") + " are in no queue of the routing table;"
                    + " add them to a queue's 'categories' or remove them from BATON_TRIAGE_EXAMPLES");
        }
        return new Triage(table, () -> {
            EmbeddingClassifier.Options options = EmbeddingClassifier.Options.defaults().withRecipe(settings.recipe());
            EmbeddingClassifier classifier = settings.examples() == null
                    ? TicketClassifiers.embedded(read, settings.cacheDir(), options)
                    : TicketClassifiers.embedded(settings.examples(), settings.cacheDir(), options);
            built.set(classifier);
            return classifier.ready().thenApply(v -> {
                // One ticket read before the classifier counts as ready (it has no effect on it): otherwise the first
                // real ticket runs the vote's and the regression's loops cold, interpreted until the JIT has compiled
                // them (about 0.3 s on two cores, measured after the port opened).
                try {
                    classifier.classify(new dev.baton.triage.TicketText("Warm-up", "A first ticket, read before the server says it is ready."));
                } catch (RuntimeException e) {
                    LOG.warn("the classifier's warm-up read failed (the first ticket will be slower): {}", e.toString());
                }
                if (gateway == null) return (TicketClassifier) classifier;
                // With a model: the classifier answers what it is sure of, the model the rest, a person what the model is unsure of.
                Double fixed = table.review().threshold();
                double threshold = fixed != null ? fixed : classifier.suggestedThreshold(RoutingTable.AUTO_PRECISION);
                return new CascadeClassifier(classifier, new ModelClassifier(gateway, classifier, ModelClassifier.DEFAULT_EXAMPLES), threshold);
            });
        }, c -> c instanceof CascadeClassifier cascade ? cascade.threshold()
                : ((EmbeddingClassifier) c).suggestedThreshold(RoutingTable.AUTO_PRECISION));
    }

    /**
     * BATON_TRIAGE_WARM_UP: builds and trains the ticket classifier in the background now (loading the
     * embedding model takes seconds; embedding and training minutes of CPU on a cold cache), so that the
     * first ticket does not wait; /health/ready says STARTING until it is done.
     */
    private static void warmUp(Triage triage) {
        Thread thread = new Thread(() -> {
            long began = System.nanoTime();
            LOG.info("ticket classifier warm-up started (BATON_TRIAGE_WARM_UP): embedding and training the examples;"
                    + " /health/ready answers 503 STARTING until it is done");
            try {
                triage.classifier(); // starts the build and waits for it; the classifier logs its own progress
                triage.threshold();
                LOG.info("ticket classifier warm-up done in {} ms", (System.nanoTime() - began) / 1_000_000);
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause instanceof IllegalStateException && "closed".equals(cause.getMessage())) {
                    // the server closed the classifier (a stop during the warm-up): nothing failed
                    LOG.info("ticket classifier warm-up stopped after {} ms: the server is closing", (System.nanoTime() - began) / 1_000_000);
                } else {
                    LOG.error("ticket classifier warm-up failed after {} ms: {}", (System.nanoTime() - began) / 1_000_000, cause.toString());
                }
            }
        }, "baton-triage-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeClassifier(java.util.concurrent.atomic.AtomicReference<EmbeddingClassifier> classifier) {
        EmbeddingClassifier c = classifier.get();
        if (c != null) c.close();
    }

    /** The triage plan: the user's (BATON_TRIAGE_PLAYBOOK) or the built-in one, checked against the tools now. */
    private static JsonNode triagePlaybook(Config.TriageConfig settings, ToolRegistry tools, AgentRegistry agents, boolean model) {
        String where = "BATON_TRIAGE_PLAYBOOK (--triage-playbook)";
        try {
            JsonNode plan = settings.playbook() == null ? TicketService.builtinPlaybook() : TicketService.readPlaybook(settings.playbook());
            TicketService.checkPlaybook(plan, tools, agents, model);
            return plan;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + (settings.playbook() == null ? "" : " " + settings.playbook()) + ": " + e.getMessage());
        }
    }

    private static Router router(Vertx vertx, Orchestrator orchestrator, Triggers triggers, Config config, PlaybookLibrary playbooks,
                                 AgentRegistry agents, PrometheusMetrics metrics, TicketService tickets, EdgeMetrics edge,
                                 ConnectionTimeouts timeouts, StreamQuota streamQuota, Membership membership, McpEndpoint mcp,
                                 McpTools mcpTools, HealthProbes probes, Supplier<EmbeddingClassifier.Progress> classifierProgress) {
        Router router = Router.router(vertx);
        Auth auth = new Auth(config.tokens());
        router.route().handler(timeouts::requestArrived);
        router.route().handler(ctx -> {
            ctx.response().putHeader("X-Content-Type-Options", "nosniff");
            ctx.next();
        });
        // Before the Host check: a probe's Host is whatever the kubelet or load balancer sends, and they show nothing.
        probes.mount(router);
        HostGuard hosts = new HostGuard(config, edge);
        if (hosts.active()) router.route().handler(hosts::handle);
        router.get("/metrics").handler(metrics::handle);
        router.route("/api/*").handler(BatonServer::checkQueryString);
        // The contract and its page need no token: they hold no data, like the console's static files.
        OpenApi contract = OpenApi.bundled();
        router.get(OpenApi.PATH).handler(contract::serve);
        router.get("/api/docs").handler(ctx -> ctx.reroute("/api-docs/index.html"));
        router.route("/api/*").handler(auth::authenticate);
        router.route("/api/*").handler(Bodies::requireJson);
        RateLimits rateLimits = new RateLimits(config.edge().rates(), edge);
        rateLimits.mount(router);
        // The MCP tools that create runs and tickets count against the same buckets as their routes.
        mcp.limits((what, caller, address) -> rateLimits.take(what == McpEndpoint.Creates.RUN ? RateLimits.Limit.RUNS
                : RateLimits.Limit.TICKETS, caller, address));
        TriggerRoutes triggerRoutes = new TriggerRoutes(triggers, config.webhookBodyLimit());
        // Before the BodyHandler, which would buffer every body whole: the trigger event route checks a
        // webhook's headers before it reads the body, and reads a caller's without a token only up to a small limit.
        triggerRoutes.mountEvents(router);
        router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        router.route("/api/*").handler(contract::checkBody);
        router.get("/api/metrics/summary").handler(metrics::summary);
        new ApiRoutes(orchestrator, version(), config.model(), playbooks, agents, membership == null ? null : membership.node, mcpTools)
                .answerChatGoals(config.answerChatGoals())
                .mount(router);
        triggerRoutes.mount(router);
        new TicketRoutes(tickets, classifierProgress).mount(router);
        EventStream streams = new EventStream(vertx, orchestrator, streamQuota, membership == null ? null : membership.relay());
        router.get("/api/runs/:id/events").handler(streams::run);
        router.get("/api/events").handler(streams::all);
        // Baton as an MCP server: the API's bearer tokens and roles, JSON bodies under the API's limit.
        router.route(McpEndpoint.PATH).handler(auth::authenticate);
        router.route(McpEndpoint.PATH).handler(Bodies::requireJson);
        router.route(McpEndpoint.PATH).handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        mcp.mount(router);
        router.route("/api/*").handler(ctx -> ApiError.send(ctx, new ApiError(404, "not_found",
                "no API route " + ctx.request().method() + " " + ctx.request().path())));
        router.route("/*").handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
            ctx.next();
        });
        // The console is one page: each view's address answers with index.html, so links and reloads work.
        router.getWithRegex("/(runs|approvals|tickets|triggers|tools|dashboard)(/[^/]+)?/?").handler(ctx -> ctx.reroute("/index.html"));
        // Front-end libraries from the WebJars on the classpath (versioned paths: cacheable).
        router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
        router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
        router.route().failureHandler(ctx -> ApiError.respond(ctx, ctx.failure()));
        // Failures Vert.x meets before any handler runs (e.g. a path with a bad %-escape, which
        // breaks route matching) skip the failure handler: give /api callers a JSON error there too.
        for (int status : new int[]{400, 500}) {
            router.errorHandler(status, ctx -> {
                if (ctx.request().path() != null && ctx.request().path().startsWith("/api/")) {
                    Throwable failure = ctx.failure();
                    ApiError.send(ctx, status == 400 && failure instanceof IllegalArgumentException bad
                            ? ApiError.badRequest("the request is malformed: " + bad.getMessage())
                            : ApiError.from(failure instanceof ApiError e ? e : null, status));
                } else if (!ctx.response().ended()) {
                    // elsewhere (the console) as Vert.x answers by default
                    ctx.response().setStatusCode(status).end(status == 400 ? "Bad Request" : "Internal Server Error");
                }
            });
        }
        return router;
    }

    /** A query string with a bad %-escape is the client's mistake (400), not a failure of the handler that reads it (500). */
    private static void checkQueryString(io.vertx.ext.web.RoutingContext ctx) {
        try {
            ctx.request().params();
        } catch (IllegalArgumentException e) {
            ApiError.send(ctx, ApiError.badRequest("the query string is malformed: " + e.getMessage()));
            return;
        }
        ctx.next();
    }

    /** The server's router (its routes are what the OpenAPI document must describe). */
    Router router() {
        return router;
    }

    /** The port the server listens on (useful with port 0). */
    public int port() {
        return http.actualPort();
    }

    public Orchestrator orchestrator() {
        return orchestrator;
    }

    public Config config() {
        return config;
    }

    public Triggers triggers() {
        return triggers;
    }

    /** The MCP servers Baton takes tools from, with their states; null when none is configured. */
    public McpTools mcpTools() {
        return mcpTools;
    }

    /** Baton's MCP server at /mcp (for embedding and tests). */
    public McpEndpoint mcpEndpoint() {
        return mcpEndpoint;
    }

    /** The ticket resource (for embedding and tests). */
    public TicketService tickets() {
        return tickets;
    }

    /** The version from the jar's manifest, or {@code dev}. */
    public static String version() {
        String v = BatonServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Stops taking requests, writes what the journal has queued, and releases everything. */
    @Override
    public void close() {
        mcpEndpoint.close(); // its sessions' streams end cleanly before the server stops taking requests
        try {
            http.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("the HTTP server did not close cleanly: {}", e.toString());
        }
        triggers.close(); // before the orchestrator: no firing after it stops taking runs
        if (notifier != null) notifier.close();
        tickets.close();
        // A node leaves its cluster once its last events are written, so that the others take its runs over at once.
        orchestrator.close(membership == null ? () -> { } : membership::leave);
        if (membership != null) membership.close();
        // After the orchestrator: no call is started any more; ends the sessions and kills the stdio servers.
        if (mcpTools != null) mcpTools.close();
        closeClassifier(classifier);
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Vert.x did not close cleanly: {}", e.toString());
        }
        metrics.close();
        if (telemetry != null) telemetry.close();
    }
}
