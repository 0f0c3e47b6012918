package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.plan.PlanValidator;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.decider.CheckedPlan;
import dev.baton.runtime.decider.Input;
import dev.baton.runtime.decider.PlanCheck;
import dev.baton.runtime.decider.RunDecider;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.telemetry.Tracing;
import dev.baton.runtime.run.TaskState;
import dev.baton.tools.ToolRegistry;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Sees runs through: the thin shell around the {@link RunDecider}. Every input (a request, a
 * call's end, a timer, a person's decision) is handed to the decider with the run's state; the
 * shell then queues the events it decided for the journal ({@link DurableOutbox}) and carries
 * out its {@link Command}s: calls on the task threads, durable timers, the planner. What the
 * decider decides (dependencies, approvals, retries, fallbacks, compensation, replanning, the
 * answer) is described there.
 *
 * <h2>Durability</h2>
 * Events are folded into the in-memory run at once; nobody hears of them before the journal
 * has committed them: answers to requests, the event bus and the metrics wait for the commit.
 * A call starts only once the events that lead to it are durable (Temporal's rule), so a crash
 * or a failed write cannot forget a call that was made. A failed write drops the run and
 * rebuilds it from what is durable, as recovery does.
 *
 * <h2>Threads</h2>
 * All run state lives on one Vert.x context; every public method hops onto it and returns a
 * {@link Future}. Tool calls and agent loops block, so they run on {@link TaskExecutor}'s
 * threads and report back to the context. Journal reads run on a small worker pool, planners
 * on another; submitted plans are checked on a third before their run reaches the context.
 *
 * <h2>Recovery</h2>
 * At start every unfinished run is replayed from the journal and the shell carries out what
 * the decider says it still owes ({@link RunDecider#owed}): waiting approvals wait again, timers
 * are armed for their original time, calls that were running are made again with the same
 * idempotency key. A run the journal cannot replay is set aside and the others go on.
 *
 * <h2>Memory</h2>
 * Runs are held in a {@link RunCache}: a run that only waits (for a person, a long timer) may
 * leave memory and is rebuilt from its events when something next happens to it.
 */
public final class Orchestrator implements AutoCloseable {
    /** Every run event, published once it is durable. Best-effort: the journal is the truth. */
    /**
     * Where the pieces of a run's answer go as a model streams them (local event bus, best effort):
     * JSON objects {@code {"runId", "index", "text", "at"}}; see {@link AnswerDeltas}.
     */
    public static final String ANSWER_DELTAS_ADDRESS = "baton.answer-deltas";
    public static final String EVENTS_ADDRESS = "baton.events";
    /** How often a node looks in the journal for the end of a run another node owns. */
    private static final long FINISH_POLL_MS = 250;

    private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);

    private final Vertx vertx;
    private final Journal journal;
    private final ToolRegistry tools;
    /** Where runs live when nodes share the journal; null on a single node, where every run is this one's. */
    private final RunPlacement placement;
    private final OrchestratorOptions options;
    private final PlanCheck plans;
    private final TaskExecutor executor;
    private final WorkerExecutor reads;
    /** Planners block on model calls for seconds: they get their own threads. */
    private final WorkerExecutor planning;
    /** Readiness probes of the journal, apart from the reads so that a backlog cannot hold them up. */
    private final WorkerExecutor probes;
    /** Plans are checked here, off the shards' contexts (see {@link #offContext}). */
    private final WorkerExecutor checks;
    private final OrchestratorMetrics metrics;
    private final Tracing tracing;
    private final SlotPool pool;
    private final Shard[] shards;
    private final AtomicInteger nextShard = new AtomicInteger();
    /** Runs the journal holds but that could not be rebuilt at start, with why: set aside, the others run. */
    private final Map<String, String> setAside = new ConcurrentHashMap<>();
    /**
     * Idempotency keys of the runs created lately, to their run. A key's runs are created on the
     * shard the key maps to, and a request for a key looks here both before and after it reads the
     * journal: a run created (and even made durable) while that read was under way is found here,
     * where the read may have missed it. Kept a minute, far longer than a read takes; a creation
     * that never became durable is forgotten at once, so that its retry creates the run anew.
     */
    private final Cache<String, String> recentKeys = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(100_000).build();
    private volatile boolean closed;
    /** Told of every durable event, off the event loops (see {@link RunListener}). */
    private final RunListeners listeners = new RunListeners();
    /** Runs this node is taking over right now (replaying them): requests for them wait until they are in memory. */
    private final Map<String, Future<Void>> adopting = new ConcurrentHashMap<>();

    private Orchestrator(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options, RunPlacement placement) {
        this.vertx = vertx;
        this.placement = placement;
        this.journal = journal;
        this.tools = tools;
        this.options = options;
        this.metrics = new OrchestratorMetrics(options.meterRegistry(), options.callMetrics());
        journal.bindMetrics(options.meterRegistry());
        this.plans = new PlanCheck(new PlanValidator(RuntimeCatalog.of(tools, options.agents(), options.models() != null), options.planLimits()));
        this.executor = new TaskExecutor(options.maxConcurrentCalls(), metrics);
        this.reads = vertx.createSharedWorkerExecutor("baton-journal-read", 4);
        this.planning = vertx.createSharedWorkerExecutor("baton-planner", 4);
        this.probes = vertx.createSharedWorkerExecutor("baton-journal-probe", 1);
        this.checks = vertx.createSharedWorkerExecutor("baton-plan-check", Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.pool = new SlotPool(options.maxConcurrentCalls());
        this.tracing = Tracing.of(options.openTelemetry());
        Shard.Shared shared = new Shard.Shared(vertx, journal, options, new RunDecider(options, tools, plans), executor, reads,
                planning, metrics, pool, setAside, placement, listeners, tracing);
        this.shards = new Shard[options.shards()];
        for (int i = 0; i < shards.length; i++) shards[i] = new Shard(shared, newContext(vertx, i));
        metrics.gauges(this::metrics);
    }

    /**
     * A context of its own for each shard, on the event loops in turn. The first is the caller's
     * (or a new one), as the orchestrator's single context used to be.
     */
    private static Context newContext(Vertx vertx, int shard) {
        if (shard > 0 && vertx instanceof VertxInternal internal) return internal.createEventLoopContext();
        return vertx.getOrCreateContext();
    }

    /**
     * Creates an orchestrator and recovers every unfinished run from the journal: waiting
     * approvals wait again, timers are re-armed for their original time, tasks that were
     * running are called again with the same idempotency key. Completes when recovery is done.
     */
    public static Future<Orchestrator> start(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        return start(vertx, journal, tools, options, null);
    }

    /**
     * As {@link #start(Vertx, Journal, ToolRegistry, OrchestratorOptions)}, for a node of a cluster
     * when {@code placement} is not null: it recovers no run at start. The runs it owns are the ones
     * it creates and the ones the cluster hands it ({@link #adopt}) when it takes them over from a
     * node that stopped or lost its lease (its own of a previous start included); a command for a
     * run another node owns is forwarded there.
     */
    public static Future<Orchestrator> start(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options,
                                             RunPlacement placement) {
        try {
            vertx.eventBus().registerDefaultCodec(RunEvent.class, new RunEventCodec());
        } catch (IllegalStateException alreadyRegistered) {
            // another orchestrator on the same Vert.x instance registered it
        }
        Orchestrator orchestrator = new Orchestrator(vertx, journal, tools, options, placement);
        if (placement != null) return Future.succeededFuture(orchestrator);
        return orchestrator.recover().map(orchestrator);
    }


    // ------------------------------------------------------------------ public API

    /**
     * Starts a run, or returns the one an earlier request with the same idempotency key created. The
     * run's span is a child of the OpenTelemetry context current when this is called (the caller's
     * trace, e.g. from an incoming request's {@code traceparent}): see {@link Tracing}.
     */
    public Future<Submitted> submit(RunRequest request) {
        // Read now, on the caller's thread: the hops below leave it behind.
        io.opentelemetry.context.Context caller = io.opentelemetry.context.Context.current();
        return offContext(() -> {
            if (placement != null && !placement.writable()) throw notWritable();
            if (request.goal() == null || request.goal().isBlank()) {
                throw new BatonException(Kind.INVALID, "bad_request", "field 'goal' is required: say in words what the run is for");
            }
            if (request.plan() == null && options.planner() == null) {
                throw new BatonException(Kind.UNPROCESSABLE, "model_not_configured",
                        "this run has no plan and no model is configured to make one: post a 'plan' with the goal,"
                                + " or configure a model: " + dev.baton.plan.ModelHint.SET);
            }
            return request.plan() == null ? null : plans.check(request.plan());
        }).compose(plan -> {
            String key = request.idempotencyKey();
            Shard home = key == null ? shards[Math.floorMod(nextShard.getAndIncrement(), shards.length)] : shardOf(key);
            return home.onContext(() -> {
                if (key == null) return create(home, request, plan, caller);
                String pending = recentKeys.getIfPresent(key);
                if (pending != null) return replay(pending, request);
                return readJournal(() -> journal.runByIdempotencyKey(key)).compose(existing -> home.onContext(() -> {
                    String again = recentKeys.getIfPresent(key);
                    if (again != null) return replay(again, request);
                    if (existing.isPresent()) return replay(existing.get().id(), request);
                    return create(home, request, plan, caller);
                })).compose(Function.identity());
            }).compose(Function.identity());
        });
    }

    /**
     * Validates a plan as {@link #submit} would (against the tools and agents it knows), without
     * starting anything: for definitions that start runs later, such as triggers. Fails with the
     * same {@code plan_invalid} error.
     */
    public Future<Void> checkPlan(JsonNode plan) {
        return offContext(() -> {
            plans.check(plan);
            return null;
        });
    }

    /**
     * The run as the API shows it: as its events have left it, answered once all of them are
     * durable. Memory runs a little ahead of the journal; showing that would tell a client of a
     * change (a task SUCCEEDED) that a crash could still undo (the task runs again).
     */
    public Future<ObjectNode> run(String runId) {
        Shard shard = shardOf(runId);
        return heldHere(runId).compose(held -> held
                ? shard.withRun(runId, run -> shard.whenDurable(runId, shard.runJson(run)))
                : readJournal(() -> shard.runJson(replayed(runId))));
    }

    /**
     * Completes with the run as the API shows it once it has finished (SUCCEEDED, FAILED or
     * CANCELLED) and that is durable; at once if it already has. For embedding and tests.
     */
    public Future<ObjectNode> whenFinished(String runId) {
        Shard shard = shardOf(runId);
        return heldHere(runId).compose(held -> held ? shard.withRun(runId, shard::whenFinished) : finishedInJournal(runId));
    }

    /** A run another node owns, watched in the journal (whichever node owns it until it ends). */
    private Future<ObjectNode> finishedInJournal(String runId) {
        return readJournal(() -> {
            RunState run = replayed(runId);
            return run.status().finished() ? shardOf(runId).runJson(run) : null;
        }).compose(done -> {
            if (done != null) return Future.succeededFuture(done);
            Promise<Void> later = Promise.promise();
            vertx.setTimer(FINISH_POLL_MS, t -> later.complete());
            return later.future().compose(v -> whenFinished(runId));
        });
    }

    /**
     * Records a model call made for a run as a whole (planning, replanning, the answer), so that
     * it shows in the run's usage and journal. The server feeds it from the model gateway's
     * listener; agent tasks record their own calls. A call for an unknown run is ignored.
     */
    public void recordModelCall(String runId, EventData.ModelUsed call) {
        Shard shard = shardOf(runId);
        shard.withRun(runId, run -> {
            shard.decide(run, new Input.ModelCallMade(call));
            return Future.succeededFuture();
        }).onFailure(e -> LOG.debug("model call of run {} not recorded: {}", runId, e.toString()));
    }

    /**
     * Registers a listener for every run's events from now on (see {@link RunListener} for when and
     * on which thread it is called). Close the registration to remove it.
     */
    public RunListener.Registration addListener(RunListener listener) {
        return listeners.add(listener);
    }

    /** Cancels a run that has not finished; its unfinished tasks become CANCELLED. */
    public Future<ObjectNode> cancel(String runId, String by) {
        return route(new RunCommand.Cancel(runId, by), false);
    }

    /**
     * Decides a task's approval. Completes only once the decision is durable; fails with
     * CONFLICT if the task is not waiting (also when a second decision or the expiry won the race).
     */
    public Future<ObjectNode> decide(ApprovalDecision decision) {
        return route(new RunCommand.Decide(decision.runId(), decision.taskId(), decision.approve(), decision.by(),
                decision.admin(), decision.comment(), decision.args()), false);
    }

    /**
     * Decides a proposed plan. Approving (optionally with an edited plan, validated first)
     * starts the run; rejecting cancels it. Fails with CONFLICT unless the run is
     * AWAITING_PLAN_APPROVAL. Completes once the decision is durable.
     */
    public Future<ObjectNode> decidePlan(String runId, boolean approve, String by, String comment, JsonNode editedPlan) {
        return route(new RunCommand.DecidePlan(runId, approve, by, comment, editedPlan), false);
    }

    /** Runs a FAILED task again (with a fresh attempt budget), reopening its run if it had failed. */
    public Future<ObjectNode> retryTask(String runId, String taskId, String by) {
        return route(new RunCommand.RetryTask(runId, taskId, by), false);
    }

    /**
     * A user's follow-up instruction. Completes once the {@code UserMessage} is durable. A RUNNING
     * run then replans its unfinished part (REPLANNING; calls in flight finish first, no new task
     * starts meanwhile); in a run that is already REPLANNING the message joins that replan, or
     * the next one if the planner is already at work. Fails with UNPROCESSABLE
     * ({@code model_not_configured}) when the run's planner cannot replan, and with CONFLICT when
     * the run has finished or has no accepted plan yet.
     */
    public Future<ObjectNode> message(String runId, String text, String by) {
        return route(new RunCommand.Message(runId, text, by), false);
    }

    /**
     * Retries the compensation that failed for good: the run goes back to COMPENSATING and
     * unwinds on from there. Fails with CONFLICT unless the run is COMPENSATION_FAILED.
     */
    public Future<ObjectNode> retryCompensation(String runId, String by) {
        return route(new RunCommand.RetryCompensation(runId, by), false);
    }

    /**
     * A command another node forwarded to this one as the owner of its run: carried out here, and
     * never forwarded on (if this node does not own the run after all, it fails with
     * {@code not_owner} and the sender looks for the owner again).
     */
    public Future<ObjectNode> takeForwarded(RunCommand command) {
        return route(command, true);
    }

    /**
     * Takes over runs the cluster has just made this node's (their owner stopped or lost its
     * lease): each is replayed from the journal and carried on as after a restart: waiting
     * approvals wait, timers are armed for their time, calls in flight are made again with the
     * same idempotency key. Completes with how many resumed.
     */
    public Future<Integer> adopt(java.util.Collection<String> runIds) {
        if (runIds.isEmpty()) return Future.succeededFuture(0);
        Promise<Void> adopted = Promise.promise();
        for (String runId : runIds) adopting.put(runId, adopted.future());
        return readJournal(() -> {
            List<List<RunState>> byShard = emptyShardLists();
            for (String runId : runIds) {
                List<RunEvent> events = journal.events(runId, 0);
                if (events.isEmpty()) continue;
                try {
                    byShard.get(Math.floorMod(runId.hashCode(), shards.length)).add(RunState.replay(runId, events));
                } catch (RuntimeException e) {
                    setAside(runId, "it cannot be replayed: " + e.getMessage());
                }
            }
            return byShard;
        }).compose(this::resumeAll).onComplete(done -> {
            for (String runId : runIds) adopting.remove(runId, adopted.future());
            adopted.complete();
        });
    }

    /**
     * Forgets every run this node held, without writing anything: the node lost its lease, and
     * other nodes take its runs over. Calls in flight are interrupted and their ends ignored;
     * timers that come due are ignored; whoever waited for a run hears that it moved.
     */
    public Future<Void> dropAll(String why) {
        recentKeys.invalidateAll();
        List<Future<Void>> dropped = new ArrayList<>();
        for (Shard shard : shards) dropped.add(shard.onContext(() -> {
            shard.dropAll(why);
            return null;
        }));
        return Future.all(dropped).mapEmpty();
    }

    /** The run's durable events after {@code afterSeq}; fails with NOT_FOUND for an unknown run. */
    public Future<List<RunEvent>> events(String runId, long afterSeq) {
        return readJournal(() -> {
            List<RunEvent> events = journal.events(runId, afterSeq);
            if (events.isEmpty() && journal.run(runId).isEmpty()) throw BatonException.notFound("run", runId);
            return events;
        });
    }

    /** Whether the run exists (in memory or in the journal). */
    public Future<Optional<RunRecord>> runRecord(String runId) {
        return readJournal(() -> journal.run(runId));
    }

    /** How many runs each of these triggers started, by status, from the journal (see {@link dev.baton.runtime.journal.RunIndex#runCountsByTrigger}). */
    public Future<Map<String, Map<String, Long>>> runCountsByTrigger(Collection<String> triggers) {
        return readJournal(() -> journal.runCountsByTrigger(triggers));
    }

    public Future<RunPage> runs(RunQuery query) {
        return readJournal(() -> journal.runs(query));
    }

    public Future<List<ApprovalRecord>> approvals(String status) {
        return readJournal(() -> journal.approvals(status));
    }

    /** The goals of these runs, by id (see {@link dev.baton.runtime.journal.RunIndex#goals}). */
    public Future<Map<String, String>> goals(Collection<String> runIds) {
        return readJournal(() -> journal.goals(runIds));
    }

    /** Completes once the journal's database answered a probe, fails if it does not (see {@link Journal#ping()}). */
    public Future<Void> pingJournal() {
        // Its own thread: the read threads may all be waiting for connections while the database is away.
        return probes.<Void>executeBlocking(() -> {
            journal.ping();
            return null;
        }, false).timeout(2, TimeUnit.SECONDS);
    }

    public OrchestratorOptions options() {
        return options;
    }

    /** The spans of this orchestrator's runs (see {@link Tracing}), through {@link OrchestratorOptions#openTelemetry()}. */
    public Tracing tracing() {
        return tracing;
    }

    public OrchestratorMetrics metrics() {
        long inMemory = 0;
        int waiting = 0;
        for (Shard shard : shards) {
            inMemory += shard.runsInMemory();
            waiting += shard.waitingForSlots();
        }
        metrics.runsInMemory = inMemory;
        metrics.readyQueueDepth = waiting;
        metrics.callsInFlight = pool.held();
        return metrics;
    }

    public Journal journal() {
        return journal;
    }

    public ToolRegistry tools() {
        return tools;
    }

    /** Whether tool calls run on virtual threads (JDK 21+). */
    public boolean usesVirtualThreads() {
        return executor.usesVirtualThreads();
    }

    /** The runs set aside at start because the journal could not rebuild them, with why. */
    public Map<String, String> setAsideRuns() {
        return Map.copyOf(setAside);
    }

    /**
     * Stops taking work, writes what is queued, interrupts running calls (they run again,
     * with the same idempotency key, after the next start) and closes the journal.
     */
    @Override
    public void close() {
        close(() -> { });
    }

    /** As {@link #close()}, running {@code beforeJournalCloses} once the last events are written (a node leaves its cluster then). */
    public void close(Runnable beforeJournalCloses) {
        if (closed) return;
        closed = true;
        CompletableFuture<?>[] drained = new CompletableFuture<?>[shards.length];
        for (int i = 0; i < shards.length; i++) drained[i] = shards[i].close();
        try {
            // A run's next append goes out once its previous one is written: wait for the chains to drain.
            CompletableFuture.allOf(drained).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("could not flush the last events before closing: {}", e.toString());
        }
        executor.close();
        listeners.close();
        try {
            beforeJournalCloses.run();
        } catch (RuntimeException e) {
            LOG.warn("closing: {}", e.toString());
        }
        journal.close();
        reads.close();
        planning.close();
        probes.close();
        checks.close();
    }

    // ------------------------------------------------------------------ requests

    /** The shard a run (or an idempotency key's run) belongs to. */
    private Shard shardOf(String id) {
        return shards[Math.floorMod(id.hashCode(), shards.length)];
    }

    /** On {@code home}'s context: a new run, with an id that belongs to {@code home}. */
    private Future<Submitted> create(Shard home, RunRequest request, CheckedPlan plan, io.opentelemetry.context.Context caller) {
        String id;
        do {
            id = Ids.run(options.clock().millis());
        } while (shardOf(id) != home);
        RunState run = new RunState(id);
        home.adopt(run);
        String key = request.idempotencyKey();
        if (key != null) recentKeys.put(key, id);
        // The run's span starts here and its traceparent is kept in the RunCreated, for its tasks wherever they run.
        String traceParent = tracing.runStarted(id, request.goal(), request.origin().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT), caller);
        home.decide(run, new Input.Create(request.goal(), request.input(), request.options(), key, request.requestHash(), plan, request.origin(),
                traceParent));
        String runId = id;
        home.onDurable(runId, error -> {
            if (error != null) tracing.runFinished(runId, "NOT_CREATED", "run_not_durable"); // the client hears 503: no run
        });
        if (key != null) home.onDurable(runId, error -> {
            if (error != null) recentKeys.asMap().remove(key, runId);
        });
        // The caller hears of the run once it is durable, and sees it as these events left it.
        Future<Submitted> created = home.whenDurable(id, new Submitted(id, home.runJson(run), false));
        if (key == null) return created;
        // Another node created a run for the same key at the same moment, and its commit came first: that run is the answer.
        return created.recover(error -> !duplicateKey(error) ? Future.failedFuture(error)
                : readJournal(() -> journal.runByIdempotencyKey(key)).compose(found -> found.isPresent()
                        ? replay(found.get().id(), request) : Future.failedFuture(error)));
    }

    /** Whether a write failed on a unique key (SQLSTATE 23505, as both H2 and PostgreSQL say). */
    private static boolean duplicateKey(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) return true;
        }
        return false;
    }

    private Future<Submitted> replay(String runId, RunRequest request) {
        Shard shard = shardOf(runId);
        return heldHere(runId).compose(held -> {
            if (!held) {
                // Another node's run (or one parked out of memory): as the journal has it.
                return readJournal(() -> {
                    RunState run = replayed(runId);
                    checkSameRequest(run, request);
                    return new Submitted(runId, shard.runJson(run), true);
                });
            }
            return shard.withRun(runId, run -> {
                checkSameRequest(run, request);
                return shard.whenDurable(runId, new Submitted(runId, shard.runJson(run), true));
            });
        });
    }

    private static void checkSameRequest(RunState run, RunRequest request) {
        if (request.requestHash() != null && run.requestHash() != null && !request.requestHash().equals(run.requestHash())) {
            throw new BatonException(Kind.UNPROCESSABLE, "idempotency_key_reused", "the Idempotency-Key '"
                    + request.idempotencyKey() + "' was already used for a different request (run '" + run.id() + "')");
        }
    }

    /** The run as its durable events leave it; NOT_FOUND if it has none. For the read threads. */
    private RunState replayed(String runId) {
        List<RunEvent> events = journal.events(runId, 0);
        if (events.isEmpty()) throw BatonException.notFound("run", runId);
        return RunState.replay(runId, events);
    }

    /**
     * Whether the run is in this node's memory (so this node owns it); always true on a single
     * node, where memory or journal both do. A run being taken over is waited for: it is held
     * once its replay is in memory.
     */
    private Future<Boolean> heldHere(String runId) {
        if (placement == null) return Future.succeededFuture(true);
        Future<Void> takingOver = adopting.get(runId);
        if (takingOver != null) return takingOver.transform(v -> heldHere(runId));
        Shard shard = shardOf(runId);
        return shard.onContext(() -> shard.holds(runId));
    }

    // ------------------------------------------------------------------ commands, wherever their run lives

    /**
     * Carries a person's command out here if this node owns its run; otherwise forwards it to the
     * owner, or takes the run over first if its owner is gone. A forwarded command is never
     * forwarded on. While the owner cannot be reached (it is dying, or its lease is about to
     * lapse) the command looks again, for at most {@link RunPlacement#patience()}.
     */
    private Future<ObjectNode> route(RunCommand command, boolean forwarded) {
        if (placement == null) return here(command);
        return routeFrom(command, forwarded, System.nanoTime() + placement.patience().toNanos(), 0);
    }

    private Future<ObjectNode> routeFrom(RunCommand command, boolean forwarded, long deadline, int tries) {
        String runId = command.runId();
        if (!placement.writable()) return Future.failedFuture(notWritable());
        return heldHere(runId).compose(held -> {
            if (held) return here(command);
            return readJournal(() -> placement.locate(runId)).compose(place -> {
                if (place instanceof RunPlacement.Place.Here) return here(command);
                if (place instanceof RunPlacement.Place.Unknown) return Future.failedFuture(BatonException.notFound("run", runId));
                if (place instanceof RunPlacement.Place.Orphaned) {
                    return readJournal(() -> placement.takeOver(runId)).compose(taken -> taken
                            ? adoptForCommand(runId).compose(n -> here(command))
                            : again(command, forwarded, deadline, tries, null));
                }
                if (forwarded) {
                    return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "not_owner",
                            "this node does not own run '" + runId + "'"));
                }
                return placement.forward((RunPlacement.Place.Elsewhere) place, command).recover(error -> {
                    boolean answered = error instanceof BatonException b && !"not_owner".equals(b.code()) && b.kind() != Kind.UNAVAILABLE;
                    return answered ? Future.failedFuture(error) : again(command, false, deadline, tries, error);
                });
            });
        });
    }

    /** Looks for the run's owner again after a short wait, unless patience ran out. */
    private Future<ObjectNode> again(RunCommand command, boolean forwarded, long deadline, int tries, Throwable last) {
        if (System.nanoTime() > deadline) {
            return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "owner_unreachable", "the node that owns run '"
                    + command.runId() + "' does not answer" + (last == null ? "" : " (" + last.getMessage() + ")")
                    + "; it is taken over once its lease lapses: try again in a few seconds"));
        }
        Promise<Void> wait = Promise.promise();
        vertx.setTimer(Math.min(1_000, 100L << Math.min(tries, 4)), t -> wait.complete());
        return wait.future().compose(v -> routeFrom(command, forwarded, deadline, tries + 1));
    }

    private static BatonException notWritable() {
        return new BatonException(Kind.UNAVAILABLE, "node_fenced", "this node lost its cluster lease and is rejoining;"
                + " try again in a few seconds or on another node");
    }

    /** Carries out a command on this node, which owns its run. */
    private Future<ObjectNode> here(RunCommand command) {
        String runId = command.runId();
        if (command instanceof RunCommand.Cancel c) return answerRun(runId, new Input.Cancel(c.by()));
        if (command instanceof RunCommand.Decide d) {
            return answerTask(runId, d.taskId(), new Input.DecideApproval(d.taskId(), d.approve(), d.by(), d.admin(), d.comment(), d.args()));
        }
        if (command instanceof RunCommand.DecidePlan p) return answerRun(runId, new Input.DecidePlan(p.approve(), p.by(), p.comment(), p.plan()));
        if (command instanceof RunCommand.RetryTask r) return answerTask(runId, r.taskId(), new Input.RetryTask(r.taskId(), r.by()));
        if (command instanceof RunCommand.Message m) return answerRun(runId, new Input.Message(m.text(), m.by()));
        RunCommand.RetryCompensation c = (RunCommand.RetryCompensation) command;
        return answerRun(runId, new Input.RetryCompensation(c.by()));
    }

    /** A person's request about a run, answered with the run once what it decided is durable. */
    private Future<ObjectNode> answerRun(String runId, Input input) {
        Shard shard = shardOf(runId);
        return shard.withRun(runId, run -> {
            shard.decide(run, input);
            return shard.whenDurable(runId, shard.runJson(run));
        });
    }

    /** A person's request about a task, answered with the task once what it decided is durable. */
    private Future<ObjectNode> answerTask(String runId, String taskId, Input input) {
        Shard shard = shardOf(runId);
        return shard.withRun(runId, run -> {
            shard.decide(run, input);
            TaskState task = run.task(taskId);
            return shard.whenDurable(runId, RunJson.task(task, shard.gated(task)));
        });
    }

    // ------------------------------------------------------------------ recovery

    /** Replays every unfinished run from the journal and hands each to its shard, which carries out what it still owes. */
    private Future<Void> recover() {
        long began = System.nanoTime();
        return readJournal(() -> {
            List<List<RunState>> byShard = emptyShardLists();
            RunState[] current = new RunState[1];
            journal.forEachEventOfUnfinishedRuns(event -> {
                if (current[0] == null || !current[0].id().equals(event.runId())) {
                    current[0] = new RunState(event.runId());
                    byShard.get(Math.floorMod(event.runId().hashCode(), shards.length)).add(current[0]);
                }
                if (setAside.containsKey(event.runId())) return;
                try {
                    current[0].apply(event);
                } catch (RuntimeException e) {
                    setAside(event.runId(), "event " + event.seq() + " (" + event.data().type() + ") cannot be applied: " + e.getMessage());
                }
            });
            return byShard;
        }).compose(this::resumeAll).map(count -> {
            if (count > 0 || !setAside.isEmpty()) {
                LOG.info("recovered {} unfinished runs from the journal in {} ms{}", count, (System.nanoTime() - began) / 1_000_000,
                        setAside.isEmpty() ? "" : "; " + setAside.size() + " set aside (see above)");
            }
            return null;
        });
    }

    private List<List<RunState>> emptyShardLists() {
        List<List<RunState>> byShard = new ArrayList<>();
        for (int i = 0; i < shards.length; i++) byShard.add(new ArrayList<>());
        return byShard;
    }

    /** Hands replayed runs to their shards, which carry out what each still owes; completes with how many resumed. */
    private Future<Integer> resumeAll(List<List<RunState>> byShard) {
        List<Future<Integer>> resumed = new ArrayList<>();
        for (int i = 0; i < shards.length; i++) {
            Shard shard = shards[i];
            List<RunState> runs = byShard.get(i).stream().filter(run -> !setAside.containsKey(run.id())).toList();
            resumed.add(shard.onContext(() -> shard.recover(runs)));
        }
        return Future.all(resumed).map(all -> resumed.stream().mapToInt(Future::result).sum());
    }

    private void setAside(String runId, String reason) {
        setAside.put(runId, reason);
        LOG.error("run {} is set aside and will not run: {}. The server starts and serves the other runs;"
                + " the run's events stay in the journal untouched.", runId, reason);
    }

    // ------------------------------------------------------------------ threads

    private <T> Future<T> readJournal(java.util.concurrent.Callable<T> read) {
        return reads.executeBlocking(read, false);
    }

    /**
     * Runs {@code body}, which must not touch run state, on a worker: checking a plan reads only the
     * validator, and a 25,000-task plan takes seconds that every run on a shard would wait for.
     */
    private <T> Future<T> offContext(java.util.concurrent.Callable<T> body) {
        if (closed) return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "shutting_down", "the server is shutting down"));
        return checks.executeBlocking(body, false);
    }

    /**
     * Adopts a run this node took over because a command for it arrived before the cluster's takeover
     * round, logging the restart's recovery line for it as that round does: the run is recovered from
     * the journal all the same, and tools that read the log (and the crash tests) look for that line.
     */
    private Future<Integer> adoptForCommand(String runId) {
        long began = System.nanoTime();
        return adopt(List.of(runId)).onSuccess(n -> LOG.info("recovered {} unfinished runs from the journal in {} ms,"
                + " taken over for a command (its owner is gone)", n, (System.nanoTime() - began) / 1_000_000));
    }
}
