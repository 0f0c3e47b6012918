package dev.baton.runtime.run;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.AgentModelCalled;
import dev.baton.runtime.event.EventData.AgentToolCalled;
import dev.baton.runtime.event.EventData.ApprovalDecided;
import dev.baton.runtime.event.EventData.ApprovalEscalated;
import dev.baton.runtime.event.EventData.ApprovalExpired;
import dev.baton.runtime.event.EventData.ApprovalRequested;
import dev.baton.runtime.event.EventData.CompensationAttemptFailed;
import dev.baton.runtime.event.EventData.CompensationFailed;
import dev.baton.runtime.event.EventData.CompensationRetryRequested;
import dev.baton.runtime.event.EventData.CompensationStarted;
import dev.baton.runtime.event.EventData.CompensationSucceeded;
import dev.baton.runtime.event.EventData.FallbackAttemptFailed;
import dev.baton.runtime.event.EventData.FallbackStarted;
import dev.baton.runtime.event.EventData.FallbackSucceeded;
import dev.baton.runtime.event.EventData.ModelUsed;
import dev.baton.runtime.event.EventData.PlanAccepted;
import dev.baton.runtime.event.EventData.PlanProposed;
import dev.baton.runtime.event.EventData.ReplanFailed;
import dev.baton.runtime.event.EventData.ReplanStarted;
import dev.baton.runtime.event.EventData.RunCancelled;
import dev.baton.runtime.event.EventData.RunCreated;
import dev.baton.runtime.event.EventData.RunFailed;
import dev.baton.runtime.event.EventData.RunReopened;
import dev.baton.runtime.event.EventData.RunSucceeded;
import dev.baton.runtime.event.EventData.RunUnwinding;
import dev.baton.runtime.event.EventData.TaskAttemptFailed;
import dev.baton.runtime.event.EventData.TaskCancelled;
import dev.baton.runtime.event.EventData.TaskReady;
import dev.baton.runtime.event.EventData.TaskRetryRequested;
import dev.baton.runtime.event.EventData.TaskSkipped;
import dev.baton.runtime.event.EventData.TaskStarted;
import dev.baton.runtime.event.EventData.TaskSucceeded;

import java.util.List;

import static dev.baton.runtime.run.RunStatus.AWAITING_PLAN_APPROVAL;
import static dev.baton.runtime.run.RunStatus.CANCELLED;
import static dev.baton.runtime.run.RunStatus.COMPENSATING;
import static dev.baton.runtime.run.RunStatus.COMPENSATION_FAILED;
import static dev.baton.runtime.run.RunStatus.PLANNING;
import static dev.baton.runtime.run.RunStatus.REPLANNING;
import static dev.baton.runtime.run.RunStatus.RUNNING;
import static dev.baton.runtime.run.TaskStatus.PENDING;
import static dev.baton.runtime.run.TaskStatus.READY;
import static dev.baton.runtime.run.TaskStatus.REJECTED;
import static dev.baton.runtime.run.TaskStatus.RETRY_WAIT;
import static dev.baton.runtime.run.TaskStatus.SKIPPED;
import static dev.baton.runtime.run.TaskStatus.WAITING_APPROVAL;

/**
 * Which event each status allows, and where it leads: {@link RunState#apply} refuses any
 * other, as it refuses a bad seq. Four machines: the run; each task; and the two calls made on
 * a task's behalf, its fallback and its compensation ({@link SideCall}, a call not begun yet
 * counting as PENDING). A task event must be allowed by the run's status, the task's, and its
 * call's. {@code docs/state-machines.md} is generated from these rows
 * ({@link TransitionDiagrams}); a test fails on a row no test visits.
 *
 * <p>Besides its own row, two events move other statuses: a {@code TaskRetryRequested} makes
 * the tasks skipped because of the retried one PENDING again, and a {@code CompensationRetryRequested}
 * makes every FAILED compensation PENDING again. A new plan version (PlanProposed, PlanAccepted)
 * keeps the SUCCEEDED tasks and starts every other task of it PENDING.
 */
public final class Transitions {

    private Transitions() {
    }

    private static final List<RunStatus> WORKING = List.of(RUNNING, REPLANNING);

    public static final TransitionTable<RunStatus> RUN = TransitionTable.of("run", RunStatus.class)
            .start(RunCreated.class, PLANNING)
            .row(PLANNING, PlanProposed.class, When.NEEDS_APPROVAL, AWAITING_PLAN_APPROVAL)
            .row(PLANNING, PlanProposed.class, When.NO_APPROVAL, PLANNING)
            .row(REPLANNING, PlanProposed.class, When.NO_APPROVAL, REPLANNING)
            // PLANNING: a proposed plan that needed no approval, accepted at recovery when a crash came between.
            .rows(List.of(PLANNING, AWAITING_PLAN_APPROVAL, REPLANNING), PlanAccepted.class, RUNNING)
            .row(RUNNING, ReplanStarted.class, REPLANNING)
            .row(REPLANNING, ReplanFailed.class, RUNNING)
            .row(RUNNING, RunSucceeded.class, RunStatus.SUCCEEDED)
            // The answer a run asked for follows its success (RunSucceeded.answering): SUCCEEDED stays SUCCEEDED.
            .keeps(List.of(RunStatus.SUCCEEDED), EventData.AnswerWritten.class, EventData.AnswerFailed.class)
            // PLANNING: no plan could be had; COMPENSATING: unwound, the run ends as it would have.
            .rows(List.of(PLANNING, RUNNING, COMPENSATING), RunFailed.class, RunStatus.FAILED)
            .rows(List.of(PLANNING, AWAITING_PLAN_APPROVAL, RUNNING, REPLANNING, COMPENSATING), RunCancelled.class, CANCELLED)
            .rows(WORKING, RunUnwinding.class, COMPENSATING)
            .row(COMPENSATING, CompensationFailed.class, COMPENSATION_FAILED)
            .row(COMPENSATION_FAILED, CompensationRetryRequested.class, COMPENSATING)
            // A task of a finished run is retried (a continueOnError task may have failed in a SUCCEEDED run).
            .rows(List.of(RunStatus.FAILED, RunStatus.SUCCEEDED), RunReopened.class, RUNNING)
            // A model call is recorded when it ends, whatever became of the run meanwhile.
            .keeps(List.of(RunStatus.values()), ModelUsed.class)
            .keeps(WORKING, EventData.UserMessage.class)
            // Task events: which run statuses allow them (their task's status decides the rest).
            .keeps(List.of(RUNNING), TaskReady.class, TaskStarted.class, TaskSkipped.class, TaskRetryRequested.class,
                    FallbackStarted.class)
            // Calls in flight when a replan began finish; timers of waits and approvals still fire.
            .keeps(WORKING, TaskSucceeded.class, TaskAttemptFailed.class, ApprovalRequested.class, ApprovalDecided.class,
                    ApprovalExpired.class, ApprovalEscalated.class, FallbackSucceeded.class, FallbackAttemptFailed.class,
                    AgentModelCalled.class, AgentToolCalled.class)
            .keeps(List.of(PLANNING, AWAITING_PLAN_APPROVAL, RUNNING, REPLANNING), TaskCancelled.class)
            .keeps(List.of(COMPENSATING), CompensationStarted.class, CompensationSucceeded.class, CompensationAttemptFailed.class)
            .build();

    public static final TransitionTable<TaskStatus> TASK = TransitionTable.of("task", TaskStatus.class)
            .row(PENDING, TaskReady.class, READY)
            .row(PENDING, TaskSkipped.class, SKIPPED)
            .row(READY, ApprovalRequested.class, WAITING_APPROVAL)
            // An agent stopped at a gated tool call.
            .row(TaskStatus.RUNNING, ApprovalRequested.class, WAITING_APPROVAL)
            .row(WAITING_APPROVAL, ApprovalDecided.class, When.APPROVE, READY)
            .row(WAITING_APPROVAL, ApprovalDecided.class, When.REJECT, REJECTED)
            .row(WAITING_APPROVAL, ApprovalExpired.class, REJECTED)
            .row(WAITING_APPROVAL, ApprovalEscalated.class, WAITING_APPROVAL)
            .row(READY, TaskStarted.class, TaskStatus.RUNNING)
            // The same attempt again, cut off by a crash.
            .row(TaskStatus.RUNNING, TaskStarted.class, TaskStatus.RUNNING)
            .row(TaskStatus.RUNNING, TaskSucceeded.class, TaskStatus.SUCCEEDED)
            .row(TaskStatus.RUNNING, TaskAttemptFailed.class, When.RETRY, RETRY_WAIT)
            .row(TaskStatus.RUNNING, TaskAttemptFailed.class, When.GIVE_UP, TaskStatus.FAILED)
            .row(RETRY_WAIT, TaskReady.class, READY)
            .rows(List.of(PENDING, READY, TaskStatus.RUNNING, RETRY_WAIT, WAITING_APPROVAL), TaskCancelled.class, TaskStatus.CANCELLED)
            .row(TaskStatus.FAILED, TaskRetryRequested.class, PENDING)
            // The fallback's attempts: the first after the task failed for good, a retry, a rerun after a crash.
            .rows(List.of(TaskStatus.FAILED, RETRY_WAIT, TaskStatus.RUNNING), FallbackStarted.class, TaskStatus.RUNNING)
            .row(TaskStatus.RUNNING, FallbackSucceeded.class, TaskStatus.SUCCEEDED)
            .row(TaskStatus.RUNNING, FallbackAttemptFailed.class, When.RETRY, RETRY_WAIT)
            .row(TaskStatus.RUNNING, FallbackAttemptFailed.class, When.GIVE_UP, TaskStatus.FAILED)
            .keeps(List.of(TaskStatus.RUNNING), AgentModelCalled.class, AgentToolCalled.class)
            // Undoing a task that succeeded leaves it SUCCEEDED; its compensation has its own status.
            .keeps(List.of(TaskStatus.SUCCEEDED), CompensationStarted.class, CompensationSucceeded.class, CompensationAttemptFailed.class)
            .build();

    public static final TransitionTable<SideCall.Status> FALLBACK = sideCall("fallback", FallbackStarted.class,
            FallbackSucceeded.class, FallbackAttemptFailed.class);

    public static final TransitionTable<SideCall.Status> COMPENSATION = sideCall("compensation", CompensationStarted.class,
            CompensationSucceeded.class, CompensationAttemptFailed.class);

    /** Every machine, in the order the docs show them. */
    public static final List<TransitionTable<?>> ALL = List.of(RUN, TASK, FALLBACK, COMPENSATION);

    /** The side call a task event is about, or null when it is about the task itself. */
    public static TransitionTable<SideCall.Status> sideCallOf(EventData event) {
        if (event instanceof FallbackStarted || event instanceof FallbackSucceeded || event instanceof FallbackAttemptFailed) {
            return FALLBACK;
        }
        if (event instanceof CompensationStarted || event instanceof CompensationSucceeded
                || event instanceof CompensationAttemptFailed) {
            return COMPENSATION;
        }
        return null;
    }

    /** One lifecycle for both side calls: start (again after a retry wait, or the same attempt after a crash), then succeed or fail. */
    private static TransitionTable<SideCall.Status> sideCall(String name, Class<? extends EventData> started,
                                                           Class<? extends EventData> succeeded, Class<? extends EventData> failed) {
        return TransitionTable.of(name, SideCall.Status.class)
                .rows(List.of(SideCall.Status.PENDING, SideCall.Status.RETRY_WAIT, SideCall.Status.RUNNING), started, SideCall.Status.RUNNING)
                .row(SideCall.Status.RUNNING, succeeded, SideCall.Status.SUCCEEDED)
                .row(SideCall.Status.RUNNING, failed, When.RETRY, SideCall.Status.RETRY_WAIT)
                .row(SideCall.Status.RUNNING, failed, When.GIVE_UP, SideCall.Status.FAILED)
                .build();
    }
}
