package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.TaskAction;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.UnwindingOutcome;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.run.Joins;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.SideCall;
import dev.baton.runtime.run.TaskState;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.tools.ToolRegistry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Decides what happens to a run: given its state, an {@link Input} and the shell's
 * {@link Facts}, it returns the events to append and the {@link Command}s to carry out. It does
 * no I/O and reads no clock but the facts' {@code now}: the same state and input always give
 * the same decision, so decisions are tested as tables (see {@code RunDeciderTest}).
 *
 * <p>Recovery is replay plus {@link #owed}: what a state replayed from the journal still owes
 * (timers to arm, calls cut off to make again, a planner to ask). The live path leans on the
 * same method where a run resumes after a failed replan, so there is one way to pick a run up.
 *
 * <p>The rules live in small classes by job, sharing this one's settings: {@link Attempts}
 * (every lane's attempt lifecycle), {@link Planning} (plans, replans, the final answer) and
 * {@link Unwinding} (compensations). The decider folds the events it decides into the
 * {@link RunState} it is given, which belongs to the caller's thread.
 */
public final class RunDecider {
    final OrchestratorOptions options;
    final ToolRegistry tools;
    final PlanCheck plans;
    final Gates gates;
    final Attempts attempts;
    final Planning planning;
    final Unwinding unwinding;

    public RunDecider(OrchestratorOptions options, ToolRegistry tools, PlanCheck plans) {
        this.options = options;
        this.tools = tools;
        this.plans = plans;
        this.gates = new Gates(options, tools);
        this.attempts = new Attempts(this);
        this.planning = new Planning(this);
        this.unwinding = new Unwinding(this);
    }

    /** How plans are checked: the shell checks a planner's plan with it off the run's thread. */
    public PlanCheck plans() {
        return plans;
    }

    public ToolRegistry tools() {
        return tools;
    }

    /** Whether the task needs a person's approval by its plan or its tool (the approval policy aside): for the API's view. */
    public boolean gated(TaskState task) {
        return gates.gated(task);
    }

    /**
     * Decides on an input.
     *
     * @throws BatonException when a person's request does not fit the run (a conflict, bad
     *                        arguments): nothing was decided then, and the run is unchanged
     */
    public Decision on(RunState run, Input input, Facts facts) {
        Turn t = new Turn(run, facts);
        if (input instanceof Input.Create c) create(t, c);
        else if (input instanceof Input.Planned p) planning.planned(t, p);
        else if (input instanceof Input.Replanned r) planning.replanned(t, r);
        else if (input instanceof Input.AnswerWritten a) planning.answerWritten(t, a);
        else if (input instanceof Input.CallEnded c) callEnded(t, c);
        else if (input instanceof Input.AgentStep s) attempts.agentStep(t, s);
        else if (input instanceof Input.TimerDue d) timerDue(t, d);
        else if (input instanceof Input.SlotFree s) slotFree(t, s);
        else if (input instanceof Input.DecideApproval d) decideApproval(t, d);
        else if (input instanceof Input.DecidePlan d) decidePlan(t, d);
        else if (input instanceof Input.Cancel c) cancel(t, c);
        else if (input instanceof Input.RetryTask r) retryTask(t, r);
        else if (input instanceof Input.RetryCompensation r) unwinding.retry(t, r);
        else if (input instanceof Input.Message m) planning.message(t, m);
        else if (input instanceof Input.ModelCallMade m) t.emit(m.call());
        else throw new IllegalArgumentException("no rule for input " + input);
        return t.decision();
    }

    /**
     * What a run as the journal left it still owes: timers to arm again for their original time,
     * calls cut off by a crash to make again with the same idempotency key, a planner to ask, a
     * compensation to go on with. Recovery replays a run and carries this out.
     */
    public Decision owed(RunState run, Facts facts) {
        Turn t = new Turn(run, facts);
        owed(t);
        return t.decision();
    }

    void owed(Turn t) {
        RunState run = t.run;
        switch (run.status()) {
            case PLANNING -> planning.resumePlanning(t);
            case REPLANNING -> {
                // Replan again. Calls cut off are not made first: a new plan cancels them, a failed
                // replan makes them again (see Planning.replanned, which comes back here).
                for (TaskState task : run.tasks()) {
                    if (task.status() == TaskStatus.WAITING_APPROVAL) armExpiry(t, task);
                    else if (task.status() == TaskStatus.RUNNING && task.spec().action() instanceof TaskAction.Wait) armWait(t, task);
                }
                planning.maybeReplan(t);
            }
            case COMPENSATING -> unwinding.next(t);
            case RUNNING -> owedRunning(t);
            case SUCCEEDED -> planning.resumeAnswer(t);
            default -> {
            }
        }
    }

    /** What a RUNNING run owes, task by task; also how a run goes on after a failed replan. */
    void owedRunning(Turn t) {
        RunState run = t.run;
        List<String> pending = new ArrayList<>();
        for (TaskState task : run.tasks()) {
            switch (task.status()) {
                case PENDING -> pending.add(task.id());
                case FAILED -> {
                    // Failed for good just before the crash, with its fallback not begun yet.
                    if (Attempts.fallbackDue(run, task)) attempts.startFallback(t, task);
                }
                case READY -> onReady(t, task);
                case RUNNING -> {
                    if (task.spec().action() instanceof TaskAction.Wait) {
                        armWait(t, task);
                    } else if (t.inFlight(task.id())) {
                        // still being called: nothing owed
                    } else if (!t.slotFree()) {
                        t.command(new Command.AwaitSlot(task.id(), task.totalAttempts()));
                    } else {
                        attempts.rerun(t, task);
                    }
                }
                case RETRY_WAIT -> t.command(new Command.ArmTimer(task.id(), TimerKind.RETRY, task.retryAt()));
                case WAITING_APPROVAL -> armExpiry(t, task);
                default -> {
                }
            }
        }
        advance(t, pending);
    }

    private static void armWait(Turn t, TaskState task) {
        t.command(new Command.ArmTimer(task.id(), TimerKind.WAIT_OVER, task.deadline()));
    }

    private static void armExpiry(Turn t, TaskState task) {
        Instant expiresAt = task.approval().expiresAt();
        if (expiresAt != null && !task.approval().escalated()) {
            t.command(new Command.ArmTimer(task.id(), TimerKind.APPROVAL_EXPIRY, expiresAt));
        }
    }

    // ------------------------------------------------------------------ a new run

    private void create(Turn t, Input.Create c) {
        Origin origin = c.origin() == null ? Origin.fromMarks(c.options()) : c.origin();
        t.emit(new EventData.RunCreated(c.goal(), c.input() == null ? Json.object() : c.input(), origin.markOptions(c.options()),
                c.idempotencyKey(), c.requestHash(), origin, c.traceParent()));
        CheckedPlan plan = c.plan();
        if (plan == null) {
            planning.askPlanner(t);
        } else if (Planning.planApprovalRequested(t.run)) {
            t.emit(new EventData.PlanProposed(1, planJson(t.run, plan), "client", true));
        } else {
            t.emit(new EventData.PlanAccepted(1, planJson(t.run, plan)));
            advance(t, plan.plan().byId().keySet());
        }
    }

    /** The plan's JSON for an event about to be emitted; the run takes the parsed plan as it is (see {@link RunState#knowPlan}). */
    static JsonNode planJson(RunState run, CheckedPlan plan) {
        run.knowPlan(plan.json(), plan.plan());
        return plan.json();
    }

    // ------------------------------------------------------------------ the scheduler

    /**
     * Moves PENDING tasks among {@code candidates} forward: a task whose dependencies all
     * succeeded becomes READY; one with a dependency that failed, was rejected, skipped or
     * cancelled is SKIPPED, and so are its dependants in turn. Then the run may be complete.
     */
    void advance(Turn t, Collection<String> candidates) {
        t.toAdvance.addAll(candidates);
        // Starting a task can finish it at once (a zero-length wait, an unknown tool), which
        // advances its dependants in turn: queue instead of recursing, or a long chain would
        // overflow the stack.
        if (t.advancing) return;
        t.advancing = true;
        try {
            String next;
            while ((next = t.toAdvance.poll()) != null) step(t, next);
            checkCompletion(t);
        } finally {
            t.advancing = false;
        }
    }

    private void step(Turn t, String taskId) {
        RunState run = t.run;
        if (run.status() != RunStatus.RUNNING) return;
        TaskState task = run.task(taskId);
        if (task == null || task.status() != TaskStatus.PENDING) return;
        Joins.Decision decision = Joins.decide(run, task);
        if (decision instanceof Joins.Skip skip) {
            t.emit(new EventData.TaskSkipped(task.id(), skip.reason()));
            t.toAdvance.addAll(run.dependantsOf(task.id()));
        } else if (decision instanceof Joins.Ready) {
            t.emit(new EventData.TaskReady(task.id()));
            onReady(t, task);
        }
    }

    /** A READY task: ask for approval if it is gated and not yet approved, else start it when a slot is free. */
    void onReady(Turn t, TaskState task) {
        if (task.status() != TaskStatus.READY || t.run.status() != RunStatus.RUNNING) return;
        boolean approved = task.approval() != null && task.approval().approved();
        String policyGate = approved || gates.gated(task) ? null : gates.policyGate(t.run, task);
        if ((gates.gated(task) || policyGate != null) && !approved) {
            requestApproval(t, task, null, null, policyGate);
        } else if (!(task.spec().action() instanceof TaskAction.Wait) && !t.slotFree()) {
            t.command(new Command.AwaitSlot(task.id(), 0));
        } else {
            attempts.start(t, task);
        }
    }

    private void slotFree(Turn t, Input.SlotFree s) {
        TaskState task = t.run.task(s.taskId());
        if (task == null || t.run.status() != RunStatus.RUNNING) return;
        if (s.rerunAttempt() > 0) {
            if (task.status() == TaskStatus.RUNNING && task.totalAttempts() == s.rerunAttempt() && !t.inFlight(task.id())) {
                attempts.rerun(t, task);
            }
        } else if (task.status() == TaskStatus.READY) {
            attempts.start(t, task);
        }
    }

    /**
     * A task reached an end state: move its dependants on, perhaps finish the run. This does
     * not wait for the end state to be durable. The journal is one ordered queue, so a
     * dependant's start can never be durable without the success it follows; if the process
     * dies in between, recovery sees neither and both run again with their idempotency keys,
     * which is the at-least-once contract of a running task.
     */
    void onTaskFinished(Turn t, String taskId) {
        RunState run = t.run;
        TaskState task = run.task(taskId);
        if (task != null && task.status() == TaskStatus.FAILED && run.status() == RunStatus.RUNNING && planning.replanAllowed(run)
                && !task.spec().flow().continueOnError()) {
            // Instead of skipping the dependants: stop starting tasks, and replan once the running ones are done.
            String detail = task.error() == null ? "" : ": " + task.error().message();
            t.emit(new EventData.ReplanStarted("task_failed", "task '" + taskId + "' failed" + detail, List.of(taskId)));
            planning.maybeReplan(t);
            return;
        }
        advance(t, run.dependantsOf(taskId));
    }

    private void checkCompletion(Turn t) {
        RunState run = t.run;
        if (run.status() != RunStatus.RUNNING || !run.allTasksFinished()) return;
        TaskState failing = Joins.failing(run);
        if (failing != null) {
            unwinding.unwind(t, new EventData.RunUnwinding(UnwindingOutcome.FAILED, Joins.runError(failing, planning.replanNote(run)), null, null));
            return;
        }
        ObjectNode outputs = Json.object();
        for (TaskState task : run.tasks()) {
            if (run.dependantsOf(task.id()).isEmpty() && task.status() == TaskStatus.SUCCEEDED) outputs.set(task.id(), task.output());
        }
        ObjectNode result = Json.object();
        result.set("outputs", outputs);
        // The run succeeds now, whatever it asked of a model: the answer, if any, follows as its own events.
        boolean answering = planning.answerWanted(run);
        t.emit(new EventData.RunSucceeded(result, answering));
        if (answering) planning.writeAnswer(t);
    }

    // ------------------------------------------------------------------ calls and timers

    private void callEnded(Turn t, Input.CallEnded c) {
        RunState run = t.run;
        TaskState task = run.task(c.taskId());
        if (task != null) {
            switch (c.lane()) {
                case COMPENSATION -> {
                    SideCall call = task.compensation();
                    if (run.status() == RunStatus.COMPENSATING && call != null && call.status() == SideCall.Status.RUNNING
                            && call.totalAttempts() == c.attempt()) {
                        attempts.ended(t, task, Lane.COMPENSATION, c.attempt(), c.outcome());
                    }
                }
                case FALLBACK -> {
                    if (task.inFallback() && task.status() == TaskStatus.RUNNING && task.fallback().totalAttempts() == c.attempt()) {
                        attempts.ended(t, task, Lane.FALLBACK, c.attempt(), c.outcome());
                    }
                }
                case TASK -> {
                    if (!task.inFallback() && task.status() == TaskStatus.RUNNING && task.totalAttempts() == c.attempt()) {
                        attempts.ended(t, task, Lane.TASK, c.attempt(), c.outcome());
                    }
                }
            }
        }
        if (run.status() == RunStatus.REPLANNING) planning.maybeReplan(t);
    }

    private void timerDue(Turn t, Input.TimerDue d) {
        RunState run = t.run;
        TaskState task = run.task(d.taskId());
        if (task == null) return;
        switch (d.kind()) {
            case WAIT_OVER -> {
                if (task.status() == TaskStatus.RUNNING && d.at().equals(task.deadline())
                        && task.spec().action() instanceof TaskAction.Wait) {
                    attempts.ended(t, task, Lane.TASK, task.totalAttempts(), new Outcome.Success(null));
                }
            }
            case RETRY -> {
                if (task.status() == TaskStatus.RETRY_WAIT && d.at().equals(task.retryAt()) && run.status() == RunStatus.RUNNING) {
                    if (task.inFallback()) {
                        attempts.startFallback(t, task);
                    } else {
                        t.emit(new EventData.TaskReady(task.id()));
                        onReady(t, task);
                    }
                }
            }
            case COMPENSATION_RETRY -> {
                SideCall call = task.compensation();
                if (run.status() == RunStatus.COMPENSATING && call != null && call.status() == SideCall.Status.RETRY_WAIT
                        && d.at().equals(call.retryAt())) {
                    attempts.startCompensation(t, task, call.totalAttempts() + 1);
                }
            }
            case APPROVAL_EXPIRY -> {
                if (task.status() != TaskStatus.WAITING_APPROVAL || task.approval().escalated()
                        || !d.at().equals(task.approval().expiresAt())) {
                    return;
                }
                if (task.approval().onTimeout() == ExpiryPolicy.ESCALATE) {
                    t.emit(new EventData.ApprovalEscalated(task.id()));
                } else {
                    t.emit(new EventData.ApprovalExpired(task.id()));
                    onTaskFinished(t, task.id());
                }
            }
        }
    }

    // ------------------------------------------------------------------ approvals

    /**
     * Asks a person: with {@code agentTool}, an agent proposed a call of that gated tool with
     * {@code agentArgs}; with {@code policyGate}, the approval policy's reason, shown in the title.
     */
    void requestApproval(Turn t, TaskState task, String agentTool, JsonNode agentArgs, String policyGate) {
        JsonNode args = agentTool != null ? agentArgs : task.approvedArgs();
        String toolName = agentTool;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            toolName = call.tool();
            if (args == null) args = Gates.resolvedArgs(t.run, call);
        }
        var spec = task.spec().approval();
        java.time.Duration timeout = spec != null && spec.timeout() != null ? spec.timeout() : options.defaultApprovalTimeout();
        Instant expiresAt = timeout == null ? null : t.now.plus(timeout);
        ExpiryPolicy onTimeout = spec == null ? ExpiryPolicy.REJECT : spec.onTimeout();
        String title = policyGate == null ? task.spec().title() : task.spec().title() + " (review: " + policyGate + ")";
        t.emit(new EventData.ApprovalRequested(task.id(), title, toolName, args, expiresAt, onTimeout));
        if (expiresAt != null) t.command(new Command.ArmTimer(task.id(), TimerKind.APPROVAL_EXPIRY, expiresAt));
    }

    private void decideApproval(Turn t, Input.DecideApproval d) {
        TaskState task = requireTask(t.run, d.taskId());
        if (task.status() != TaskStatus.WAITING_APPROVAL) {
            throw BatonException.conflict("task '" + task.id() + "' is not waiting for approval (it is " + task.status() + ")");
        }
        if (task.approval().escalated() && !d.admin()) {
            throw new BatonException(Kind.FORBIDDEN, "forbidden", "the approval of task '" + task.id()
                    + "' expired and was escalated: only an admin may decide it now");
        }
        JsonNode args = d.args();
        if (args != null) {
            if (!d.approve()) throw new BatonException(Kind.INVALID, "bad_request", "field 'args' is only allowed when approving");
            gates.checkEditedArgs(task, args);
        }
        t.emit(new EventData.ApprovalDecided(task.id(), Verdict.of(d.approve()), d.by(), d.comment(), args));
        if (d.approve()) onReady(t, task); else onTaskFinished(t, task.id());
    }

    private void decidePlan(Turn t, Input.DecidePlan d) {
        RunState run = t.run;
        if (run.status() != RunStatus.AWAITING_PLAN_APPROVAL) {
            throw BatonException.conflict("run '" + run.id() + "' is " + run.status() + ", not AWAITING_PLAN_APPROVAL");
        }
        if (!d.approve()) {
            if (d.editedPlan() != null) throw new BatonException(Kind.INVALID, "bad_request", "field 'plan' is only allowed when approving");
            for (TaskState task : run.tasks()) t.emit(new EventData.TaskCancelled(task.id()));
            t.emit(new EventData.RunCancelled(d.by(), "plan rejected" + (d.comment() == null ? "" : ": " + d.comment())));
            return;
        }
        CheckedPlan plan = d.editedPlan() == null ? new CheckedPlan(run.plan(), PlanWriter.toJson(run.plan())) : plans.check(d.editedPlan());
        t.emit(new EventData.PlanAccepted(run.planVersion() + (d.editedPlan() == null ? 0 : 1), planJson(run, plan)));
        advance(t, plan.plan().byId().keySet());
    }

    // ------------------------------------------------------------------ people's requests

    private void cancel(Turn t, Input.Cancel c) {
        RunState run = t.run;
        if (run.status().finished()) {
            throw BatonException.conflict("run '" + run.id() + "' has already finished (" + run.status() + ") and cannot be cancelled");
        }
        if (run.status() == RunStatus.COMPENSATING) {
            throw BatonException.conflict("run '" + run.id() + "' is already unwinding (COMPENSATING) and ends CANCELLED or FAILED once undone");
        }
        for (TaskState task : run.tasks()) {
            if (task.status().finished()) continue;
            if (t.inFlight(task.id())) t.command(new Command.Interrupt(task.id(), "its run was cancelled"));
            t.emit(new EventData.TaskCancelled(task.id()));
        }
        unwinding.unwind(t, new EventData.RunUnwinding(UnwindingOutcome.CANCELLED, null, c.by(), null));
    }

    private void retryTask(Turn t, Input.RetryTask r) {
        RunState run = t.run;
        TaskState task = requireTask(run, r.taskId());
        if (task.status() != TaskStatus.FAILED) {
            throw BatonException.conflict("task '" + r.taskId() + "' is " + task.status() + "; only a FAILED task can be retried");
        }
        if (run.status() == RunStatus.CANCELLED) {
            throw BatonException.conflict("run '" + run.id() + "' was cancelled; its tasks cannot be retried");
        }
        if (run.unwinding() != null) {
            throw BatonException.conflict("run '" + run.id() + "' is " + run.status() + " after unwinding its completed tasks;"
                    + " its tasks cannot be retried (start a new run)");
        }
        if (run.status() == RunStatus.REPLANNING) {
            throw BatonException.conflict("run '" + run.id() + "' is REPLANNING; its failed tasks are being planned around");
        }
        if (run.status().finished()) t.emit(new EventData.RunReopened(r.by(), "retry of task '" + r.taskId() + "'"));
        t.emit(new EventData.TaskRetryRequested(r.taskId(), r.by()));
        advance(t, List.of(r.taskId()));
    }

    static TaskState requireTask(RunState run, String taskId) {
        TaskState task = run.task(taskId);
        if (task == null) throw new BatonException(Kind.NOT_FOUND, "not_found", "run '" + run.id() + "' has no task '" + taskId + "'");
        return task;
    }

    static Failure failure(Outcome.Failure failure) {
        return new Failure(failure.code(), failure.message());
    }
}
