package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.baton.json.Json;
import dev.baton.plan.ApprovalSpec;
import dev.baton.plan.Catalog;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.References;
import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.ContextCalls;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.agent.AgentLoop;
import dev.baton.runtime.agent.AgentResult;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.agent.ModelProvider;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.runtime.run.Compensations;
import dev.baton.runtime.run.Joins;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.SideCall;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskState;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Sees runs through: enforces dependencies, gates tasks on approvals, retries what fails,
 * keeps durable timers, and recovers every unfinished run from the journal at start.
 *
 * <h2>How it works</h2>
 * Every change is a {@link RunEvent}: it is applied to the in-memory {@link RunState} at once
 * and queued for the journal. Nobody is told of a change before the journal has committed
 * it: answers to requests and events on the bus wait for the commit. The scheduler itself
 * does not wait (see {@link #onTaskFinished}). Events queued during one turn of the event
 * loop are appended together, and the journal group-commits whatever has queued meanwhile.
 *
 * <h2>Threads</h2>
 * All run state lives on one Vert.x context; every public method hops onto it and returns a
 * {@link Future}. Tool calls block, so they run on {@link TaskExecutor}'s threads and report
 * back to the context. Journal reads run on a small worker pool; submitted plans are checked on
 * another before their run reaches the context (validating 25,000 tasks takes seconds).
 *
 * <h2>Agents</h2>
 * An agent task runs an {@link AgentLoop} on the same threads as tool calls, with the model
 * {@link OrchestratorOptions#models()} gives and the role {@link OrchestratorOptions#agents()}
 * names. Each model and tool call of the loop comes back to the context as an event
 * ({@code AgentModelCalled}, {@code AgentToolCalled}) and is recorded only while the attempt is
 * still the current one. When the agent wants a tool whose descriptor requires approval, the
 * loop stops and the task waits in WAITING_APPROVAL with the proposed tool and arguments; once
 * approved (perhaps with edited arguments) the same attempt resumes from its recorded
 * transcript, running the approved call first. A rejection ends the task as REJECTED, like a
 * rejected tool task: the model is not asked for a way around the person's "no". Without a
 * model, plans with agent tasks are refused and such tasks fail with {@code model_not_configured}.
 *
 * <h2>Replanning</h2>
 * When a task fails for good (FAILED; REJECTED is final) and the run's planner
 * {@linkplain GoalPlanner#canReplan can replan} and the run has replans left
 * ({@link OrchestratorOptions#maxReplans()}, counted from its {@code ReplanStarted} events so
 * restarts do not reset it), its dependants are not skipped: {@code ReplanStarted} makes the run
 * REPLANNING, in which no task starts; once no call of the run is in flight the planner is asked
 * off the event loop. A valid new plan that keeps every succeeded task unchanged cancels the
 * unfinished rest of the old one and is accepted as the next version (RunState keeps the
 * succeeded tasks' state, so they do not run again). A failed replan ({@code ReplanFailed})
 * returns the run to RUNNING with its old plan, so it ends as it would have without a planner,
 * with the reason in its error. A user's message ({@link #message}) starts the same replan. A
 * crash while REPLANNING replans again at recovery; calls it cut off are cancelled by the new
 * plan, or run again if the replan fails.
 *
 * <h2>The answer</h2>
 * With a {@link OrchestratorOptions#resultWriter()}, a run whose tasks all succeeded stays
 * RUNNING for one more model call that writes {@code result.answer}; a failed call leaves
 * {@code result.answerError} instead, and the run still succeeds. A crash meanwhile writes it again.
 *
 * <h2>Flow</h2>
 * A PENDING task goes ahead as {@link Joins} decides (join all or any, then its {@code when}
 * condition); a skip is journaled with its reason. A task that fails for good runs its plan's
 * {@code fallback} first, a tool call or an agent task (the task is RUNNING again; the fallback's
 * output becomes the task's); {@code continueOnError} keeps a failed task from failing (or replanning) the run.
 * A run that fails or is cancelled with succeeded tasks that declare {@code compensate} is
 * COMPENSATING: their compensations run one at a time, newest success first (see
 * {@link Compensations}), each journaled, retried with its tool's policy and keyed
 * {@code runId/taskId/compensate}; only then does the run end FAILED or CANCELLED. A
 * compensation that fails for good leaves the run COMPENSATION_FAILED until
 * {@link #retryCompensation} is called. After a crash an interrupted compensation runs again
 * with the same key; finished ones do not.
 *
 * <h2>Memory</h2>
 * Runs are held in a Caffeine cache. A run with work in flight weighs 0 and is never
 * evicted; a run that only waits (for a person, a long timer or a retry) weighs 1, and at
 * most {@link OrchestratorOptions#parkedRunsInMemory()} of those stay in memory. An evicted
 * run is rebuilt from its events when something next happens to it.
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
    private final PlanValidator validator;
    private final TaskExecutor executor;
    private final WorkerExecutor reads;
    /** Planners block on model calls for seconds: they get their own threads. */
    private final WorkerExecutor planning;
    /** Readiness probes of the journal, apart from the reads so that a backlog cannot hold them up. */
    private final WorkerExecutor probes;
    /** Plans are checked here, off the context (see {@link #offContext}). */
    private final WorkerExecutor checks;
    private final OrchestratorMetrics metrics;

    private final Cache<String, RunState> runs;
    private final Map<String, Future<RunState>> loading = new HashMap<>();
    /** The journal writes of each run with events not yet durable: such a run must not leave memory. */
    private final Map<String, RunWrites> writes = new HashMap<>();
    /** Runs with queued events to hand to the journal at the next {@link #flush}. */
    private final Set<String> toFlush = new java.util.LinkedHashSet<>();
    /** Runs whose append failed: the next load from the journal picks them up where it left them ({@link #resume}). */
    private final Set<String> toResume = new java.util.HashSet<>();
    /** Runs dropped after a failed write, waiting to be loaded again ({@link #reloadDropped}). */
    private final Set<String> toReload = new java.util.LinkedHashSet<>();
    private boolean reloading;
    /** Runs the journal holds but that could not be rebuilt at start, with why: set aside, the others run. */
    private final Map<String, String> setAside = new java.util.concurrent.ConcurrentHashMap<>();
    /** Idempotency keys of runs created but not yet durable. */
    private final Map<String, String> pendingKeys = new HashMap<>();
    private final Map<String, InFlight> inFlight = new HashMap<>();
    private final Map<String, Integer> inFlightByRun = new HashMap<>();
    /** Tasks ready to call a tool, waiting for a free slot. */
    private final Deque<Queued> readyQueue = new ArrayDeque<>();
    /** Tasks whose dependencies changed, to look at in {@link #advance}; a queue so that long chains do not recurse. */
    private final Deque<Candidate> advanceQueue = new ArrayDeque<>();
    /** Runs {@link #advance} touched, to check for completion once the queue is empty. */
    private final Set<RunState> advancedRuns = new java.util.LinkedHashSet<>();
    private boolean advancing;
    /** Runs whose planner is being asked for a new plan right now (a crash forgets this: recovery asks again). */
    private final Set<String> replanCalls = new java.util.HashSet<>();
    /** Runs whose final answer is being written right now. */
    private final Set<String> resultCalls = new java.util.HashSet<>();
    /** Callers of {@link #whenFinished}, by run. */
    private final Map<String, List<Promise<ObjectNode>>> finishWaiters = new HashMap<>();

    private boolean flushScheduled;
    /** Completed by {@link #afterWrite} once no run has events left to write, while closing. */
    private CompletableFuture<Void> drained;
    private volatile boolean closed;

    /** Something to do once the run's events queued before it are durable (error is null) or failed. */
    private interface Effect {
        void run(Throwable error);
    }

    /**
     * The journal writes of one run. At most one append per run is in flight: events emitted
     * meanwhile queue behind it, so when an append fails nothing emitted on the state it left
     * stale reaches the journal (a gap in a run's seqs would make it unreadable), and one run's
     * unwritable event never fails another run's.
     */
    private static final class RunWrites {
        List<RunEvent> queued = new ArrayList<>();
        /** Due once {@link #queued} is durable. */
        List<Effect> queuedEffects = new ArrayList<>();
        /** Due once the append in flight is durable; null when none is. */
        List<Effect> writingEffects;
    }

    /**
     * A call holding one of the {@link OrchestratorOptions#maxConcurrentCalls()} slots. It starts
     * ({@code call} set) only once the events that lead to it are durable.
     */
    private static final class InFlight {
        final int attempt;
        TaskExecutor.Call call;
        long timer = -1;

        InFlight(int attempt) {
            this.attempt = attempt;
        }

        int attempt() {
            return attempt;
        }

        /** Stops the timer and interrupts the call, if they were started; {@code why} is for the log. */
        void stop(Vertx vertx, String why) {
            if (timer >= 0) vertx.cancelTimer(timer);
            if (call != null) call.interrupt(why);
        }
    }

    private record Candidate(RunState run, String taskId) {
    }

    /** A task waiting for a slot; {@code rerunAttempt} > 0 for a call interrupted by a crash. */
    private record Queued(String runId, String taskId, int rerunAttempt) {
    }

    private Orchestrator(Vertx vertx, Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.journal = journal;
        this.tools = tools;
        this.options = options;
        this.metrics = new OrchestratorMetrics(options.callMetrics());
        this.validator = new PlanValidator(RuntimeCatalog.of(tools, options.agents(), options.models() != null), options.planLimits());
        this.executor = new TaskExecutor(options.maxConcurrentCalls(), metrics);
        this.reads = vertx.createSharedWorkerExecutor("baton-journal-read", 4);
        this.planning = vertx.createSharedWorkerExecutor("baton-planner", 4);
        this.probes = vertx.createSharedWorkerExecutor("baton-journal-probe", 1);
        this.checks = vertx.createSharedWorkerExecutor("baton-plan-check", Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.runs = Caffeine.newBuilder()
                .maximumWeight(options.parkedRunsInMemory())
                .weigher((String id, RunState run) -> pinned(run) ? 0 : 1)
                .executor(Runnable::run) // evict on the caller's (the context's) thread
                .build();
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
            return request.plan() == null ? null : checked(request.plan());
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
            checked(plan);
            return null;
        });
    }

    /**
     * The run as the API shows it: as its events have left it, answered once all of them are
     * durable. Memory runs a little ahead of the journal; showing that would tell a client of a
     * change (a task SUCCEEDED) that a crash could still undo (the task runs again).
     */
    public Future<ObjectNode> run(String runId) {
        return withRun(runId, run -> whenDurable(run, () -> runJson(run)));
    }

    /**
     * Completes with the run as the API shows it once it has finished (SUCCEEDED, FAILED or
     * CANCELLED) and that is durable; at once if it already has. For embedding and tests.
     */
    public Future<ObjectNode> whenFinished(String runId) {
        return withRun(runId, run -> {
            if (run.status().finished() && !writes.containsKey(runId)) return Future.succeededFuture(runJson(run));
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
            emit(run, call);
            return Future.succeededFuture();
        }).onFailure(e -> LOG.debug("model call of run {} not recorded: {}", runId, e.toString()));
    }

    /** Cancels a run that has not finished; its unfinished tasks become CANCELLED. */
    public Future<ObjectNode> cancel(String runId, String by) {
        return withRun(runId, run -> {
            if (run.status().finished()) {
                throw BatonException.conflict("run '" + runId + "' has already finished (" + run.status() + ") and cannot be cancelled");
            }
            if (run.status() == RunStatus.COMPENSATING) {
                throw BatonException.conflict("run '" + runId + "' is already unwinding (COMPENSATING) and ends CANCELLED or FAILED once undone");
            }
            for (TaskState task : run.tasks()) {
                if (task.status().finished()) continue;
                InFlight call = inFlight.remove(key(runId, task.id()));
                if (call != null) {
                    call.stop(vertx, "its run was cancelled");
                    inFlightByRun.merge(runId, -1, Integer::sum);
                }
                emit(run, new EventData.TaskCancelled(task.id()));
            }
            unwind(run, new EventData.RunUnwinding("CANCELLED", null, by, null));
            drainReadyQueue();
            return whenDurable(run, () -> runJson(run));
        });
    }

    /**
     * Decides a task's approval. Completes only once the decision is durable; fails with
     * CONFLICT if the task is not waiting (also when a second decision or the expiry won the race).
     */
    public Future<ObjectNode> decide(ApprovalDecision decision) {
        return withRun(decision.runId(), run -> {
            TaskState task = requireTask(run, decision.taskId());
            if (task.status() != TaskStatus.WAITING_APPROVAL) {
                throw BatonException.conflict("task '" + task.id() + "' is not waiting for approval (it is " + task.status() + ")");
            }
            if (task.approval().escalated() && !decision.admin()) {
                throw new BatonException(Kind.FORBIDDEN, "forbidden", "the approval of task '" + task.id()
                        + "' expired and was escalated: only an admin may decide it now");
            }
            JsonNode args = decision.args();
            if (args != null) {
                if (!decision.approve()) {
                    throw new BatonException(Kind.INVALID, "bad_request", "field 'args' is only allowed when approving");
                }
                checkArgs(task, args);
            }
            emit(run, new EventData.ApprovalDecided(task.id(), decision.approve() ? "approve" : "reject",
                    decision.by(), decision.comment(), args));
            metrics.approvalsDecided.increment();
            Future<ObjectNode> answer = whenDurable(run, () -> RunJson.task(task, gated(task)));
            if (decision.approve()) onReady(run, task); else onTaskFinished(run, task.id());
            return answer;
        });
    }

    /**
     * Decides a proposed plan. Approving (optionally with an edited plan, validated first)
     * starts the run; rejecting cancels it. Fails with CONFLICT unless the run is
     * AWAITING_PLAN_APPROVAL. Completes once the decision is durable.
     */
    public Future<ObjectNode> decidePlan(String runId, boolean approve, String by, String comment, JsonNode editedPlan) {
        return withRun(runId, run -> {
            if (run.status() != RunStatus.AWAITING_PLAN_APPROVAL) {
                throw BatonException.conflict("run '" + runId + "' is " + run.status() + ", not AWAITING_PLAN_APPROVAL");
            }
            if (!approve) {
                if (editedPlan != null) throw new BatonException(Kind.INVALID, "bad_request", "field 'plan' is only allowed when approving");
                for (TaskState task : run.tasks()) emit(run, new EventData.TaskCancelled(task.id()));
                emit(run, new EventData.RunCancelled(by, "plan rejected" + (comment == null ? "" : ": " + comment)));
                metrics.runsFinished.get(RunStatus.CANCELLED).increment();
                return whenDurable(run, () -> runJson(run));
            }
            CheckedPlan plan = editedPlan == null ? new CheckedPlan(run.plan(), PlanWriter.toJson(run.plan())) : checked(editedPlan);
            emit(run, new EventData.PlanAccepted(run.planVersion() + (editedPlan == null ? 0 : 1), plan.json()));
            advance(run, plan.plan().byId().keySet());
            return whenDurable(run, () -> runJson(run));
        });
    }

    /** Runs a FAILED task again (with a fresh attempt budget), reopening its run if it had failed. */
    public Future<ObjectNode> retryTask(String runId, String taskId, String by) {
        return withRun(runId, run -> {
            TaskState task = requireTask(run, taskId);
            if (task.status() != TaskStatus.FAILED) {
                throw BatonException.conflict("task '" + taskId + "' is " + task.status() + "; only a FAILED task can be retried");
            }
            if (run.status() == RunStatus.CANCELLED) {
                throw BatonException.conflict("run '" + runId + "' was cancelled; its tasks cannot be retried");
            }
            if (run.unwinding() != null) {
                throw BatonException.conflict("run '" + runId + "' is " + run.status() + " after unwinding its completed tasks;"
                        + " its tasks cannot be retried (start a new run)");
            }
            if (run.status() == RunStatus.REPLANNING) {
                throw BatonException.conflict("run '" + runId + "' is REPLANNING; its failed tasks are being planned around");
            }
            if (run.status().finished()) emit(run, new EventData.RunReopened(by, "retry of task '" + taskId + "'"));
            emit(run, new EventData.TaskRetryRequested(taskId, by));
            advance(run, List.of(taskId));
            return whenDurable(run, () -> RunJson.task(task, gated(task)));
        });
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
        return withRun(runId, run -> {
            if (text == null || text.isBlank()) throw new BatonException(Kind.INVALID, "bad_request", "field 'text' is required");
            if (options.planner() == null || !options.planner().canReplan(run.options())) {
                throw new BatonException(Kind.UNPROCESSABLE, "model_not_configured", "follow-up messages are read by a planner,"
                        + " which needs a model: set OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL");
            }
            if (run.status().finished()) {
                throw BatonException.conflict("run '" + runId + "' has already finished (" + run.status() + "); start a new run");
            }
            if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.REPLANNING) {
                throw BatonException.conflict("run '" + runId + "' is " + run.status() + " and has no accepted plan yet;"
                        + " send the message once it is RUNNING");
            }
            emit(run, new EventData.UserMessage(text, by));
            if (run.status() == RunStatus.RUNNING) {
                emit(run, new EventData.ReplanStarted("message", "a message from " + by, List.of()));
                metrics.replans.increment();
                maybeReplan(run);
            }
            return whenDurable(run, () -> runJson(run));
        });
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
        }, false).timeout(2, java.util.concurrent.TimeUnit.SECONDS);
    }

    public OrchestratorOptions options() {
        return options;
    }

    public OrchestratorMetrics metrics() {
        metrics.runsInMemory = runs.estimatedSize();
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

    /**
     * Stops taking work, writes what is queued, interrupts running calls (they run again,
     * with the same idempotency key, after the next start) and closes the journal.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        context.runOnContext(v -> {
            drained = flushed;
            flush();
            if (writes.isEmpty()) flushed.complete(null);
        });
        try {
            // A run's next append goes out once its previous one is written: wait for the chains to drain.
            flushed.get(5, java.util.concurrent.TimeUnit.SECONDS);
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

    // ------------------------------------------------------------------ creating runs

    /** A plan that passed the validator, and the JSON its events carry (written once, for both). */
    private record CheckedPlan(Plan plan, JsonNode json) {
    }

    private CheckedPlan checked(JsonNode planJson) {
        List<PlanProblem> problems;
        Plan plan = null;
        JsonNode written = null;
        try {
            plan = PlanParser.parse(planJson);
            written = PlanWriter.toJson(plan);
            problems = validator.validate(plan, written);
        } catch (PlanException e) {
            problems = e.problems();
        }
        if (!problems.isEmpty()) {
            ArrayNode list = Json.array();
            for (PlanProblem p : problems) {
                ObjectNode item = list.addObject();
                item.put("taskId", p.taskId());
                item.put("field", p.field());
                item.put("message", p.message());
            }
            ObjectNode details = Json.object();
            details.set("problems", list);
            throw new BatonException(Kind.INVALID, "plan_invalid", new PlanException(problems).getMessage(), details);
        }
        return new CheckedPlan(plan, written);
    }

    private Future<Submitted> create(RunRequest request, CheckedPlan plan) {
        Instant now = now();
        String id = Ids.run(now.toEpochMilli());
        RunState run = new RunState(id);
        runs.put(id, run);
        String key = request.idempotencyKey();
        if (key != null) pendingKeys.put(key, id);
        emit(run, new EventData.RunCreated(request.goal(), request.input() == null ? Json.object() : request.input(),
                request.options(), key, request.requestHash()));
        metrics.runsStarted.increment();
        if (plan == null) {
            startPlanning(run);
        } else if (planApprovalRequested(run)) {
            emit(run, new EventData.PlanProposed(1, planJson(run, plan), "client", true));
        } else {
            emit(run, new EventData.PlanAccepted(1, planJson(run, plan)));
            advance(run, plan.plan().byId().keySet());
        }
        if (key != null) onDurable(run, error -> pendingKeys.remove(key));
        // The caller hears of the run once it is durable, and sees it as these events left it.
        return whenDurable(run, () -> new Submitted(id, runJson(run), false));
    }

    /** The plan's JSON for an event about to be emitted; the run takes the parsed plan as it is (see {@link RunState#knowPlan}). */
    private static JsonNode planJson(RunState run, CheckedPlan plan) {
        run.knowPlan(plan.json(), plan.plan());
        return plan.json();
    }

    private Future<Submitted> replay(String runId, RunRequest request) {
        return withRun(runId, run -> {
            if (request.requestHash() != null && run.requestHash() != null && !request.requestHash().equals(run.requestHash())) {
                throw new BatonException(Kind.UNPROCESSABLE, "idempotency_key_reused", "the Idempotency-Key '"
                        + request.idempotencyKey() + "' was already used for a different request (run '" + runId + "')");
            }
            return whenDurable(run, () -> new Submitted(runId, runJson(run), true));
        });
    }

    // ------------------------------------------------------------------ planning

    /** Asks the goal planner for a plan, off the event loop; the run stays PLANNING meanwhile. */
    private void startPlanning(RunState run) {
        GoalPlanner.PlanningRequest request = new GoalPlanner.PlanningRequest(run.id(), run.goal(),
                run.input() == null ? Json.object() : run.input(), run.options());
        String runId = run.id();
        planning.<GoalPlanner.ProposedPlan>executeBlocking(() -> options.planner().plan(request), false)
                .onComplete(result -> withRun(runId, planned -> {
                    onPlanned(planned, result.result(), result.cause());
                    return Future.succeededFuture();
                }).onFailure(this::logTimerFailure));
    }

    private void onPlanned(RunState run, GoalPlanner.ProposedPlan proposed, Throwable error) {
        if (run.status() != RunStatus.PLANNING) return; // cancelled while planning
        Failure failure = null;
        CheckedPlan plan = null;
        if (error instanceof PlanningException e) {
            failure = new Failure(e.code(), e.getMessage());
        } else if (error != null) {
            LOG.warn("the planner failed for run {}", run.id(), error);
            failure = new Failure("planning_failed", "the planner failed: " + error);
        } else {
            try {
                plan = checked(proposed.plan()); // a planner's output is untrusted, like any posted plan
            } catch (BatonException e) {
                failure = new Failure("plan_invalid", "the planner's plan is invalid: " + e.getMessage());
            }
        }
        if (failure != null) {
            emit(run, new EventData.RunFailed(failure));
            metrics.runsFinished.get(RunStatus.FAILED).increment();
            return;
        }
        boolean approval = planApprovalRequested(run);
        emit(run, new EventData.PlanProposed(1, plan.json(), proposed.source(), approval));
        if (!approval) {
            emit(run, new EventData.PlanAccepted(1, plan.json()));
            advance(run, plan.plan().byId().keySet());
        }
    }

    private static boolean planApprovalRequested(RunState run) {
        return run.options() != null && run.options().path("planApproval").asBoolean(false);
    }

    // ------------------------------------------------------------------ the scheduler

    /**
     * Moves PENDING tasks among {@code candidates} forward: a task whose dependencies all
     * succeeded becomes READY; one with a dependency that failed, was rejected, skipped or
     * cancelled is SKIPPED, and so are its dependants in turn.
     */
    private void advance(RunState run, Collection<String> candidates) {
        for (String taskId : candidates) advanceQueue.add(new Candidate(run, taskId));
        advancedRuns.add(run);
        // Starting a task can finish it at once (a zero-length wait, an unknown tool), which
        // advances its dependants in turn: queue instead of recursing, or a long chain would
        // overflow the stack.
        if (advancing) return;
        advancing = true;
        try {
            Candidate next;
            while ((next = advanceQueue.poll()) != null) step(next.run(), next.taskId());
            while (!advancedRuns.isEmpty()) {
                RunState touched = advancedRuns.iterator().next();
                advancedRuns.remove(touched);
                checkCompletion(touched);
            }
        } finally {
            advancing = false;
        }
    }

    private void step(RunState run, String taskId) {
        if (run.status() != RunStatus.RUNNING) return;
        TaskState task = run.task(taskId);
        if (task == null || task.status() != TaskStatus.PENDING) return;
        Joins.Decision decision = Joins.decide(run, task);
        if (decision instanceof Joins.Skip skip) {
            emit(run, new EventData.TaskSkipped(task.id(), skip.reason()));
            for (String dependant : run.dependantsOf(task.id())) advanceQueue.add(new Candidate(run, dependant));
        } else if (decision instanceof Joins.Ready) {
            emit(run, new EventData.TaskReady(task.id()));
            onReady(run, task);
        }
    }

    /** A READY task: ask for approval if it is gated and not yet approved, else start it when a slot is free. */
    private void onReady(RunState run, TaskState task) {
        if (task.status() != TaskStatus.READY || run.status() != RunStatus.RUNNING) return;
        boolean approved = task.approval() != null && "APPROVED".equals(task.approval().status());
        String policyGate = approved || gated(task) ? null : policyGate(run, task);
        if ((gated(task) || policyGate != null) && !approved) {
            requestApproval(run, task, null, null, policyGate);
        } else if (!(task.spec().action() instanceof TaskAction.Wait) && inFlight.size() >= options.maxConcurrentCalls()) {
            readyQueue.add(new Queued(run.id(), task.id(), 0));
            metrics.readyQueueDepth = readyQueue.size();
        } else {
            start(run, task);
        }
    }

    private void start(RunState run, TaskState task) {
        Instant now = now();
        int attempt = task.totalAttempts() + 1;
        String idempotencyKey = run.id() + "/" + task.id();
        metrics.taskAttempts.increment();
        TaskAction action = task.spec().action();
        if (action instanceof TaskAction.Wait wait) {
            Instant fireAt = now.plus(wait.duration());
            emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, null, fireAt));
            if (fireAt.isAfter(now)) {
                armTimer(fireAt, () -> onWaitOver(run.id(), task.id(), fireAt));
            } else {
                succeed(run, task, attempt, null);
            }
        } else if (action instanceof TaskAction.ToolCall call) {
            Optional<Tool> tool = tools.find(call.tool());
            JsonNode args = task.approvedArgs() != null ? task.approvedArgs() : resolvedArgs(run, call);
            if (tool.isEmpty()) {
                emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, args, now));
                fail(run, task, attempt, new Outcome.Failure("unknown_tool", "no tool named '" + call.tool() + "' is registered", false, null));
                return;
            }
            ToolDescriptor descriptor = tool.get().descriptor();
            Duration timeout = PlanValidator.effectiveTimeout(task.spec(), descriptor, options.defaultToolTimeout());
            Instant deadline = now.plus(timeout);
            emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, args, deadline));
            List<SchemaViolation> violations = JsonSchemaValidator.validate(descriptor.parameters(), args);
            if (!violations.isEmpty()) {
                fail(run, task, attempt, new Outcome.Failure("args_invalid", "the resolved arguments break the schema of '"
                        + call.tool() + "': " + describe(violations), false, null));
                return;
            }
            dispatch(run, task, tool.get(), args, attempt, idempotencyKey, timeout, deadline);
        } else if (action instanceof TaskAction.AgentCall call) {
            startAgent(run, task, call);
        } else {
            emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, null, now));
            fail(run, task, attempt, new Outcome.Failure("internal_error", "unknown kind of task", false, null));
        }
    }

    // ------------------------------------------------------------------ agent tasks

    /**
     * Starts an agent task's loop, or resumes it. A task READY after a person approved the gated
     * call its agent proposed continues the same attempt: the loop rebuilds the conversation from
     * the recorded transcript and runs the approved call first. Otherwise a new attempt starts a
     * new conversation.
     */
    private void startAgent(RunState run, TaskState task, TaskAction.AgentCall call) {
        Instant now = now();
        String idempotencyKey = run.id() + "/" + task.id();
        boolean resume = task.approvalTool() != null && task.approval() != null && "APPROVED".equals(task.approval().status())
                && task.totalAttempts() > 0;
        int attempt = resume ? task.totalAttempts() : task.totalAttempts() + 1;
        AgentLoop.ApprovedCall approved = null;
        if (resume) {
            String callId = pendingAgentCall(task, attempt);
            if (callId != null) approved = new AgentLoop.ApprovedCall(callId, task.args());
        }
        if (options.models() == null) {
            emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, null, now));
            fail(run, task, attempt, new Outcome.Failure("model_not_configured",
                    "agent tasks need a model: set OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL", false, null));
            return;
        }
        Optional<AgentSpec> agent = options.agents().find(call.agent());
        if (agent.isEmpty()) {
            emit(run, new EventData.TaskStarted(task.id(), attempt, idempotencyKey, null, now));
            fail(run, task, attempt, new Outcome.Failure("unknown_agent", "no agent named '" + call.agent() + "' is registered", false, null));
            return;
        }
        runAgent(run, task, call, agent.get(), attempt, approved);
    }

    /** Emits the start and hands the loop to the task threads; its events come back through {@link #onAgentEvent}. */
    private void runAgent(RunState run, TaskState task, TaskAction.AgentCall call, AgentSpec agent, int attempt,
                          AgentLoop.ApprovedCall approved) {
        String runId = run.id();
        String taskId = task.id();
        Instant deadline = now().plus(agent.limits().timeout());
        emit(run, new EventData.TaskStarted(taskId, attempt, runId + "/" + taskId, null, deadline));
        String userMessage = AgentLoop.userMessage(call.instruction(), run.goal(), run.input(), dependencyOutputs(run, task));
        launchAgent(runId, taskId, attempt, agent, new AgentLoop.Request(runId, taskId, attempt, agent, userMessage,
                task.transcript(attempt), approved, deadline), event -> onAgentEvent(runId, taskId, attempt, event));
    }

    /** The outputs of the tasks a task depends on, by id: what its agent is told. */
    private static Map<String, JsonNode> dependencyOutputs(RunState run, TaskState task) {
        Map<String, JsonNode> dependencies = new java.util.LinkedHashMap<>();
        for (String dependency : task.spec().dependencies()) {
            TaskState upstream = run.task(dependency);
            if (upstream != null) dependencies.put(dependency, upstream.output());
        }
        return dependencies;
    }

    /**
     * Runs an agent loop on the task threads, for a task or for a task's fallback: its outcome
     * comes back through {@link #onOutcome}, each of its model and tool calls through
     * {@code onEvent} (on the context), and a timer gives up after the agent's timeout.
     */
    private void launchAgent(String runId, String taskId, int attempt, AgentSpec agent, AgentLoop.Request request,
                             Consumer<EventData.TaskEvent> onEvent) {
        Duration timeout = agent.limits().timeout();
        ModelProvider models = options.models();
        java.time.Clock clock = options.clock();
        InFlight slot = hold(runId, taskId, attempt);
        whenStartIsDurable(runId, taskId, slot, () -> {
            slot.call = executor.submit("agent", agent.name(), runId, taskId, attempt, () -> {
                AgentLoop loop = new AgentLoop(models.model(runId, taskId), tools,
                        event -> context.runOnContext(v -> onEvent.accept(event)), clock, options.defaultToolTimeout());
                AgentResult result = loop.run(request);
                if (result instanceof AgentResult.Answered answered) return writable(new Outcome.Success(answered.output()));
                if (result instanceof AgentResult.NeedsApproval needs) return new Outcome.ApprovalNeeded(needs.tool(), needs.args());
                AgentResult.Failed failed = (AgentResult.Failed) result;
                return new Outcome.Failure(failed.code(), failed.message(), failed.retryable(), null);
            });
            slot.timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> onOutcome(runId, taskId, attempt,
                    new Outcome.Failure("agent_timeout", "agent '" + agent.name() + "' did not answer within " + timeout, false, null)));
            long startedNanos = System.nanoTime();
            slot.call.outcome().whenComplete((outcome, error) -> {
                metrics.recordCall("agent", agent.name(), System.nanoTime() - startedNanos, outcome == null || outcome instanceof Outcome.Failure);
                context.runOnContext(v -> onOutcome(runId, taskId, attempt,
                        outcome != null ? outcome : new Outcome.Failure("internal_error", String.valueOf(error), true, null)));
            });
        });
    }

    /** Takes a call slot for the task's attempt; the call itself starts later, see {@link #whenStartIsDurable}. */
    private InFlight hold(String runId, String taskId, int attempt) {
        InFlight slot = new InFlight(attempt);
        InFlight previous = inFlight.put(key(runId, taskId), slot);
        if (previous != null) previous.stop(vertx, "a newer attempt of its task replaced it");
        else inFlightByRun.merge(runId, 1, Integer::sum);
        metrics.callsInFlight = inFlight.size();
        return slot;
    }

    /**
     * Starts a call once the events that lead to it (the run's creation, the attempt's start)
     * are durable, and only if its slot still holds then (it was not cancelled, timed out or
     * dropped with a rebuilt run). This is Temporal's rule: no side effect begins before its
     * scheduling is durable. Otherwise a crash, or a failed write, could forget a call that was
     * made, and a client retrying its POST would see the same work done again under a new key.
     */
    private void whenStartIsDurable(String runId, String taskId, InFlight slot, Runnable start) {
        RunState run = runs.getIfPresent(runId);
        if (run == null) {
            // Cannot happen (the run just emitted its TaskStarted), but a slot must never leak.
            if (inFlight.remove(key(runId, taskId), slot)) inFlightByRun.merge(runId, -1, Integer::sum);
            return;
        }
        onDurable(run, error -> {
            if (error != null || closed || inFlight.get(key(runId, taskId)) != slot) return;
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

    /** A model or tool call of a running agent loop: recorded if the attempt is still the current one. */
    private void onAgentEvent(String runId, String taskId, int attempt, EventData.TaskEvent event) {
        if (closed) return;
        InFlight call = inFlight.get(key(runId, taskId));
        if (call == null || call.attempt() != attempt) return; // timed out or cancelled meanwhile
        RunState run = runs.getIfPresent(runId);
        TaskState task = run == null ? null : run.task(taskId);
        if (task == null || task.status() != TaskStatus.RUNNING || task.totalAttempts() != attempt) return;
        emit(run, event);
    }

    /** The first call of the attempt's last model answer that has no recorded result: the one waiting for approval. */
    private static String pendingAgentCall(TaskState task, int attempt) {
        List<EventData.TaskEvent> transcript = task.transcript(attempt);
        List<String> pending = new ArrayList<>();
        for (EventData.TaskEvent entry : transcript) {
            if (entry instanceof EventData.AgentModelCalled m) {
                pending.clear();
                m.toolCalls().forEach(c -> pending.add(c.id()));
            } else if (entry instanceof EventData.AgentToolCalled t) {
                pending.remove(t.callId());
            }
        }
        return pending.isEmpty() ? null : pending.get(0);
    }

    private void dispatch(RunState run, TaskState task, Tool tool, JsonNode args, int attempt, String idempotencyKey,
                          Duration timeout, Instant deadline) {
        String runId = run.id();
        String taskId = task.id();
        InFlight slot = hold(runId, taskId, attempt);
        whenStartIsDurable(runId, taskId, slot, () -> {
            slot.call = executor.submit(tool, args, new ToolContext(runId, taskId, attempt, idempotencyKey, deadline));
            slot.timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> onOutcome(runId, taskId, attempt,
                    new Outcome.Failure("timeout", "no answer within " + timeout, true, null)));
            long startedNanos = System.nanoTime();
            String toolName = tool.descriptor().name();
            slot.call.outcome().whenComplete((outcome, error) -> {
                metrics.recordCall("tool", toolName, System.nanoTime() - startedNanos, outcome == null || outcome instanceof Outcome.Failure);
                Outcome checked = outcome != null ? writable(outcome) : new Outcome.Failure("tool_error", String.valueOf(error), true, null);
                context.runOnContext(v -> onOutcome(runId, taskId, attempt, checked));
            });
        });
    }

    /** A call ended (or timed out). Late answers of an attempt already given up on are ignored. */
    private void onOutcome(String runId, String taskId, int attempt, Outcome outcome) {
        // Calls interrupted by a shutdown stay RUNNING in the journal and run again, with the same key, at the next start.
        if (closed) return;
        InFlight call = inFlight.get(key(runId, taskId));
        if (call == null || call.attempt() != attempt) return;
        inFlight.remove(key(runId, taskId));
        inFlightByRun.merge(runId, -1, Integer::sum);
        metrics.callsInFlight = inFlight.size();
        if (call.timer >= 0) vertx.cancelTimer(call.timer);
        if (outcome instanceof Outcome.Failure failure && (failure.code().equals("timeout") || failure.code().equals("agent_timeout"))
                && call.call != null) {
            call.call.interrupt("it timed out");
        }
        RunState run = runs.getIfPresent(runId);
        TaskState task = run == null ? null : run.task(taskId);
        SideCall compensation = task == null ? null : task.compensation();
        if (run != null && run.status() == RunStatus.COMPENSATING && compensation != null
                && compensation.status() == SideCall.Status.RUNNING && compensation.totalAttempts() == attempt) {
            onCompensationOutcome(run, task, attempt, outcome);
        } else if (task != null && task.inFallback()) {
            if (task.status() == TaskStatus.RUNNING && task.fallback().totalAttempts() == attempt) {
                onFallbackOutcome(run, task, attempt, outcome);
            }
        } else if (task != null && task.status() == TaskStatus.RUNNING && task.totalAttempts() == attempt) {
            if (outcome instanceof Outcome.Success success) {
                succeed(run, task, attempt, success.output());
            } else if (outcome instanceof Outcome.ApprovalNeeded needed) {
                requestApproval(run, task, needed.tool(), needed.args());
            } else {
                fail(run, task, attempt, (Outcome.Failure) outcome);
            }
        }
        if (run != null && run.status() == RunStatus.REPLANNING) maybeReplan(run);
        if (run != null) reweigh(run);
        drainReadyQueue();
    }

    private void succeed(RunState run, TaskState task, int attempt, JsonNode output) {
        String tool = task.spec().action() instanceof TaskAction.ToolCall call ? call.tool() : null;
        emit(run, new EventData.TaskSucceeded(task.id(), attempt, output, tool));
        metrics.tasksSucceeded.increment();
        onTaskFinished(run, task.id());
    }

    private void fail(RunState run, TaskState task, int attempt, Outcome.Failure failure) {
        Failure error = new Failure(failure.code(), failure.message());
        RetryPolicy policy = retryPolicy(task);
        if (failure.retryable() && task.attempts() < policy.maxAttempts()) {
            Instant retryAt = now().plus(policy.backoff(task.attempts() + 1, failure.retryAfter()));
            emit(run, new EventData.TaskAttemptFailed(task.id(), attempt, error, true, retryAt));
            metrics.taskRetries.increment();
            armTimer(retryAt, () -> onRetryDue(run.id(), task.id(), retryAt));
        } else {
            emit(run, new EventData.TaskAttemptFailed(task.id(), attempt, error, failure.retryable(), null));
            if (fallbackDue(run, task)) {
                startFallback(run, task);
                return;
            }
            metrics.tasksFailed.increment();
            onTaskFinished(run, task.id());
        }
    }

    /**
     * A task reached an end state: move its dependants on, perhaps finish the run. This does
     * not wait for the end state to be durable. The journal is one ordered queue, so a
     * dependant's start can never be durable without the success it follows; if the process
     * dies in between, recovery sees neither and both run again with their idempotency keys,
     * which is the at-least-once contract of a running task. Waiting would put one commit per
     * level of the graph on the critical path.
     */
    private void onTaskFinished(RunState run, String taskId) {
        TaskState task = run.task(taskId);
        if (task != null && task.status() == TaskStatus.FAILED && run.status() == RunStatus.RUNNING && replanAllowed(run)
                && !task.spec().flow().continueOnError()) {
            // Instead of skipping the dependants: stop starting tasks, and replan once the running ones are done.
            String detail = task.error() == null ? "" : ": " + task.error().message();
            emit(run, new EventData.ReplanStarted("task_failed", "task '" + taskId + "' failed" + detail, List.of(taskId)));
            metrics.replans.increment();
            maybeReplan(run);
            return;
        }
        advance(run, run.dependantsOf(taskId));
    }

    private void checkCompletion(RunState run) {
        if (run.status() != RunStatus.RUNNING || !run.allTasksFinished()) return;
        TaskState failing = Joins.failing(run);
        if (failing != null) {
            unwind(run, new EventData.RunUnwinding("FAILED", Joins.runError(failing, replanNote(run)), null, null));
            return;
        }
        ObjectNode outputs = Json.object();
        for (TaskState task : run.tasks()) {
            if (run.dependantsOf(task.id()).isEmpty() && task.status() == TaskStatus.SUCCEEDED) outputs.set(task.id(), task.output());
        }
        if (options.resultWriter() != null) {
            writeResult(run, outputs);
            return;
        }
        ObjectNode result = Json.object();
        result.set("outputs", outputs);
        emit(run, new EventData.RunSucceeded(result));
        metrics.runsFinished.get(RunStatus.SUCCEEDED).increment();
    }

    // ------------------------------------------------------------------ the final answer

    /**
     * Every task succeeded: one model call, off the event loop, writes the answer to the goal.
     * The run stays RUNNING meanwhile (a crash writes it again at recovery); a failed call does
     * not fail the run, whose result then carries {@code answerError} next to the outputs.
     */
    private void writeResult(RunState run, ObjectNode outputs) {
        String runId = run.id();
        if (!resultCalls.add(runId)) return;
        int planVersion = run.planVersion();
        Map<String, JsonNode> all = new java.util.LinkedHashMap<>();
        Map<String, String> titles = new HashMap<>();
        for (TaskState task : run.tasks()) {
            if (task.status() != TaskStatus.SUCCEEDED) continue;
            all.put(task.id(), task.output());
            titles.put(task.id(), task.spec().title() == null ? task.id() : task.spec().title());
        }
        dev.baton.runtime.planning.ResultWriter.Request request = new dev.baton.runtime.planning.ResultWriter.Request(runId,
                run.goal(), run.input(), all, titles, run.messages().stream().map(RunState.Message::text).toList());
        dev.baton.runtime.planning.ResultWriter writer = options.resultWriter();
        planning.<String>executeBlocking(() -> writer.answer(request), false)
                .onComplete(answer -> withRun(runId, done -> {
                    resultCalls.remove(runId);
                    // A message (a replan) or a cancel may have come meanwhile: then this answer is stale.
                    if (done.status() != RunStatus.RUNNING || done.planVersion() != planVersion || !done.allTasksFinished()
                            || Joins.failing(done) != null) {
                        if (done.status() == RunStatus.RUNNING) advance(done, List.of());
                        return Future.succeededFuture();
                    }
                    ObjectNode result = Json.object();
                    if (answer.succeeded()) {
                        result.put("answer", answer.result());
                    } else {
                        LOG.warn("the final answer of run {} could not be written: {}", runId, answer.cause().toString());
                        result.put("answerError", "the final answer could not be written: " + answer.cause().getMessage());
                    }
                    result.set("outputs", outputs);
                    emit(done, new EventData.RunSucceeded(result));
                    metrics.runsFinished.get(RunStatus.SUCCEEDED).increment();
                    return Future.succeededFuture();
                }).onFailure(e -> {
                    context.runOnContext(v -> resultCalls.remove(runId));
                    logTimerFailure(e);
                }));
    }

    // ------------------------------------------------------------------ replanning

    /** Whether a task failing for good makes this run replan: a planner that can, and budget left. */
    private boolean replanAllowed(RunState run) {
        return options.planner() != null && options.planner().canReplan(run.options())
                && run.failureReplans() < options.maxReplans();
    }

    /** What a failed run's error adds about replanning: why it did not rescue the run. */
    private String replanNote(RunState run) {
        if (run.replanError() != null) {
            return "; replanning failed (" + run.replanError().code() + "): " + run.replanError().message();
        }
        if (options.planner() != null && options.planner().canReplan(run.options()) && options.maxReplans() > 0
                && run.failureReplans() >= options.maxReplans()) {
            return "; no replan left (the run replanned " + run.failureReplans() + " times, the most allowed)";
        }
        return "";
    }

    /**
     * A REPLANNING run asks its planner for a new plan once no call of it is in flight (wait
     * tasks do not hold it up: they are cancelled with the rest of the unfinished part).
     */
    private void maybeReplan(RunState run) {
        String runId = run.id();
        if (run.status() != RunStatus.REPLANNING || replanCalls.contains(runId)) return;
        if (inFlightByRun.getOrDefault(runId, 0) > 0) return; // onOutcome calls again when the last one ends
        replanCalls.add(runId);
        List<GoalPlanner.SucceededTask> succeeded = new ArrayList<>();
        List<GoalPlanner.FailedTask> failed = new ArrayList<>();
        for (TaskState task : run.tasks()) {
            if (task.status() == TaskStatus.SUCCEEDED) succeeded.add(new GoalPlanner.SucceededTask(task.id(), task.output()));
            if (task.status() == TaskStatus.FAILED || task.status() == TaskStatus.REJECTED) {
                Failure error = task.error();
                failed.add(new GoalPlanner.FailedTask(task.id(), error == null ? task.status().name().toLowerCase() : error.code(),
                        error == null ? "" : error.message()));
            }
        }
        int messagesSeen = run.messages().size();
        GoalPlanner.ReplanningRequest request = new GoalPlanner.ReplanningRequest(runId, run.goal(),
                run.input() == null ? Json.object() : run.input(), run.options(), PlanWriter.toJson(run.plan()), succeeded, failed,
                run.messages().stream().map(RunState.Message::text).toList());
        GoalPlanner planner = options.planner();
        planning.<GoalPlanner.ProposedPlan>executeBlocking(() -> planner.replan(request), false)
                .onComplete(result -> withRun(runId, replanned -> {
                    replanCalls.remove(runId);
                    onReplanned(replanned, result.result(), result.cause(), messagesSeen);
                    return Future.succeededFuture();
                }).onFailure(e -> {
                    context.runOnContext(v -> replanCalls.remove(runId));
                    logTimerFailure(e);
                }));
    }

    private void onReplanned(RunState run, GoalPlanner.ProposedPlan proposed, Throwable error, int messagesSeen) {
        if (run.status() != RunStatus.REPLANNING) return; // cancelled meanwhile
        Failure failure = null;
        CheckedPlan plan = null;
        if (error instanceof PlanningException e) {
            failure = new Failure(e.code(), e.getMessage());
        } else if (error != null) {
            LOG.warn("the planner failed to replan run {}", run.id(), error);
            failure = new Failure("replanning_failed", "the planner failed: " + error);
        } else {
            try {
                plan = checked(proposed.plan());
                String problem = keptTasksProblem(run, plan.plan());
                if (problem != null) failure = new Failure("replan_invalid", problem);
            } catch (BatonException e) {
                failure = new Failure("replan_invalid", "the planner's new plan is invalid: " + e.getMessage());
            }
        }
        if (failure != null) {
            emit(run, new EventData.ReplanFailed(failure));
            continueAfterFailedReplan(run);
            return;
        }
        // The unfinished part of the old plan is dropped; what succeeded is kept (RunState.setPlan).
        for (TaskState task : run.tasks()) {
            if (!task.status().finished()) emit(run, new EventData.TaskCancelled(task.id()));
        }
        int version = run.planVersion() + 1;
        emit(run, new EventData.PlanProposed(version, plan.json(), proposed.source(), false));
        emit(run, new EventData.PlanAccepted(version, plan.json()));
        advance(run, plan.plan().byId().keySet());
        if (run.status() == RunStatus.RUNNING && run.messages().size() > messagesSeen) {
            // A message came while the planner was busy: it gets its own replan.
            emit(run, new EventData.ReplanStarted("message", "a message came during the last replan", List.of()));
            maybeReplan(run);
        }
    }

    /** Null if the new plan keeps every succeeded task unchanged, else what it changed. */
    private static String keptTasksProblem(RunState run, Plan plan) {
        Map<String, TaskSpec> byId = plan.byId();
        for (TaskState task : run.tasks()) {
            if (task.status() != TaskStatus.SUCCEEDED) continue;
            TaskSpec kept = byId.get(task.id());
            if (kept == null) return "the new plan drops task '" + task.id() + "', which succeeded: succeeded tasks are kept";
            if (!PlanWriter.toJson(kept).equals(PlanWriter.toJson(task.spec()))) {
                return "the new plan changes task '" + task.id() + "', which succeeded: succeeded tasks are kept unchanged";
            }
        }
        return null;
    }

    /**
     * The replan failed: the run goes on with its plan as if it had never stopped. A failed
     * task's dependants are skipped now, and what was held back while REPLANNING starts.
     */
    private void continueAfterFailedReplan(RunState run) {
        List<String> pending = new ArrayList<>();
        for (TaskState task : run.tasks()) {
            switch (task.status()) {
                case PENDING -> pending.add(task.id());
                case READY -> onReady(run, task);
                case RETRY_WAIT -> {
                    Instant retryAt = task.retryAt();
                    armTimer(retryAt, () -> onRetryDue(run.id(), task.id(), retryAt));
                }
                case RUNNING -> {
                    if (task.spec().action() instanceof TaskAction.Wait) {
                        Instant fireAt = task.deadline();
                        armTimer(fireAt, () -> onWaitOver(run.id(), task.id(), fireAt));
                    } else if (!inFlight.containsKey(key(run.id(), task.id()))) {
                        rerun(run, task); // cut off by a crash, or dropped from the ready queue while REPLANNING
                    }
                }
                default -> {
                }
            }
        }
        advance(run, pending);
    }

    private void requestApproval(RunState run, TaskState task) {
        requestApproval(run, task, null, null);
    }

    /** With {@code agentTool}: an agent proposed a call of that gated tool with {@code agentArgs}. */
    private void requestApproval(RunState run, TaskState task, String agentTool, JsonNode agentArgs) {
        requestApproval(run, task, agentTool, agentArgs, null);
    }

    /** With {@code policyGate}: the approval policy's reason, shown in the approval's title. */
    private void requestApproval(RunState run, TaskState task, String agentTool, JsonNode agentArgs, String policyGate) {
        JsonNode args = agentTool != null ? agentArgs : task.approvedArgs();
        String toolName = agentTool;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            toolName = call.tool();
            if (args == null) args = resolvedArgs(run, call);
        }
        ApprovalSpec spec = task.spec().approval();
        Duration timeout = spec != null && spec.timeout() != null ? spec.timeout() : options.defaultApprovalTimeout();
        Instant expiresAt = timeout == null ? null : now().plus(timeout);
        String onTimeout = (spec == null ? ApprovalSpec.ExpiryPolicy.REJECT : spec.onTimeout()).name().toLowerCase();
        String title = policyGate == null ? task.spec().title() : task.spec().title() + " (review: " + policyGate + ")";
        emit(run, new EventData.ApprovalRequested(task.id(), title, toolName, args, expiresAt, onTimeout));
        metrics.approvalsRequested.increment();
        if (expiresAt != null) armTimer(expiresAt, () -> onApprovalExpiry(run.id(), task.id(), expiresAt));
    }

    // ------------------------------------------------------------------ timers

    private void armTimer(Instant due, Runnable action) {
        long delay = Math.max(1, Duration.between(now(), due).toMillis());
        vertx.setTimer(delay, id -> {
            if (!closed) action.run();
        });
    }

    private void onWaitOver(String runId, String taskId, Instant fireAt) {
        withRun(runId, run -> {
            TaskState task = run.task(taskId);
            if (task != null && task.status() == TaskStatus.RUNNING && fireAt.equals(task.deadline())) {
                succeed(run, task, task.totalAttempts(), null);
            }
            return Future.succeededFuture();
        }).onFailure(this::logTimerFailure);
    }

    private void onRetryDue(String runId, String taskId, Instant retryAt) {
        withRun(runId, run -> {
            TaskState task = run.task(taskId);
            if (task != null && task.status() == TaskStatus.RETRY_WAIT && retryAt.equals(task.retryAt()) && run.status() == RunStatus.RUNNING) {
                if (task.inFallback()) {
                    startFallback(run, task);
                } else {
                    emit(run, new EventData.TaskReady(taskId));
                    onReady(run, task);
                }
            }
            return Future.succeededFuture();
        }).onFailure(this::logTimerFailure);
    }

    private void onApprovalExpiry(String runId, String taskId, Instant expiresAt) {
        withRun(runId, run -> {
            TaskState task = run.task(taskId);
            if (task == null || task.status() != TaskStatus.WAITING_APPROVAL || task.approval().escalated()
                    || !expiresAt.equals(task.approval().expiresAt())) {
                return Future.succeededFuture();
            }
            if ("escalate".equals(task.approval().onTimeout())) {
                emit(run, new EventData.ApprovalEscalated(taskId));
            } else {
                emit(run, new EventData.ApprovalExpired(taskId));
                onTaskFinished(run, taskId);
            }
            return Future.succeededFuture();
        }).onFailure(this::logTimerFailure);
    }

    private void logTimerFailure(Throwable error) {
        LOG.error("a timer could not be handled", error);
    }

    private void drainReadyQueue() {
        while (!readyQueue.isEmpty() && inFlight.size() < options.maxConcurrentCalls()) {
            Queued next = readyQueue.poll();
            RunState run = runs.getIfPresent(next.runId());
            TaskState task = run == null ? null : run.task(next.taskId());
            if (task == null || run.status() != RunStatus.RUNNING) continue;
            if (next.rerunAttempt() > 0) {
                if (task.status() == TaskStatus.RUNNING && task.totalAttempts() == next.rerunAttempt()) rerun(run, task);
            } else if (task.status() == TaskStatus.READY) {
                start(run, task);
            }
        }
        metrics.readyQueueDepth = readyQueue.size();
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
                runs.put(run.id(), run);
                try {
                    resume(run);
                    resumed++;
                } catch (RuntimeException e) {
                    // What the run emitted before the failure is written; nothing more happens to it until a restart.
                    setAside(run.id(), "it cannot be resumed: " + e);
                    LOG.error("run {} failed to resume", run.id(), e);
                }
                reweigh(run);
            }
            if (!recovered.isEmpty()) {
                LOG.info("recovered {} unfinished runs from the journal in {} ms{}", resumed, (System.nanoTime() - began) / 1_000_000,
                        setAside.isEmpty() ? "" : "; " + setAside.size() + " set aside (see above)");
            }
            return null;
        }));
    }

    /**
     * Sets a run aside: its journal cannot be replayed (a gap in its seqs, an event its state does
     * not allow) or it failed to resume. One such run must not keep the server from starting and
     * serving every other run; it is reported in the log, {@code /metrics} and {@link #setAsideRuns()},
     * and requests for it answer {@code run_unreadable}.
     */
    private void setAside(String runId, String reason) {
        setAside.put(runId, reason);
        runs.invalidate(runId);
        LOG.error("run {} is set aside and will not run: {}. The server starts and serves the other runs;"
                + " the run's events stay in the journal untouched.", runId, reason);
    }

    /** The runs set aside at start because the journal could not rebuild them, with why. */
    public Map<String, String> setAsideRuns() {
        return Map.copyOf(setAside);
    }

    private BatonException unreadable(String runId, RuntimeException cause) {
        String reason = setAside.getOrDefault(runId, String.valueOf(cause.getMessage()));
        return new BatonException(Kind.CONFLICT, "run_unreadable", "run '" + runId + "' cannot be rebuilt from its journal ("
                + reason + "); it was set aside and does not run. Its events are kept; see the server log.");
    }

    /** Picks a recovered run up where the journal left it. */
    private void resume(RunState run) {
        if (run.status() == RunStatus.PLANNING) {
            if (run.plan() != null) {
                // The plan was proposed and needed no approval, but its acceptance was not written.
                emit(run, new EventData.PlanAccepted(run.planVersion(), PlanWriter.toJson(run.plan())));
                advance(run, run.plan().byId().keySet());
            } else if (options.planner() != null) {
                startPlanning(run);
            } else {
                emit(run, new EventData.RunFailed(new Failure("interrupted", "the server stopped before the run had a plan; submit it again")));
            }
            return;
        }
        if (run.status() == RunStatus.REPLANNING) {
            // Replan again. Calls cut off by the crash are not run first: a new plan cancels them,
            // a failed replan runs them again (continueAfterFailedReplan).
            for (TaskState task : run.tasks()) {
                if (task.status() == TaskStatus.WAITING_APPROVAL) {
                    Instant expiresAt = task.approval().expiresAt();
                    if (expiresAt != null && !task.approval().escalated()) {
                        armTimer(expiresAt, () -> onApprovalExpiry(run.id(), task.id(), expiresAt));
                    }
                } else if (task.status() == TaskStatus.RUNNING && task.spec().action() instanceof TaskAction.Wait) {
                    Instant fireAt = task.deadline();
                    armTimer(fireAt, () -> onWaitOver(run.id(), task.id(), fireAt));
                }
            }
            maybeReplan(run);
            return;
        }
        if (run.status() == RunStatus.COMPENSATING) {
            continueUnwinding(run);
            return;
        }
        if (run.status() != RunStatus.RUNNING) return;
        List<String> pending = new ArrayList<>();
        for (TaskState task : run.tasks()) {
            switch (task.status()) {
                case PENDING -> pending.add(task.id());
                case FAILED -> {
                    // Failed for good just before the crash, with its fallback not begun yet.
                    if (fallbackDue(run, task)) startFallback(run, task);
                }
                case READY -> onReady(run, task);
                case RUNNING -> {
                    if (task.spec().action() instanceof TaskAction.Wait) {
                        Instant fireAt = task.deadline();
                        armTimer(fireAt, () -> onWaitOver(run.id(), task.id(), fireAt));
                    } else if (inFlight.size() >= options.maxConcurrentCalls()) {
                        readyQueue.add(new Queued(run.id(), task.id(), task.totalAttempts()));
                    } else {
                        rerun(run, task);
                    }
                }
                case RETRY_WAIT -> {
                    Instant retryAt = task.retryAt();
                    armTimer(retryAt, () -> onRetryDue(run.id(), task.id(), retryAt));
                }
                case WAITING_APPROVAL -> {
                    Instant expiresAt = task.approval().expiresAt();
                    if (expiresAt != null && !task.approval().escalated()) {
                        armTimer(expiresAt, () -> onApprovalExpiry(run.id(), task.id(), expiresAt));
                    }
                }
                default -> {
                }
            }
        }
        advance(run, pending);
    }

    /** Calls again a tool whose attempt was cut off by a crash: same attempt number, same idempotency key. */
    private void rerun(RunState run, TaskState task) {
        if (task.inFallback()) {
            SideCall fallback = task.fallback();
            if (task.spec().flow().fallback() instanceof TaskAction.AgentCall call) {
                // Same attempt, a fresh conversation: the loop's calls were not journaled one by one.
                startAgentFallback(run, task, call.agent(), fallback.args().path("instruction").asText(),
                        fallback.totalAttempts(), fallback.idempotencyKey());
            } else {
                runSideCall(run, task, task.spec().flow().fallback(), fallback, true);
            }
            return;
        }
        if (task.spec().action() instanceof TaskAction.AgentCall agentCall && options.models() != null
                && options.agents().find(agentCall.agent()).isPresent()) {
            // The loop picks the conversation up from its transcript; calls without a recorded result run again.
            runAgent(run, task, agentCall, options.agents().find(agentCall.agent()).get(), task.totalAttempts(), null);
            return;
        }
        if (!(task.spec().action() instanceof TaskAction.ToolCall call)) {
            fail(run, task, task.totalAttempts(), new Outcome.Failure("interrupted", "the server stopped during the task", true, null));
            return;
        }
        Optional<Tool> tool = tools.find(call.tool());
        if (tool.isEmpty()) {
            fail(run, task, task.totalAttempts(), new Outcome.Failure("unknown_tool", "no tool named '" + call.tool() + "' is registered", false, null));
            return;
        }
        Duration timeout = PlanValidator.effectiveTimeout(task.spec(), tool.get().descriptor(), options.defaultToolTimeout());
        Instant deadline = now().plus(timeout);
        emit(run, new EventData.TaskStarted(task.id(), task.totalAttempts(), task.idempotencyKey(), task.args(), deadline));
        dispatch(run, task, tool.get(), task.args(), task.totalAttempts(), task.idempotencyKey(), timeout, deadline);
    }

    // ------------------------------------------------------------------ flow: fallbacks and compensation

    /**
     * Retries the compensation that failed for good: the run goes back to COMPENSATING and
     * unwinds on from there. Fails with CONFLICT unless the run is COMPENSATION_FAILED.
     */
    public Future<ObjectNode> retryCompensation(String runId, String by) {
        return withRun(runId, run -> {
            if (run.status() != RunStatus.COMPENSATION_FAILED) {
                throw BatonException.conflict("run '" + runId + "' is " + run.status() + "; only a COMPENSATION_FAILED run can retry its compensation");
            }
            emit(run, new EventData.CompensationRetryRequested(by));
            continueUnwinding(run);
            return whenDurable(run, () -> runJson(run));
        });
    }

    /** Whether a task that just failed for good should run its fallback: it has one, not yet begun, and the run goes on. */
    private static boolean fallbackDue(RunState run, TaskState task) {
        return task.status() == TaskStatus.FAILED && run.status() == RunStatus.RUNNING
                && task.spec().flow().fallback() != null && task.fallback() == null;
    }

    /** Starts the next attempt of a task's fallback: a tool call, or an agent task. */
    private void startFallback(RunState run, TaskState task) {
        TaskAction fallback = task.spec().flow().fallback();
        int attempt = task.fallback() == null ? 1 : task.fallback().totalAttempts() + 1;
        String idempotencyKey = run.id() + "/" + task.id() + "/fallback";
        Function<String, JsonNode> errors = id -> id.equals(task.id()) ? RunJson.failure(task.error()) : null;
        if (fallback instanceof TaskAction.AgentCall call) {
            String instruction = References.resolveToText(call.instruction(), run.input(), id -> outputOf(run, id), errors);
            startAgentFallback(run, task, call.agent(), instruction, attempt, idempotencyKey);
            return;
        }
        TaskAction.ToolCall call = (TaskAction.ToolCall) fallback;
        JsonNode args = References.resolve(call.args(), run.input(), id -> outputOf(run, id), errors);
        startSideCall(run, task, call, attempt, idempotencyKey, args, true);
    }

    /**
     * Journals the start of an agent fallback's attempt ({@code args} are {@code {agent,
     * instruction}}, the instruction resolved) and runs its loop. The agent hears why the task
     * failed. Its model calls are journaled as {@code ModelUsed} (purpose {@code fallback}) so
     * they count in the run's usage; it cannot wait for approval (a gated call fails the attempt).
     */
    private void startAgentFallback(RunState run, TaskState task, String agentName, String instruction, int attempt,
                                    String idempotencyKey) {
        String runId = run.id();
        String taskId = task.id();
        Optional<AgentSpec> agent = options.models() == null ? Optional.empty() : options.agents().find(agentName);
        Instant deadline = now().plus(agent.map(a -> a.limits().timeout()).orElse(Duration.ZERO));
        ObjectNode args = Json.object();
        args.put("agent", agentName);
        args.put("instruction", instruction);
        emit(run, new EventData.FallbackStarted(taskId, attempt, idempotencyKey, args, deadline));
        metrics.taskAttempts.increment();
        if (agent.isEmpty()) {
            onFallbackOutcome(run, task, attempt, options.models() == null
                    ? new Outcome.Failure("model_not_configured", "agent fallbacks need a model: set OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL", false, null)
                    : new Outcome.Failure("unknown_agent", "no agent named '" + agentName + "' is registered", false, null));
            return;
        }
        Failure error = task.error();
        String told = instruction + "\n\nYou are the fallback of the task '" + taskId + "' (" + task.spec().title()
                + "), which failed for good" + (error == null ? "." : " with " + error.code() + ": " + error.message());
        String userMessage = AgentLoop.userMessage(told, run.goal(), run.input(), dependencyOutputs(run, task));
        AgentLoop.Request request = new AgentLoop.Request(runId, taskId, attempt, agent.get(), userMessage, List.of(), null, deadline);
        launchAgent(runId, taskId, attempt, agent.get(), request, event -> {
            if (!(event instanceof EventData.AgentModelCalled called)) return;
            RunState current = runs.getIfPresent(runId);
            TaskState fallingBack = current == null ? null : current.task(taskId);
            if (fallingBack == null || !fallingBack.inFallback() || fallingBack.fallback().totalAttempts() != attempt) return;
            emit(current, new EventData.ModelUsed("fallback", agentName, called.promptTokens(), called.completionTokens(),
                    called.durationMs(), false, null));
        });
    }

    private void onFallbackOutcome(RunState run, TaskState task, int attempt, Outcome outcome) {
        if (outcome instanceof Outcome.Success success) {
            emit(run, new EventData.FallbackSucceeded(task.id(), attempt, success.output()));
            metrics.tasksSucceeded.increment();
            onTaskFinished(run, task.id());
            return;
        }
        Outcome.Failure failure = outcome instanceof Outcome.Failure f ? f
                : new Outcome.Failure("approval_needed", "a fallback cannot wait for approval", false, null);
        Instant retryAt = sideRetryAt(task.spec().flow().fallback(), task.fallback(), failure);
        emit(run, new EventData.FallbackAttemptFailed(task.id(), attempt, new Failure(failure.code(), failure.message()),
                failure.retryable(), retryAt));
        if (retryAt != null) {
            metrics.taskRetries.increment();
            armTimer(retryAt, () -> onRetryDue(run.id(), task.id(), retryAt));
        } else {
            metrics.tasksFailed.increment();
            onTaskFinished(run, task.id());
        }
    }

    /**
     * The run fails or is cancelled: with compensations owed it starts unwinding (COMPENSATING),
     * else it ends at once as before.
     */
    private void unwind(RunState run, EventData.RunUnwinding ending) {
        if (!Compensations.owed(run)) {
            end(run, ending);
            return;
        }
        emit(run, ending);
        continueUnwinding(run);
    }

    private void end(RunState run, EventData.RunUnwinding ending) {
        if ("CANCELLED".equals(ending.outcome())) {
            emit(run, new EventData.RunCancelled(ending.by(), ending.reason()));
            metrics.runsFinished.get(RunStatus.CANCELLED).increment();
        } else {
            emit(run, new EventData.RunFailed(ending.error()));
            metrics.runsFinished.get(RunStatus.FAILED).increment();
        }
    }

    /** Starts, resumes or waits for the next compensation of a COMPENSATING run; ends the run when none is left. */
    private void continueUnwinding(RunState run) {
        if (run.status() != RunStatus.COMPENSATING) return;
        TaskState task = Compensations.next(run);
        if (task == null) {
            end(run, run.unwinding());
            return;
        }
        SideCall call = task.compensation();
        if (call == null || call.status() == SideCall.Status.PENDING) {
            TaskAction.ToolCall undo = task.spec().flow().compensate();
            JsonNode args = References.resolve(undo.args(), run.input(), id -> outputOf(run, id));
            startSideCall(run, task, undo, call == null ? 1 : call.totalAttempts() + 1, run.id() + "/" + task.id() + "/compensate",
                    args, false);
        } else if (call.status() == SideCall.Status.RUNNING && !inFlight.containsKey(key(run.id(), task.id()))) {
            runSideCall(run, task, task.spec().flow().compensate(), call, false); // cut off by a crash: same attempt, same key
        } else if (call.status() == SideCall.Status.RETRY_WAIT) {
            Instant retryAt = call.retryAt();
            armTimer(retryAt, () -> onCompensationRetryDue(run.id(), task.id(), retryAt));
        }
    }

    private void onCompensationOutcome(RunState run, TaskState task, int attempt, Outcome outcome) {
        if (outcome instanceof Outcome.Success success) {
            emit(run, new EventData.CompensationSucceeded(task.id(), attempt, success.output()));
            continueUnwinding(run);
            return;
        }
        Outcome.Failure failure = outcome instanceof Outcome.Failure f ? f
                : new Outcome.Failure("approval_needed", "a compensation cannot wait for approval", false, null);
        Failure error = new Failure(failure.code(), failure.message());
        Instant retryAt = sideRetryAt(task.spec().flow().compensate(), task.compensation(), failure);
        emit(run, new EventData.CompensationAttemptFailed(task.id(), attempt, error, failure.retryable(), retryAt));
        if (retryAt != null) {
            metrics.taskRetries.increment();
            armTimer(retryAt, () -> onCompensationRetryDue(run.id(), task.id(), retryAt));
        } else {
            emit(run, new EventData.CompensationFailed(task.id(), error));
            metrics.runsFinished.get(RunStatus.COMPENSATION_FAILED).increment();
        }
    }

    private void onCompensationRetryDue(String runId, String taskId, Instant retryAt) {
        withRun(runId, run -> {
            TaskState task = run.task(taskId);
            SideCall call = task == null ? null : task.compensation();
            if (run.status() == RunStatus.COMPENSATING && call != null && call.status() == SideCall.Status.RETRY_WAIT
                    && retryAt.equals(call.retryAt())) {
                TaskAction.ToolCall undo = task.spec().flow().compensate();
                JsonNode args = References.resolve(undo.args(), run.input(), id -> outputOf(run, id));
                startSideCall(run, task, undo, call.totalAttempts() + 1, call.idempotencyKey(), args, false);
            }
            return Future.succeededFuture();
        }).onFailure(this::logTimerFailure);
    }

    /** When a failed side call is due again under its tool's retry policy, or null when it has failed for good. */
    private Instant sideRetryAt(TaskAction action, SideCall call, Outcome.Failure failure) {
        // A tool call is retried as its tool says; an agent fallback as agent tasks are by default.
        RetryPolicy policy = action instanceof TaskAction.ToolCall toolCall
                ? tools.find(toolCall.tool()).map(t -> t.descriptor().retry()).orElse(RetryPolicy.DEFAULT)
                : RetryPolicy.DEFAULT;
        if (!failure.retryable() || call.attempts() >= policy.maxAttempts()) return null;
        return now().plus(policy.backoff(call.attempts() + 1, failure.retryAfter()));
    }

    /** Journals the start of a fallback's or compensation's attempt and calls its tool. */
    private void startSideCall(RunState run, TaskState task, TaskAction action, int attempt, String idempotencyKey, JsonNode args,
                               boolean fallback) {
        TaskAction.ToolCall call = (TaskAction.ToolCall) action;
        Optional<Tool> tool = tools.find(call.tool());
        Instant now = now();
        Duration timeout = tool.map(t -> t.descriptor().timeoutOr(options.defaultToolTimeout())).orElse(Duration.ZERO);
        Instant deadline = now.plus(timeout);
        emit(run, fallback ? new EventData.FallbackStarted(task.id(), attempt, idempotencyKey, args, deadline)
                : new EventData.CompensationStarted(task.id(), attempt, idempotencyKey, args, deadline));
        metrics.taskAttempts.increment();
        Outcome.Failure refused = null;
        if (tool.isEmpty()) {
            refused = new Outcome.Failure("unknown_tool", "no tool named '" + call.tool() + "' is registered", false, null);
        } else {
            List<SchemaViolation> violations = JsonSchemaValidator.validate(tool.get().descriptor().parameters(), args);
            if (!violations.isEmpty()) {
                refused = new Outcome.Failure("args_invalid", "the resolved arguments break the schema of '" + call.tool() + "': "
                        + describe(violations), false, null);
            }
        }
        if (refused != null) {
            if (fallback) onFallbackOutcome(run, task, attempt, refused); else onCompensationOutcome(run, task, attempt, refused);
            return;
        }
        dispatch(run, task, tool.get(), args, attempt, idempotencyKey, timeout, deadline);
    }

    /** Calls again a side call cut off by a crash: same attempt number, same key, same arguments. */
    private void runSideCall(RunState run, TaskState task, TaskAction action, SideCall call, boolean fallback) {
        startSideCall(run, task, action, call.totalAttempts(), call.idempotencyKey(), call.args(), fallback);
    }

    private static JsonNode outputOf(RunState run, String taskId) {
        TaskState task = run.task(taskId);
        return task == null ? null : task.output();
    }

    // ------------------------------------------------------------------ events, durability, memory

    /** Applies an event to the run now and queues it for the journal. */
    private void emit(RunState run, EventData data) {
        RunEvent event = new RunEvent(run.lastSeq() + 1, run.id(), now(), data);
        run.apply(event);
        RunWrites pending = writes.get(run.id());
        if (pending == null) {
            pending = new RunWrites();
            writes.put(run.id(), pending);
            runs.put(run.id(), run); // weigh 0: pinned until durable
        }
        pending.queued.add(event);
        toFlush.add(run.id());
        scheduleFlush();
    }

    /**
     * Completes with {@code answer}'s value once every event emitted so far for the run is
     * durable. The value is taken now: later events may not be durable yet when this completes.
     */
    private <T> Future<T> whenDurable(RunState run, java.util.function.Supplier<T> answer) {
        T value = answer.get();
        if (!writes.containsKey(run.id())) return Future.succeededFuture(value);
        Promise<T> promise = Promise.promise();
        onDurable(run, error -> {
            if (error == null) {
                promise.complete(value);
            } else {
                promise.fail(new BatonException(Kind.UNAVAILABLE, "journal_unavailable",
                        "the change could not be written to the journal: " + error.getMessage()));
            }
        });
        return promise.future();
    }

    /** Runs {@code effect} once the run's events emitted so far are durable (or failed); at once if there are none. */
    private void onDurable(RunState run, Effect effect) {
        RunWrites pending = writes.get(run.id());
        if (pending == null) {
            effect.run(null);
        } else if (!pending.queued.isEmpty() || pending.writingEffects == null) {
            pending.queuedEffects.add(effect);
        } else {
            pending.writingEffects.add(effect);
        }
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            context.runOnContext(v -> flush());
        }
    }

    /**
     * Hands what this turn emitted to the journal: one append per run, which the journal
     * group-commits with the others; a run whose previous append is still in flight waits for it.
     */
    private void flush() {
        flushScheduled = false;
        if (toFlush.isEmpty()) return;
        List<String> ids = new ArrayList<>(toFlush);
        toFlush.clear();
        for (String runId : ids) {
            RunWrites pending = writes.get(runId);
            if (pending == null || pending.writingEffects != null || pending.queued.isEmpty()) continue;
            List<RunEvent> batch = pending.queued;
            pending.queued = new ArrayList<>();
            pending.writingEffects = pending.queuedEffects;
            pending.queuedEffects = new ArrayList<>();
            CompletableFuture<Void> written = journal.append(batch);
            if (written.isDone()) {
                // Written already (the in-memory journal): carry on at once. Appends of one run
                // never overlap, so its events still reach the bus in seq order.
                afterWrite(runId, batch, written.isCompletedExceptionally() ? written.handle((v, e) -> e).join() : null);
            } else {
                written.whenComplete((v, error) -> context.runOnContext(x -> afterWrite(runId, batch, error)));
            }
        }
    }

    private void afterWrite(String runId, List<RunEvent> batch, Throwable error) {
        RunWrites pending = writes.get(runId);
        List<Effect> done = pending == null ? List.of() : pending.writingEffects;
        if (pending != null) pending.writingEffects = null;
        if (error != null) {
            writes.remove(runId);
            List<Effect> failed = new ArrayList<>(done);
            if (pending != null) failed.addAll(pending.queuedEffects);
            // Drop the stale run first: whoever hears of the failure must not act on it.
            rebuild(runId, batch.size() + (pending == null ? 0 : pending.queued.size()), error);
            runEffects(failed, error);
        } else {
            for (RunEvent event : batch) vertx.eventBus().publish(EVENTS_ADDRESS, event);
            runEffects(done, null);
            if (pending != null && !pending.queued.isEmpty()) {
                toFlush.add(runId);
                scheduleFlush();
            } else if (pending != null && writes.get(runId) == pending) {
                writes.remove(runId);
                // Effects added while the ones above ran, with nothing new to write: everything is durable.
                if (!pending.queuedEffects.isEmpty()) runEffects(pending.queuedEffects, null);
            }
            RunState run = runs.getIfPresent(runId);
            if (run != null) {
                if (run.status().finished() && !writes.containsKey(runId)) {
                    List<Promise<ObjectNode>> waiters = finishWaiters.remove(runId);
                    if (waiters != null) waiters.forEach(p -> p.tryComplete(runJson(run)));
                }
                reweigh(run);
            }
        }
        if (drained != null && writes.isEmpty()) drained.complete(null);
    }

    private static void runEffects(List<Effect> effects, Throwable error) {
        for (Effect effect : effects) {
            try {
                effect.run(error);
            } catch (RuntimeException e) {
                LOG.error("an after-write action failed", e);
            }
        }
    }

    /**
     * A write of the run failed: what memory holds ran ahead of the journal, and the journal is
     * the truth. The run is dropped with everything emitted on it since (never written, so its
     * seqs have no gap), its calls stop holding slots, and it is loaded again from what is
     * durable and carried on from there as recovery would: a call in flight is made again with
     * its key. While the journal cannot be read (the database is away), loading is retried with
     * backoff; requests for the run meanwhile answer 503.
     */
    private void rebuild(String runId, int lostEvents, Throwable error) {
        LOG.error("the journal failed to write {} events of run {}; the run is rebuilt from the journal and goes on from"
                + " what is durable: {}", lostEvents, runId, error.toString());
        metrics.runRebuilds.increment();
        runs.invalidate(runId);
        inFlight.entrySet().removeIf(entry -> {
            if (!entry.getKey().startsWith(runId + "/")) return false;
            entry.getValue().stop(vertx, "its run is rebuilt from the journal after a failed write");
            return true;
        });
        inFlightByRun.remove(runId);
        metrics.callsInFlight = inFlight.size();
        readyQueue.removeIf(queued -> queued.runId().equals(runId));
        toResume.add(runId);
        toReload.add(runId);
        reloadDropped(0);
        drainReadyQueue();
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

    /** Puts the run again so that Caffeine weighs it anew (pinned or parked). */
    private void reweigh(RunState run) {
        if (runs.getIfPresent(run.id()) == run) runs.put(run.id(), run);
    }

    private boolean pinned(RunState run) {
        return writes.containsKey(run.id())
                || inFlightByRun.getOrDefault(run.id(), 0) > 0
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
        RunState cached = runs.getIfPresent(runId);
        if (cached != null) return Future.succeededFuture(cached);
        Future<RunState> pending = loading.get(runId);
        if (pending != null) return pending;
        Future<RunState> loaded = readJournal(() -> journal.events(runId, 0)).compose(events -> onContext(() -> {
            loading.remove(runId);
            RunState present = runs.getIfPresent(runId);
            if (present != null) return present;
            if (events.isEmpty()) throw BatonException.notFound("run", runId);
            RunState run;
            try {
                run = RunState.replay(runId, events);
            } catch (RuntimeException e) {
                throw unreadable(runId, e);
            }
            runs.put(runId, run);
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

    // ------------------------------------------------------------------ helpers

    private ObjectNode runJson(RunState run) {
        return RunJson.run(run, this::gated);
    }

    /** Approval is enforced here, never by the plan's author alone: the plan or the tool may require it, nobody can waive it. */
    private boolean gated(TaskState task) {
        ApprovalSpec approval = task.spec().approval();
        if (approval != null && approval.required()) return true;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            return tools.find(call.tool()).map(t -> t.descriptor().requiresApproval()).orElse(false);
        }
        return false;
    }

    /** The approval policy's reason to gate a tool task, with its resolved arguments, or null. */
    private String policyGate(RunState run, TaskState task) {
        if (!(task.spec().action() instanceof TaskAction.ToolCall call)) return null;
        if (!options.approvalPolicy().appliesTo(call.tool())) return null;
        try {
            return options.approvalPolicy().gate(new ApprovalPolicy.Candidate(run.id(), run.input(), run.options(), task.id(), call.tool(),
                    resolvedArgs(run, call)));
        } catch (RuntimeException e) {
            // A broken policy must not let a task through that it meant to stop: gate it.
            LOG.warn("the approval policy failed for task '{}' of run {}: {}", task.id(), run.id(), e.toString());
            return "the approval policy failed: " + e.getMessage();
        }
    }

    private RetryPolicy retryPolicy(TaskState task) {
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            Optional<Tool> tool = tools.find(call.tool());
            if (tool.isPresent()) return PlanValidator.effectiveRetry(task.spec(), tool.get().descriptor());
        }
        return PlanValidator.effectiveRetry(task.spec(), null);
    }

    private JsonNode resolvedArgs(RunState run, TaskAction.ToolCall call) {
        return References.resolve(call.args(), run.input(), taskId -> {
            TaskState upstream = run.task(taskId);
            return upstream == null ? null : upstream.output();
        });
    }

    /** Checks a person's edited arguments against the schema of the tool they are for: the task's, or the one its agent proposed. */
    private void checkArgs(TaskState task, JsonNode args) {
        if (!args.isObject()) {
            throw new BatonException(Kind.INVALID, "bad_request", "field 'args' must be a JSON object");
        }
        String toolName;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            toolName = call.tool();
        } else if (task.spec().action() instanceof TaskAction.AgentCall && task.approvalTool() != null) {
            toolName = task.approvalTool();
        } else {
            throw new BatonException(Kind.INVALID, "bad_request", "task '" + task.id() + "' is not a tool task; it has no arguments to edit");
        }
        Optional<Tool> tool = tools.find(toolName);
        if (tool.isEmpty()) return;
        List<SchemaViolation> violations = JsonSchemaValidator.validate(tool.get().descriptor().parameters(), args);
        if (!violations.isEmpty()) {
            ArrayNode list = Json.array();
            violations.forEach(v -> list.addObject().put("path", v.path()).put("message", v.message()));
            ObjectNode details = Json.object();
            details.set("violations", list);
            throw new BatonException(Kind.UNPROCESSABLE, "args_invalid", "the edited arguments of task '" + task.id()
                    + "' break the schema of '" + toolName + "': " + describe(violations), details);
        }
    }

    private static String describe(List<SchemaViolation> violations) {
        StringBuilder text = new StringBuilder();
        for (SchemaViolation v : violations) {
            if (!text.isEmpty()) text.append("; ");
            text.append(v.path()).append(": ").append(v.message());
        }
        return text.toString();
    }

    private static TaskState requireTask(RunState run, String taskId) {
        TaskState task = run.task(taskId);
        if (task == null) throw new BatonException(Kind.NOT_FOUND, "not_found", "run '" + run.id() + "' has no task '" + taskId + "'");
        return task;
    }

    private static String key(String runId, String taskId) {
        return runId + '\u0000' + taskId;
    }

    private Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
