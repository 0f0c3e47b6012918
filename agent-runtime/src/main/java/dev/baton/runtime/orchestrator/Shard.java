package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.ContextCalls;
import dev.baton.runtime.agent.AgentLoop;
import dev.baton.runtime.agent.AgentResult;
import dev.baton.runtime.decider.CheckedPlan;
import dev.baton.runtime.decider.Command;
import dev.baton.runtime.decider.Decision;
import dev.baton.runtime.decider.Facts;
import dev.baton.runtime.decider.Input;
import dev.baton.runtime.decider.Lane;
import dev.baton.runtime.decider.Outcome;
import dev.baton.runtime.decider.RunDecider;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.runtime.telemetry.Tracing;
import dev.baton.tools.ToolContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
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
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The runs of one Vert.x context: it hands their inputs to the {@link RunDecider} and carries
 * the decisions out (the journal through its {@link DurableOutbox}, calls, timers, the planner).
 * A run belongs to one shard for its whole life (by its id), so its state is only ever touched
 * on that shard's thread; shards run side by side on the node's event loops.
 */
final class Shard implements SlotPool.Waiter {
    private static final Logger LOG = LoggerFactory.getLogger(Shard.class);

    /** What every shard of a node shares. */
    record Shared(Vertx vertx, Journal journal, OrchestratorOptions options, RunDecider decider, TaskExecutor executor,
                  WorkerExecutor reads, WorkerExecutor planning, OrchestratorMetrics metrics, SlotPool pool,
                  Map<String, String> setAside, RunPlacement placement, RunListeners listeners, Tracing tracing) {
    }

    private final Shared shared;
    private final Vertx vertx;
    private final OrchestratorOptions options;
    private final RunDecider decider;
    final Context context;
    private final RunCache runs;
    private final DurableOutbox outbox;
    private final CallSlots slots;

    private final Map<String, Future<RunState>> loading = new HashMap<>();
    /** Runs whose append failed: the next load from the journal picks them up where it left them. */
    private final Set<String> toResume = new HashSet<>();
    /** Runs dropped after a failed write, waiting to be loaded again ({@link #reloadDropped}). */
    private final Set<String> toReload = new LinkedHashSet<>();
    private boolean reloading;
    /** Runs whose planner is being asked for a new plan right now (a crash forgets this: recovery asks again). */
    private final Set<String> replanCalls = new HashSet<>();
    /** Runs whose final answer is being written right now. */
    private final Set<String> resultCalls = new HashSet<>();
    /** Timers armed and not yet due, so that a timer owed twice is armed once. */
    private final Set<TimerKey> timers = new HashSet<>();
    /** Callers of {@link #whenFinished}, by run. */
    private final Map<String, List<Promise<ObjectNode>>> finishWaiters = new HashMap<>();
    private boolean offering;
    private volatile boolean closed;
    /** Grows each time the node drops its runs ({@link #dropAll}): timers armed before are ignored when they come due. */
    private int generation;

    private record TimerKey(String runId, Command.ArmTimer timer) {
    }

    Shard(Shared shared, Context context) {
        this.shared = shared;
        this.vertx = shared.vertx();
        this.options = shared.options();
        this.decider = shared.decider();
        this.context = context;
        // The node's budget of parked runs, shared out.
        this.runs = new RunCache((options.parkedRunsInMemory() + options.shards() - 1) / options.shards(), this::pinned);
        this.slots = new CallSlots(vertx, shared.pool(), this);
        this.outbox = new DurableOutbox(context, shared.journal(), new DurableOutbox.Listener() {
            @Override
            public void durable(String runId, List<RunEvent> events) {
                RunState run = runs.get(runId);
                for (RunEvent event : events) {
                    shared.metrics().onDurable(event, run);
                    endRunSpan(runId, event.data());
                    vertx.eventBus().publish(Orchestrator.EVENTS_ADDRESS, event);
                }
                shared.listeners().durable(events);
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
        shared.pool().register(this);
    }

    // ------------------------------------------------------------------ what the orchestrator asks of a shard

    /** Runs {@code body} with the run on this shard's context, loading it from the journal if it is not in memory. */
    <T> Future<T> withRun(String runId, Function<RunState, Future<T>> body) {
        return onContext(() -> load(runId).compose(run -> {
            try {
                return body.apply(run);
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        })).compose(Function.identity());
    }

    /** Runs {@code body} on this shard's context; its exceptions fail the future. */
    <T> Future<T> onContext(java.util.concurrent.Callable<T> body) {
        if (closed) return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "shutting_down", "the server is shutting down"));
        return ContextCalls.call(context, body);
    }

    /** A new run, on this shard's context: it is held in memory from now on. */
    void adopt(RunState run) {
        runs.put(run);
    }

    /** Completes with {@code value} once the run's events decided so far are durable. */
    <T> Future<T> whenDurable(String runId, T value) {
        return outbox.whenDurable(runId, value);
    }

    void onDurable(String runId, DurableOutbox.Effect effect) {
        outbox.onDurable(runId, effect);
    }

    Future<ObjectNode> whenFinished(RunState run) {
        if (run.status().finished() && !outbox.pending(run.id())) return Future.succeededFuture(runJson(run));
        Promise<ObjectNode> promise = Promise.promise();
        finishWaiters.computeIfAbsent(run.id(), id -> new ArrayList<>(1)).add(promise);
        return promise.future();
    }

    boolean gated(dev.baton.runtime.run.TaskState task) {
        return decider.gated(task);
    }

    ObjectNode runJson(RunState run) {
        return RunJson.run(run, decider::gated);
    }

    long runsInMemory() {
        return runs.size();
    }

    int waitingForSlots() {
        return slots.waiting();
    }

    /** Whether the run is in memory here. On a node of a cluster, that means this node owns it. */
    boolean holds(String runId) {
        return runs.get(runId) != null;
    }

    /**
     * Forgets every run, writing nothing: the node lost its lease and others take its runs over.
     * Calls in flight are interrupted and their ends ignored (their slots are gone), timers armed
     * before are ignored, appends still queued fail (the journal refuses a fenced node) and their
     * runs are not loaded again (this node no longer owns them).
     */
    void dropAll(String why) {
        generation++;
        outbox.discardAll(new BatonException(Kind.UNAVAILABLE, "run_moved", why));
        runs.clear();
        slots.dropAll(why);
        timers.clear();
        toResume.clear();
        toReload.clear();
        replanCalls.clear();
        resultCalls.clear();
        BatonException moved = new BatonException(Kind.UNAVAILABLE, "run_moved", why);
        finishWaiters.values().forEach(waiters -> waiters.forEach(p -> p.tryFail(moved)));
        finishWaiters.clear();
    }

    /** Picks up runs replayed from the journal at start, or taken over; those that cannot resume are set aside. */
    int recover(List<RunState> recovered) {
        int resumed = 0;
        for (RunState run : recovered) {
            RunState held = runs.get(run.id());
            if (held != null) {
                // A command loaded it a moment ago, after this node claimed it: that copy is as new as the
                // journal's, or newer. What it owes (not owed twice: calls in flight and armed timers are known).
                try {
                    resume(held);
                    resumed++;
                } catch (RuntimeException e) {
                    LOG.error("run {} failed to resume", run.id(), e);
                }
                continue;
            }
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
        return resumed;
    }

    void setAside(String runId, String reason) {
        shared.setAside().put(runId, reason);
        runs.drop(runId);
        LOG.error("run {} is set aside and will not run: {}. The server starts and serves the other runs;"
                + " the run's events stay in the journal untouched.", runId, reason);
    }

    /** Stops taking work; completes once the events queued are written. */
    java.util.concurrent.CompletableFuture<Void> close() {
        closed = true;
        return outbox.drain();
    }

    // ------------------------------------------------------------------ decide, then do

    /**
     * Hands an input to the decider and carries out its decision. A request the decider refuses
     * throws, having changed nothing.
     */
    void decide(RunState run, Input input) {
        try (var scope = dev.baton.runtime.LogContext.run(run.id(), null, run.traceId())) {
            carryOut(run, decideSafely(run, () -> decider.on(run, input, facts(run.id()))));
        }
    }

    /**
     * A decider that fails after folding events into the run (a bug) leaves memory ahead of what
     * will ever be written: the run is rebuilt from the journal once what was queued is written.
     */
    private Decision decideSafely(RunState run, Supplier<Decision> decision) {
        long seq = run.lastSeq();
        try {
            return decision.get();
        } catch (RuntimeException e) {
            if (run.lastSeq() != seq) {
                LOG.error("deciding on run {} failed half-way; the run is rebuilt from the journal", run.id(), e);
                runs.drop(run.id());
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
        offer();
    }

    private void execute(RunState run, Command command) {
        String runId = run.id();
        if (command instanceof Command.StartTool start) {
            startTool(runId, run.traceParent(), start);
        } else if (command instanceof Command.StartAgent start) {
            startAgent(runId, run.traceParent(), start);
        } else if (command instanceof Command.AwaitSlot await) {
            slots.await(runId, await.taskId(), await.rerunAttempt());
        } else if (command instanceof Command.ArmTimer timer) {
            arm(runId, timer);
        } else if (command instanceof Command.Interrupt interrupt) {
            slots.stop(runId, interrupt.taskId(), interrupt.why());
        } else if (command instanceof Command.AskPlanner ask) {
            GoalPlanner planner = options.planner();
            shared.planning().<Checked>executeBlocking(inRun(run, () -> checked(planner.plan(ask.request()))), false)
                    .onComplete(result -> withRun(runId, planned -> {
                        Checked answer = result.result();
                        decide(planned, new Input.Planned(answer == null ? null : answer.proposed(), result.cause(),
                                answer == null ? null : answer.plan()));
                        return Future.succeededFuture();
                    }).onFailure(this::logCallbackFailure));
        } else if (command instanceof Command.AskReplanner ask) {
            if (!replanCalls.add(runId)) return;
            GoalPlanner planner = options.planner();
            shared.planning().<Checked>executeBlocking(inRun(run, () -> checked(planner.replan(ask.request()))), false)
                    .onComplete(result -> withRun(runId, replanned -> {
                        replanCalls.remove(runId);
                        Checked answer = result.result();
                        decide(replanned, new Input.Replanned(answer == null ? null : answer.proposed(), result.cause(),
                                ask.messagesSeen(), answer == null ? null : answer.plan()));
                        return Future.succeededFuture();
                    }).onFailure(e -> {
                        context.runOnContext(v -> replanCalls.remove(runId));
                        logCallbackFailure(e);
                    }));
        } else if (command instanceof Command.WriteAnswer write) {
            if (!resultCalls.add(runId)) return;
            // The pieces go out on the bus as they stream, not through the journal: only the whole answer is kept.
            AnswerDeltas deltas = new AnswerDeltas(vertx, runId);
            shared.planning().<String>executeBlocking(inRun(run, () -> options.resultWriter().answer(write.request(), deltas)), false)
                    .onComplete(answer -> withRun(runId, done -> {
                        resultCalls.remove(runId);
                        decide(done, new Input.AnswerWritten(answer.result(), answer.cause()));
                        return Future.succeededFuture();
                    }).onFailure(e -> {
                        context.runOnContext(v -> resultCalls.remove(runId));
                        logCallbackFailure(e);
                    }));
        }
    }

    /** A planner's answer, and its plan checked here, on the planner's thread (null if it does not pass: the decider says why). */
    private record Checked(GoalPlanner.ProposedPlan proposed, CheckedPlan plan) {
    }

    private Checked checked(GoalPlanner.ProposedPlan proposed) {
        try {
            return new Checked(proposed, decider.plans().check(proposed.plan()));
        } catch (RuntimeException invalid) {
            return new Checked(proposed, null); // checked again by the decider, which says why it is refused
        }
    }

    @Override
    public boolean waiting() {
        return slots.waiting() > 0;
    }

    /** Another shard freed a slot: offer it to the tasks waiting here, on this shard's context. */
    @Override
    public void wake() {
        context.runOnContext(v -> offer());
    }

    /** Starts tasks that waited for a call slot, while slots are free. */
    private void offer() {
        if (offering || closed) return;
        offering = true;
        try {
            CallSlots.Waiting next;
            while ((next = slots.nextWaiting()) != null) {
                RunState run = runs.get(next.runId());
                if (run != null) decide(run, new Input.SlotFree(next.taskId(), next.rerunAttempt()));
            }
        } finally {
            offering = false;
        }
    }

    // ------------------------------------------------------------------ calls

    private void startTool(String runId, String traceParent, Command.StartTool start) {
        CallSlots.Slot slot = slots.hold(runId, start.taskId(), start.lane(), start.attempt());
        ToolContext toolContext = new ToolContext(runId, start.taskId(), start.attempt(), start.idempotencyKey(), start.deadline());
        String toolName = start.tool().descriptor().name();
        if (!start.tool().blocks()) {
            // It answers at once from memory (Tool.blocks): called here, with no thread hand-off and no timer.
            whenStartIsDurable(runId, start.taskId(), slot, () -> {
                slot.span = shared.tracing().taskStarted(traceParent, runId, start.taskId(), start.attempt(), lane(start.lane()), "tool", toolName);
                long startedNanos = System.nanoTime();
                Outcome outcome;
                try (Scope ignored = slot.span.makeCurrent()) {
                    outcome = writable(traced(start.tool(), start.args(), toolContext));
                }
                shared.metrics().recordCall("tool", toolName, System.nanoTime() - startedNanos, outcome instanceof Outcome.Failure);
                callEnded(runId, new Input.CallEnded(start.taskId(), start.lane(), start.attempt(), outcome));
            });
            return;
        }
        whenStartIsDurable(runId, start.taskId(), slot, () -> {
            slot.span = shared.tracing().taskStarted(traceParent, runId, start.taskId(), start.attempt(), lane(start.lane()), "tool", toolName);
            slot.call = shared.executor().submit("tool", toolName, runId, start.taskId(), start.attempt(),
                    io.opentelemetry.context.Context.root().with(slot.span).wrap(() -> traced(start.tool(), start.args(), toolContext)));
            watch(runId, start.taskId(), start.lane(), start.attempt(), slot, start.timeout(), "tool", toolName,
                    new Outcome.Failure("timeout", "no answer within " + start.timeout(), true, null));
        });
    }

    /**
     * Calls a tool in a span of its own ({@code execute_tool}), a child of the current one (its task
     * attempt's), and hands the tool that span's trace context to pass on.
     */
    private Outcome traced(dev.baton.tools.BatonTool tool, com.fasterxml.jackson.databind.JsonNode args, ToolContext toolContext) {
        Span span = shared.tracing().toolCallStarted(tool.descriptor().name(), null);
        try (Scope ignored = span.makeCurrent()) {
            Map<String, String> headers = Tracing.headers(io.opentelemetry.context.Context.current());
            Outcome outcome = TaskExecutor.invoke(tool, args, headers.isEmpty() ? toolContext : toolContext.withTraceHeaders(headers));
            if (outcome instanceof Outcome.Failure failure) Tracing.end(span, failure.code(), failure.message());
            else Tracing.end(span, null, null);
            return outcome;
        } catch (RuntimeException e) {
            Tracing.end(span, "internal_error", e.toString());
            throw e;
        }
    }

    private static String lane(Lane lane) {
        return lane.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Runs {@code work} (a planner's, the answer's writer) inside the run's trace: its model calls are children of the run's span. */
    private static <T> java.util.concurrent.Callable<T> inRun(RunState run, java.util.concurrent.Callable<T> work) {
        String traceParent = run.traceParent();
        return traceParent == null ? work : Tracing.parent(traceParent).wrap(work);
    }

    /** The run's span, if this process started it and holds it open, ends with the run. */
    private void endRunSpan(String runId, dev.baton.runtime.event.EventData data) {
        if (data instanceof dev.baton.runtime.event.EventData.RunSucceeded) {
            shared.tracing().runFinished(runId, RunStatus.SUCCEEDED.name(), null);
        } else if (data instanceof dev.baton.runtime.event.EventData.RunFailed failed) {
            shared.tracing().runFinished(runId, RunStatus.FAILED.name(), failed.error() == null ? "run_failed" : failed.error().code());
        } else if (data instanceof dev.baton.runtime.event.EventData.RunCancelled) {
            shared.tracing().runFinished(runId, RunStatus.CANCELLED.name(), null);
        } else if (data instanceof dev.baton.runtime.event.EventData.CompensationFailed failed) {
            shared.tracing().runFinished(runId, RunStatus.COMPENSATION_FAILED.name(), failed.error() == null ? "compensation_failed" : failed.error().code());
        }
    }

    /**
     * Runs an agent loop on the task threads; each of its model and tool calls comes back as an {@link Input.AgentStep}.
     * The loop runs inside its attempt's span, so the model calls it makes through the gateway and its tool calls are children of it.
     */
    private void startAgent(String runId, String traceParent, Command.StartAgent start) {
        String taskId = start.taskId();
        Duration timeout = start.agent().limits().timeout();
        CallSlots.Slot slot = slots.hold(runId, taskId, start.lane(), start.attempt());
        whenStartIsDurable(runId, taskId, slot, () -> {
            slot.span = shared.tracing().taskStarted(traceParent, runId, taskId, start.attempt(), lane(start.lane()), "agent",
                    start.agent().name());
            slot.call = shared.executor().submit("agent", start.agent().name(), runId, taskId, start.attempt(),
                    io.opentelemetry.context.Context.root().with(slot.span).wrap(() -> {
                AgentLoop loop = new AgentLoop(options.models().model(runId, taskId), decider.tools(),
                        event -> context.runOnContext(v -> agentStep(runId, new Input.AgentStep(taskId, start.lane(),
                                start.attempt(), start.agent().name(), event))),
                        options.clock(), options.defaultToolTimeout(), shared.tracing());
                AgentResult result = loop.run(start.request());
                if (result instanceof AgentResult.Answered answered) return new Outcome.Success(answered.output());
                if (result instanceof AgentResult.NeedsApproval needs) return new Outcome.ApprovalNeeded(needs.tool(), needs.args());
                AgentResult.Failed failed = (AgentResult.Failed) result;
                return new Outcome.Failure(failed.code(), failed.message(), failed.retryable(), null);
            }));
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
            shared.metrics().recordCall(kind, name, System.nanoTime() - startedNanos, outcome == null || outcome instanceof Outcome.Failure);
            // Checked here, on the call's thread, before any event carries the output.
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
     * A success whose output Jackson cannot write becomes a failed attempt before any event
     * carries it: otherwise the journal would refuse the event and the run would be rebuilt and
     * call the tool again, forever.
     */
    static Outcome writable(Outcome outcome) {
        if (!(outcome instanceof Outcome.Success success) || success.output() == null) return outcome;
        if (!holdsObjects(success.output())) return outcome; // a plain tree always writes: no need to write it twice
        try {
            Json.MAPPER.writeValueAsBytes(success.output());
            return outcome;
        } catch (Exception e) {
            return new Outcome.Failure("output_invalid", "the output cannot be written as JSON: " + e.getMessage(), false, null);
        }
    }

    /** Whether the tree holds a node Jackson writes through a class of the tool's (a POJO) or not at all (a missing node). */
    private static boolean holdsObjects(com.fasterxml.jackson.databind.JsonNode node) {
        if (node.isPojo() || node.isMissingNode()) return true;
        if (node.isContainerNode()) {
            for (com.fasterxml.jackson.databind.JsonNode child : node) if (holdsObjects(child)) return true;
        }
        return false;
    }

    /** A call ended (or timed out). Late answers of an attempt already given up on are ignored. */
    private void callEnded(String runId, Input.CallEnded ended) {
        // Calls interrupted by a shutdown stay RUNNING in the journal and run again, with the same key, at the next start.
        if (closed) return;
        CallSlots.Slot slot = slots.get(runId, ended.taskId());
        if (slot == null || slot.attempt != ended.attempt() || slot.lane != ended.lane()) return;
        slots.release(runId, ended.taskId(), slot);
        if (slot.timer >= 0) vertx.cancelTimer(slot.timer);
        if (ended.outcome() instanceof Outcome.Failure failure) slot.endSpan(failure.code(), failure.message());
        else slot.endSpan(null, null);
        if (ended.outcome() instanceof Outcome.Failure failure && (failure.code().equals("timeout") || failure.code().equals("agent_timeout"))
                && slot.call != null) {
            slot.call.interrupt("it timed out");
        }
        RunState run = runs.get(runId);
        if (run != null) decide(run, ended);
        offer();
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
        int armedIn = generation;
        vertx.setTimer(delay, id -> {
            if (closed || armedIn != generation) return;
            timers.remove(key);
            withRun(runId, run -> {
                decide(run, new Input.TimerDue(timer.taskId(), timer.kind(), timer.at()));
                return Future.succeededFuture();
            }).onFailure(this::logCallbackFailure);
        });
    }

    private void logCallbackFailure(Throwable error) {
        if (error instanceof BatonException b && b.kind() == Kind.UNAVAILABLE) {
            // The journal is away, or the run is no longer this node's: what is owed is carried out once it is back, or by its owner.
            LOG.warn("a timer or a planner's answer could not be handled now: {}", b.getMessage());
            return;
        }
        LOG.error("a timer or a planner's answer could not be handled", error);
    }

    // ------------------------------------------------------------------ loading, rebuilding

    /** Picks a run replayed from the journal up where the journal left it: what it still owes is carried out. */
    private void resume(RunState run) {
        carryOut(run, decideSafely(run, () -> decider.owed(run, facts(run.id()))));
    }

    private BatonException unreadable(String runId, RuntimeException cause) {
        String reason = shared.setAside().getOrDefault(runId, String.valueOf(cause.getMessage()));
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
        RunPlacement placement = shared.placement();
        if (placement != null && (!placement.writable() || refusedAsFenced(error))) {
            // Fenced: the run is no longer this node's to rebuild; its new owner (maybe this node, rejoined) replays it.
            runs.drop(runId);
            slots.dropRun(runId, "this node lost its lease");
            return;
        }
        LOG.error("the journal failed to write {} events of run {}; the run is rebuilt from the journal and goes on from"
                + " what is durable: {}", lostEvents, runId, error.toString());
        shared.metrics().runRebuilds.increment();
        runs.drop(runId);
        slots.dropRun(runId, "its run is rebuilt from the journal after a failed write");
        toResume.add(runId);
        toReload.add(runId);
        reloadDropped(0);
        offer();
    }

    private static boolean refusedAsFenced(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof dev.baton.runtime.journal.WriteFence.Fenced) return true;
        }
        return false;
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
            if (error != null && !(error instanceof BatonException e && (e.kind() == Kind.NOT_FOUND || "not_owner".equals(e.code())))
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

    private boolean pinned(RunState run) {
        return outbox.pending(run.id())
                || slots.inFlight(run.id()) > 0
                || run.count(TaskStatus.READY) > 0
                || run.status() == RunStatus.PLANNING || run.status() == RunStatus.REPLANNING
                || resultCalls.contains(run.id());
    }

    private Future<RunState> load(String runId) {
        RunState cached = runs.get(runId);
        if (cached != null) return Future.succeededFuture(cached);
        Future<RunState> pending = loading.get(runId);
        if (pending != null) return pending;
        RunPlacement placement = shared.placement();
        int loadedIn = generation;
        Future<RunState> loaded = shared.reads().executeBlocking(() -> {
                    // On a node of a cluster, only the owner acts on a run: another node's run is never loaded to act on.
                    if (placement != null && !(placement.locate(runId) instanceof RunPlacement.Place.Here)) {
                        throw new BatonException(Kind.UNAVAILABLE, "not_owner", "this node does not own run '" + runId + "'");
                    }
                    return shared.journal().events(runId, 0);
                }, false)
                .compose(events -> onContext(() -> {
                    loading.remove(runId);
                    if (loadedIn != generation) {
                        // The node dropped its runs meanwhile (it lost its lease): this one is not its to hold.
                        throw new BatonException(Kind.UNAVAILABLE, "not_owner", "this node no longer owns run '" + runId + "'");
                    }
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
                    // A SUCCEEDED run is not among the unfinished runs recovery replays at start: an answer
                    // a crash cut off (no call of this process writes it) is asked again when the run is next read.
                    else if (run.status() == RunStatus.SUCCEEDED && run.answerStatus() == RunState.AnswerStatus.WRITING
                            && !resultCalls.contains(runId)) resume(run);
                    runs.reweigh(run); // a finished run read for its state is not kept (see RunCache)
                    return run;
                }));
        loading.put(runId, loaded);
        loaded.onFailure(e -> context.runOnContext(v -> loading.remove(runId)));
        return loaded;
    }

    private Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
