package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.PlanValidator;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.ContextCalls;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentLoop;
import dev.baton.runtime.agent.AgentResult;
import dev.baton.runtime.decider.CheckedPlan;
import dev.baton.runtime.decider.Command;
import dev.baton.runtime.decider.Decision;
import dev.baton.runtime.decider.Facts;
import dev.baton.runtime.decider.Input;
import dev.baton.runtime.decider.Lane;
import dev.baton.runtime.decider.Outcome;
import dev.baton.runtime.decider.PlanCheck;
import dev.baton.runtime.decider.RunDecider;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
    public static final String EVENTS_ADDRESS = "baton.events";

    private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);

    private final Vertx vertx;
    private final Context context;
    private final Journal journal;
    private final ToolRegistry tools;
    private final OrchestratorOptions options;
    private final PlanCheck plans;
    private final RunDecider decider;
    private final TaskExecutor executor;
    private final WorkerExecutor reads;
    /** Planners block on model calls for seconds: they get their own threads. */
    private final WorkerExecutor planning;
    /** Readiness probes of the journal, apart from the reads so that a backlog cannot hold them up. */
    private final WorkerExecutor probes;
    /** Plans are checked here, off the context (see {@link #offContext}). */
    private final WorkerExecutor checks;
    private final OrchestratorMetrics metrics;
    private final RunCache runs;
    private final DurableOutbox outbox;
    private final CallSlots slots;

    private final Map<String, Future<RunState>> loading = new HashMap<>();
    /** Runs whose append failed: the next load from the journal picks them up where it left them. */
    private final Set<String> toResume = new HashSet<>();
    /** Runs dropped after a failed write, waiting to be loaded again ({@link #reloadDropped}). */
    private final Set<String> toReload = new LinkedHashSet<>();
    private boolean reloading;
    /** Runs the journal holds but that could not be rebuilt at start, with why: set aside, the others run. */
    private final Map<String, String> setAside = new ConcurrentHashMap<>();
    /** Idempotency keys of runs created but not yet durable. */
    private final Map<String, String> pendingKeys = new HashMap<>();
    /** Runs whose planner is being asked for a new plan right now (a crash forgets this: recovery asks again). */
    private final Set<String> replanCalls = new HashSet<>();
    /** Runs whose final answer is being written right now. */
    private final Set<String> resultCalls = new HashSet<>();
    /** Timers armed and not yet due, so that a timer owed twice is armed once. */
    private final Set<TimerKey> timers = new HashSet<>();
    /** Callers of {@link #whenFinished}, by run. */
    private final Map<String, List<Promise<ObjectNode>>> finishWaiters = new HashMap<>();
    private boolean drainingWaiters;
    private volatile boolean closed;

    private record TimerKey(String runId, Command.ArmTimer timer) {
    }

    private Orchestrator(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.journal = journal;
        this.tools = tools;
        this.options = options;
        this.metrics = new OrchestratorMetrics(options.callMetrics());
        this.plans = new PlanCheck(new PlanValidator(RuntimeCatalog.of(tools, options.agents(), options.models() != null), options.planLimits()));
        this.decider = new RunDecider(options, tools, plans);
        this.executor = new TaskExecutor(options.maxConcurrentCalls(), metrics);
        this.reads = vertx.createSharedWorkerExecutor("baton-journal-read", 4);
        this.planning = vertx.createSharedWorkerExecutor("baton-planner", 4);
        this.probes = vertx.createSharedWorkerExecutor("baton-journal-probe", 1);
        this.checks = vertx.createSharedWorkerExecutor("baton-plan-check", Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.runs = new RunCache(options.parkedRunsInMemory(), this::pinned);
        this.slots = new CallSlots(vertx, options.maxConcurrentCalls());
        this.outbox = new DurableOutbox(context, journal, new DurableOutbox.Listener() {
            @Override
            public void durable(String runId, List<RunEvent> events) {
                RunState run = runs.get(runId);
                for (RunEvent event : events) {
                    metrics.onDurable(event, run);
                    vertx.eventBus().publish(EVENTS_ADDRESS, event);
                }
            }

            @Override
            public void settled(String runId) {
                RunState run = runs.get(runId);
                if (run == null) return;
                if (run.status().finished()) {
                    List<Promise<ObjectNode>> waiters = finishWaiters.remove(runId);
                    if (waiters != null) waiters.forEach(p -> p.tryComplete(runJson(run)));
                }
                runs.reweigh(run);
            }

            @Override
            public void failed(String runId, int lost, Throwable error) {
                rebuild(runId, lost, error);
            }
        });
    }

    /**
     * Creates an orchestrator and recovers every unfinished run from the journal: waiting
     * approvals wait again, timers are re-armed for their original time, tasks that were
     * running are called again with the same idempotency key. Completes when recovery is done.
     */
    public static Future<Orchestrator> start(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        try {
            vertx.eventBus().registerDefaultCodec(RunEvent.class, new RunEventCodec());
        } catch (IllegalStateException alreadyRegistered) {
            // another orchestrator on the same Vert.x instance registered it
        }
        Orchestrator orchestrator = new Orchestrator(vertx, journal, tools, options);
        return orchestrator.recover().map(orchestrator);
    }

    // ------------------------------------------------------------------ public API

    /** Starts a run, or returns the one an earlier request with the same idempotency key created. */
    public Future<Submitted> submit(RunRequest request) {
        return offContext(() -> {
            if (request.goal() == null || request.goal().isBlank()) {
                throw new BatonException(Kind.INVALID, "bad_request", "field 'goal' is required: say in words what the run is for");
            }
            if (request.plan() == null && options.planner() == null) {
                throw new BatonException(Kind.UNPROCESSABLE, "model_not_configured",
                        "this run has no plan and no model is configured to make one: post a 'plan' with the goal,"
                                + " or configure a model (OPENAI_BASE_URL, OPENAI_API_KEY, BATON_MODEL)");
            }
            return request.plan() == null ? null : plans.check(request.plan());
        }).compose(plan -> onContext(() -> {
            String key = request.idempotencyKey();
            if (key == null) return create(request, plan);
            String pending = pendingKeys.get(key);
            if (pending != null) return replay(pending, request);
            return readJournal(() -> journal.runByIdempotencyKey(key)).compose(existing -> {
                String again = pendingKeys.get(key);
                if (again != null) return replay(again, request);
                if (existing.isPresent()) return replay(existing.get().id(), request);
                return create(request, plan);
            });
        })).compose(Function.identity());
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
        return withRun(runId, run -> outbox.whenDurable(runId, runJson(run)));
    }

    /**
     * Completes with the run as the API shows it once it has finished (SUCCEEDED, FAILED or
     * CANCELLED) and that is durable; at once if it already has. For embedding and tests.
     */
    public Future<ObjectNode> whenFinished(String runId) {
        return withRun(runId, run -> {
            if (run.status().finished() && !outbox.pending(runId)) return Future.succeededFuture(runJson(run));
            Promise<ObjectNode> promise = Promise.promise();
            finishWaiters.computeIfAbsent(runId, id -> new ArrayList<>(1)).add(promise);
            return promise.future();
        });
    }

    /**
     * Records a model call made for a run as a whole (planning, replanning, the answer), so that
     * it shows in the run's usage and journal. The server feeds it from the model gateway's
     * listener; agent tasks record their own calls. A call for an unknown run is ignored.
     */
    public void recordModelCall(String runId, EventData.ModelUsed call) {
        withRun(runId, run -> {
            decide(run, new Input.ModelCallMade(call));
            return Future.succeededFuture();
        }).onFailure(e -> LOG.debug("model call of run {} not recorded: {}", runId, e.toString()));
    }

    /** Cancels a run that has not finished; its unfinished tasks become CANCELLED. */
    public Future<ObjectNode> cancel(String runId, String by) {
        return answerRun(runId, new Input.Cancel(by));
    }

    /**
     * Decides a task's approval. Completes only once the decision is durable; fails with
     * CONFLICT if the task is not waiting (also when a second decision or the expiry won the race).
     */
    public Future<ObjectNode> decide(ApprovalDecision decision) {
        return answerTask(decision.runId(), decision.taskId(), new Input.DecideApproval(decision.taskId(), decision.approve(),
                decision.by(), decision.admin(), decision.comment(), decision.args()));
    }

    /**
     * Decides a proposed plan. Approving (optionally with an edited plan, validated first)
     * starts the run; rejecting cancels it. Fails with CONFLICT unless the run is
     * AWAITING_PLAN_APPROVAL. Completes once the decision is durable.
     */
    public Future<ObjectNode> decidePlan(String runId, boolean approve, String by, String comment, JsonNode editedPlan) {
        return answerRun(runId, new Input.DecidePlan(approve, by, comment, editedPlan));
    }

    /** Runs a FAILED task again (with a fresh attempt budget), reopening its run if it had failed. */
    public Future<ObjectNode> retryTask(String runId, String taskId, String by) {
        return answerTask(runId, taskId, new Input.RetryTask(taskId, by));
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
        return answerRun(runId, new Input.Message(text, by));
    }

    /**
     * Retries the compensation that failed for good: the run goes back to COMPENSATING and
     * unwinds on from there. Fails with CONFLICT unless the run is COMPENSATION_FAILED.
     */
    public Future<ObjectNode> retryCompensation(String runId, String by) {
        return answerRun(runId, new Input.RetryCompensation(by));
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

    public Future<RunPage> runs(RunQuery query) {
        return readJournal(() -> journal.runs(query));
    }

    public Future<List<ApprovalRecord>> approvals(String status) {
        return readJournal(() -> journal.approvals(status));
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

    public OrchestratorMetrics metrics() {
        metrics.runsInMemory = runs.size();
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
        if (closed) return;
        closed = true;
        try {
            // A run's next append goes out once its previous one is written: wait for the chains to drain.
            outbox.drain().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("could not flush the last events before closing: {}", e.toString());
        }
        executor.close();
        journal.close();
        reads.close();
        planning.close();
        probes.close();
        checks.close();
    }

    // ------------------------------------------------------------------ requests

    private Future<Submitted> create(RunRequest request, CheckedPlan plan) {
        String id = Ids.run(now().toEpochMilli());
        RunState run = new RunState(id);
        runs.put(run);
        String key = request.idempotencyKey();
        if (key != null) pendingKeys.put(key, id);
        decide(run, new Input.Create(request.goal(), request.input(), request.options(), key, request.requestHash(), plan));
        if (key != null) outbox.onDurable(id, error -> pendingKeys.remove(key));
        // The caller hears of the run once it is durable, and sees it as these events left it.
        return outbox.whenDurable(id, new Submitted(id, runJson(run), false));
    }

    private Future<Submitted> replay(String runId, RunRequest request) {
        return withRun(runId, run -> {
            if (request.requestHash() != null && run.requestHash() != null && !request.requestHash().equals(run.requestHash())) {
                throw new BatonException(Kind.UNPROCESSABLE, "idempotency_key_reused", "the Idempotency-Key '"
                        + request.idempotencyKey() + "' was already used for a different request (run '" + runId + "')");
            }
            return outbox.whenDurable(runId, new Submitted(runId, runJson(run), true));
        });
    }

    /** A person's request about a run, answered with the run once what it decided is durable. */
    private Future<ObjectNode> answerRun(String runId, Input input) {
        return withRun(runId, run -> {
            decide(run, input);
            return outbox.whenDurable(runId, runJson(run));
        });
    }

    /** A person's request about a task, answered with the task once what it decided is durable. */
    private Future<ObjectNode> answerTask(String runId, String taskId, Input input) {
        return withRun(runId, run -> {
            decide(run, input);
            var task = run.task(taskId);
            return outbox.whenDurable(runId, RunJson.task(task, decider.gated(task)));
        });
    }

    // ------------------------------------------------------------------ decide, then do

    /**
     * Hands an input to the decider and carries out its decision. A request the decider refuses
     * throws, having changed nothing.
     */
    private void decide(RunState run, Input input) {
        carryOut(run, decideSafely(run, () -> decider.on(run, input, facts(run.id()))));
    }

    /**
     * A decider that fails after folding events into the run (a bug) leaves memory ahead of what
     * will ever be written: the run is rebuilt from the journal, as after a failed write.
     */
    private Decision decideSafely(RunState run, java.util.function.Supplier<Decision> decision) {
        long seq = run.lastSeq();
        try {
            return decision.get();
        } catch (RuntimeException e) {
            if (run.lastSeq() != seq) {
                LOG.error("deciding on run {} failed half-way; the run is rebuilt from the journal", run.id(), e);
                outbox.onDurable(run.id(), error -> rebuild(run.id(), (int) (run.lastSeq() - seq), e));
            }
            throw e;
        }
    }

    private Facts facts(String runId) {
        Instant now = now();
        return new Facts() {
            @Override public Instant now() { return now; }
            @Override public boolean inFlight(String taskId) { return slots.inFlight(runId, taskId); }
            @Override public int callsInFlight() { return slots.inFlight(runId); }
            @Override public int freeSlots() { return slots.free(); }
        };
    }

    private void carryOut(RunState run, Decision decision) {
        if (decision.isEmpty()) return;
        if (outbox.queue(run.id(), decision.events())) runs.put(run); // pinned until durable
        for (Command command : decision.commands()) execute(run, command);
        runs.reweigh(run);
        startWaiting();
    }

    private void execute(RunState run, Command command) {
        String runId = run.id();
        if (command instanceof Command.StartTool start) {
            startTool(runId, start);
        } else if (command instanceof Command.StartAgent start) {
            startAgent(runId, start);
        } else if (command instanceof Command.AwaitSlot await) {
            slots.await(runId, await.taskId(), await.rerunAttempt());
        } else if (command instanceof Command.ArmTimer timer) {
            arm(runId, timer);
        } else if (command instanceof Command.Interrupt interrupt) {
            slots.stop(runId, interrupt.taskId(), interrupt.why());
        } else if (command instanceof Command.AskPlanner ask) {
            GoalPlanner planner = options.planner();
            planning.<GoalPlanner.ProposedPlan>executeBlocking(() -> planner.plan(ask.request()), false)
                    .onComplete(result -> withRun(runId, planned -> {
                        decide(planned, new Input.Planned(result.result(), result.cause()));
                        return Future.succeededFuture();
                    }).onFailure(this::logCallbackFailure));
        } else if (command instanceof Command.AskReplanner ask) {
            if (!replanCalls.add(runId)) return;
            GoalPlanner planner = options.planner();
            planning.<GoalPlanner.ProposedPlan>executeBlocking(() -> planner.replan(ask.request()), false)
                    .onComplete(result -> withRun(runId, replanned -> {
                        replanCalls.remove(runId);
                        decide(replanned, new Input.Replanned(result.result(), result.cause(), ask.messagesSeen()));
                        return Future.succeededFuture();
                    }).onFailure(e -> {
                        context.runOnContext(v -> replanCalls.remove(runId));
                        logCallbackFailure(e);
                    }));
        } else if (command instanceof Command.WriteAnswer write) {
            if (!resultCalls.add(runId)) return;
            planning.<String>executeBlocking(() -> options.resultWriter().answer(write.request()), false)
                    .onComplete(answer -> withRun(runId, done -> {
                        resultCalls.remove(runId);
                        decide(done, new Input.AnswerWritten(write.planVersion(), write.outputs(), answer.result(), answer.cause()));
                        return Future.succeededFuture();
                    }).onFailure(e -> {
                        context.runOnContext(v -> resultCalls.remove(runId));
                        logCallbackFailure(e);
                    }));
        }
    }

    /** Starts tasks that waited for a call slot, while slots are free. */
    private void startWaiting() {
        if (!drainingWaiters) {
            drainingWaiters = true;
            try {
                CallSlots.Waiting next;
                while ((next = slots.nextWaiting()) != null) {
                    RunState run = runs.get(next.runId());
                    if (run != null) decide(run, new Input.SlotFree(next.taskId(), next.rerunAttempt()));
                }
            } finally {
                drainingWaiters = false;
            }
        }
        metrics.callsInFlight = slots.inFlight();
        metrics.readyQueueDepth = slots.waiting();
    }

    // ------------------------------------------------------------------ calls

    private void startTool(String runId, Command.StartTool start) {
        CallSlots.Slot slot = slots.hold(runId, start.taskId(), start.lane(), start.attempt());
        whenStartIsDurable(runId, start.taskId(), slot, () -> {
            slot.call = executor.submit(start.tool(), start.args(), new ToolContext(runId, start.taskId(), start.attempt(),
                    start.idempotencyKey(), start.deadline()));
            String toolName = start.tool().descriptor().name();
            watch(runId, start.taskId(), start.lane(), start.attempt(), slot, start.timeout(), "tool", toolName,
                    new Outcome.Failure("timeout", "no answer within " + start.timeout(), true, null));
        });
    }

    /** Runs an agent loop on the task threads; each of its model and tool calls comes back as an {@link Input.AgentStep}. */
    private void startAgent(String runId, Command.StartAgent start) {
        String taskId = start.taskId();
        Duration timeout = start.agent().limits().timeout();
        CallSlots.Slot slot = slots.hold(runId, taskId, start.lane(), start.attempt());
        whenStartIsDurable(runId, taskId, slot, () -> {
            slot.call = executor.submit("agent", start.agent().name(), runId, taskId, start.attempt(), () -> {
                AgentLoop loop = new AgentLoop(options.models().model(runId, taskId), tools,
                        event -> context.runOnContext(v -> agentStep(runId, new Input.AgentStep(taskId, start.lane(),
                                start.attempt(), start.agent().name(), event))),
                        options.clock(), options.defaultToolTimeout());
                AgentResult result = loop.run(start.request());
                if (result instanceof AgentResult.Answered answered) return writable(new Outcome.Success(answered.output()));
                if (result instanceof AgentResult.NeedsApproval needs) return new Outcome.ApprovalNeeded(needs.tool(), needs.args());
                AgentResult.Failed failed = (AgentResult.Failed) result;
                return new Outcome.Failure(failed.code(), failed.message(), failed.retryable(), null);
            });
            watch(runId, taskId, start.lane(), start.attempt(), slot, timeout, "agent", start.agent().name(),
                    new Outcome.Failure("agent_timeout", "agent '" + start.agent().name() + "' did not answer within " + timeout, false, null));
        });
    }

    /** Arms the call's timeout and reports its end (or the timeout) to the context; records its duration. */
    private void watch(String runId, String taskId, Lane lane, int attempt, CallSlots.Slot slot, Duration timeout, String kind,
                       String name, Outcome.Failure timedOut) {
        slot.timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> callEnded(runId, new Input.CallEnded(taskId, lane, attempt, timedOut)));
        long startedNanos = System.nanoTime();
        slot.call.outcome().whenComplete((outcome, error) -> {
            metrics.recordCall(kind, name, System.nanoTime() - startedNanos, outcome == null || outcome instanceof Outcome.Failure);
            Outcome checked = outcome != null ? writable(outcome)
                    : new Outcome.Failure(kind.equals("tool") ? "tool_error" : "internal_error", String.valueOf(error), true, null);
            context.runOnContext(v -> callEnded(runId, new Input.CallEnded(taskId, lane, attempt, checked)));
        });
    }

    /**
     * Starts a call once the events that lead to it (the run's creation, the attempt's start)
     * are durable, and only if its slot still holds then (it was not cancelled, timed out or
     * dropped with a rebuilt run). This is Temporal's rule: no side effect begins before its
     * scheduling is durable. Otherwise a crash, or a failed write, could forget a call that was
     * made, and a client retrying its POST would see the same work done again under a new key.
     */
    private void whenStartIsDurable(String runId, String taskId, CallSlots.Slot slot, Runnable start) {
        outbox.onDurable(runId, error -> {
            if (error != null || closed || slots.get(runId, taskId) != slot) return;
            start.run();
        });
    }

    /**
     * A success whose output Jackson cannot write becomes a failed attempt, here on the call's
     * thread, before any event carries it: otherwise the journal would refuse the event and the
     * run would be rebuilt and call the tool again, forever.
     */
    static Outcome writable(Outcome outcome) {
        if (!(outcome instanceof Outcome.Success success) || success.output() == null) return outcome;
        try {
            Json.MAPPER.writeValueAsBytes(success.output());
            return outcome;
        } catch (Exception e) {
            return new Outcome.Failure("output_invalid", "the output cannot be written as JSON: " + e.getMessage(), false, null);
        }
    }

    /** A call ended (or timed out). Late answers of an attempt already given up on are ignored. */
    private void callEnded(String runId, Input.CallEnded ended) {
        // Calls interrupted by a shutdown stay RUNNING in the journal and run again, with the same key, at the next start.
        if (closed) return;
        CallSlots.Slot slot = slots.get(runId, ended.taskId());
        if (slot == null || slot.attempt != ended.attempt() || slot.lane != ended.lane()) return;
        slots.release(runId, ended.taskId(), slot);
        if (slot.timer >= 0) vertx.cancelTimer(slot.timer);
        if (ended.outcome() instanceof Outcome.Failure failure && (failure.code().equals("timeout") || failure.code().equals("agent_timeout"))
                && slot.call != null) {
            slot.call.interrupt("it timed out");
        }
        RunState run = runs.get(runId);
        if (run != null) decide(run, ended);
        startWaiting();
    }

    /** A model or tool call of a running agent loop: handed on if its attempt is still the one holding the slot. */
    private void agentStep(String runId, Input.AgentStep step) {
        if (closed) return;
        CallSlots.Slot slot = slots.get(runId, step.taskId());
        if (slot == null || slot.attempt != step.attempt() || slot.lane != step.lane()) return; // timed out or cancelled meanwhile
        RunState run = runs.get(runId);
        if (run != null) decide(run, step);
    }

    // ------------------------------------------------------------------ timers

    private void arm(String runId, Command.ArmTimer timer) {
        TimerKey key = new TimerKey(runId, timer);
        if (!timers.add(key)) return;
        long delay = Math.max(1, Duration.between(now(), timer.at()).toMillis());
        vertx.setTimer(delay, id -> {
            timers.remove(key);
            if (closed) return;
            withRun(runId, run -> {
                decide(run, new Input.TimerDue(timer.taskId(), timer.kind(), timer.at()));
                return Future.succeededFuture();
            }).onFailure(this::logCallbackFailure);
        });
    }

    private void logCallbackFailure(Throwable error) {
        LOG.error("a timer or a planner's answer could not be handled", error);
    }

    // ------------------------------------------------------------------ recovery

    private Future<Void> recover() {
        long began = System.nanoTime();
        return readJournal(() -> {
            List<RunState> recovered = new ArrayList<>();
            RunState[] current = new RunState[1];
            journal.forEachEventOfUnfinishedRuns(event -> {
                if (current[0] == null || !current[0].id().equals(event.runId())) {
                    current[0] = new RunState(event.runId());
                    recovered.add(current[0]);
                }
                if (setAside.containsKey(event.runId())) return;
                try {
                    current[0].apply(event);
                } catch (RuntimeException e) {
                    setAside(event.runId(), "event " + event.seq() + " (" + event.data().type() + ") cannot be applied: " + e.getMessage());
                }
            });
            return recovered;
        }).compose(recovered -> onContext(() -> {
            int resumed = 0;
            for (RunState run : recovered) {
                if (setAside.containsKey(run.id())) continue;
                runs.put(run);
                try {
                    resume(run);
                    resumed++;
                } catch (RuntimeException e) {
                    // What the run decided before the failure is written; nothing more happens to it until a restart.
                    setAside(run.id(), "it cannot be resumed: " + e);
                    LOG.error("run {} failed to resume", run.id(), e);
                }
                runs.reweigh(run);
            }
            if (!recovered.isEmpty()) {
                LOG.info("recovered {} unfinished runs from the journal in {} ms{}", resumed, (System.nanoTime() - began) / 1_000_000,
                        setAside.isEmpty() ? "" : "; " + setAside.size() + " set aside (see above)");
            }
            return null;
        }));
    }

    /** Picks a run replayed from the journal up where the journal left it. */
    private void resume(RunState run) {
        carryOut(run, decideSafely(run, () -> decider.owed(run, facts(run.id()))));
    }

    /**
     * Sets a run aside: its journal cannot be replayed (a gap in its seqs, an event its state does
     * not allow) or it failed to resume. One such run must not keep the server from starting and
     * serving every other run; it is reported in the log, {@code /metrics} and {@link #setAsideRuns()},
     * and requests for it answer {@code run_unreadable}.
     */
    private void setAside(String runId, String reason) {
        setAside.put(runId, reason);
        runs.drop(runId);
        LOG.error("run {} is set aside and will not run: {}. The server starts and serves the other runs;"
                + " the run's events stay in the journal untouched.", runId, reason);
    }

    private BatonException unreadable(String runId, RuntimeException cause) {
        String reason = setAside.getOrDefault(runId, String.valueOf(cause.getMessage()));
        return new BatonException(Kind.CONFLICT, "run_unreadable", "run '" + runId + "' cannot be rebuilt from its journal ("
                + reason + "); it was set aside and does not run. Its events are kept; see the server log.");
    }

    /**
     * A write of the run failed: what memory holds ran ahead of the journal, and the journal is
     * the truth. The run is dropped with everything decided on it since (never written, so its
     * seqs have no gap), its calls stop holding slots, and it is loaded again from what is
     * durable and carried on from there as recovery would: a call in flight is made again with
     * its key. While the journal cannot be read (the database is away), loading is retried with
     * backoff; requests for the run meanwhile answer 503.
     */
    private void rebuild(String runId, int lostEvents, Throwable error) {
        LOG.error("the journal failed to write {} events of run {}; the run is rebuilt from the journal and goes on from"
                + " what is durable: {}", lostEvents, runId, error.toString());
        metrics.runRebuilds.increment();
        runs.drop(runId);
        slots.dropRun(runId, "its run is rebuilt from the journal after a failed write");
        toResume.add(runId);
        toReload.add(runId);
        reloadDropped(0);
        startWaiting();
    }

    /**
     * Loads the runs dropped after failed writes again, one at a time. While the journal does not
     * answer (its database is away), one run's load is the probe for all: it is tried again with
     * backoff, so a hundred dropped runs do not keep the read threads waiting for connections.
     */
    private void reloadDropped(int tries) {
        if (reloading || toReload.isEmpty() || closed) return;
        reloading = true;
        String runId = toReload.iterator().next();
        load(runId).onComplete(loaded -> {
            reloading = false;
            if (closed) return;
            Throwable error = loaded.cause();
            if (error != null && !(error instanceof BatonException e && e.kind() == Kind.NOT_FOUND)
                    && !(error instanceof BatonException u && "run_unreadable".equals(u.code()))) {
                long delay = Math.min(5_000, 100L << Math.min(tries, 6));
                if (tries == 0) LOG.warn("run {} cannot be read from the journal yet ({}); trying again every few seconds",
                        runId, error.toString());
                vertx.setTimer(delay, t -> reloadDropped(tries + 1));
                return;
            }
            toReload.remove(runId);
            if (error != null) {
                // Not one event of it is durable (its creator heard a 503), or it cannot be replayed.
                toResume.remove(runId);
                List<Promise<ObjectNode>> waiters = finishWaiters.remove(runId);
                if (waiters != null) waiters.forEach(p -> p.tryFail(error));
            }
            reloadDropped(0);
        });
    }

    // ------------------------------------------------------------------ runs in memory

    private boolean pinned(RunState run) {
        return outbox.pending(run.id())
                || slots.inFlight(run.id()) > 0
                || run.count(TaskStatus.READY) > 0
                || run.status() == RunStatus.PLANNING || run.status() == RunStatus.REPLANNING
                || resultCalls.contains(run.id());
    }

    /** Runs {@code body} with the run on the orchestrator's context, loading it from the journal if it is not in memory. */
    private <T> Future<T> withRun(String runId, Function<RunState, Future<T>> body) {
        return onContext(() -> load(runId).compose(run -> {
            try {
                return body.apply(run);
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        })).compose(Function.identity());
    }

    private Future<RunState> load(String runId) {
        RunState cached = runs.get(runId);
        if (cached != null) return Future.succeededFuture(cached);
        Future<RunState> pending = loading.get(runId);
        if (pending != null) return pending;
        Future<RunState> loaded = readJournal(() -> journal.events(runId, 0)).compose(events -> onContext(() -> {
            loading.remove(runId);
            RunState present = runs.get(runId);
            if (present != null) return present;
            if (events.isEmpty()) throw BatonException.notFound("run", runId);
            RunState run;
            try {
                run = RunState.replay(runId, events);
            } catch (RuntimeException e) {
                throw unreadable(runId, e);
            }
            runs.put(run);
            // A run rebuilt after a failed write goes on from what is durable, once, whoever loads it first.
            if (toResume.remove(runId)) resume(run);
            return run;
        }));
        loading.put(runId, loaded);
        loaded.onFailure(e -> context.runOnContext(v -> loading.remove(runId)));
        return loaded;
    }

    private <T> Future<T> readJournal(java.util.concurrent.Callable<T> read) {
        return reads.executeBlocking(read, false);
    }

    /**
     * Runs {@code body}, which must not touch run state, on a worker: checking a plan reads only the
     * validator, and a 25,000-task plan takes seconds that every run on the context would wait for.
     */
    private <T> Future<T> offContext(java.util.concurrent.Callable<T> body) {
        if (closed) return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "shutting_down", "the server is shutting down"));
        return checks.executeBlocking(body, false);
    }

    /** Runs {@code body} on the orchestrator's context; its exceptions fail the future. */
    private <T> Future<T> onContext(java.util.concurrent.Callable<T> body) {
        if (closed) return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "shutting_down", "the server is shutting down"));
        return ContextCalls.call(context, body);
    }

    private ObjectNode runJson(RunState run) {
        return RunJson.run(run, decider::gated);
    }

    private Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
