package dev.baton.runtime.decider;

import dev.baton.runtime.BatonException;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.UnwindingOutcome;
import dev.baton.runtime.run.Compensations;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.SideCall;
import dev.baton.runtime.run.TaskState;

/**
 * A run that fails or is cancelled with succeeded tasks that declare {@code compensate} is
 * COMPENSATING: their compensations run one at a time, newest success first (see
 * {@link Compensations}); only then does the run end FAILED or CANCELLED. A compensation that
 * fails for good leaves the run COMPENSATION_FAILED until a person asks to retry it.
 */
final class Unwinding {
    private final RunDecider decider;

    Unwinding(RunDecider decider) {
        this.decider = decider;
    }

    /** The run fails or is cancelled: with compensations owed it starts unwinding, else it ends at once. */
    void unwind(Turn t, EventData.RunUnwinding ending) {
        if (!Compensations.owed(t.run)) {
            end(t, ending);
            return;
        }
        t.emit(ending);
        next(t);
    }

    private static void end(Turn t, EventData.RunUnwinding ending) {
        if (ending.outcome() == UnwindingOutcome.CANCELLED) {
            t.emit(new EventData.RunCancelled(ending.by(), ending.reason()));
        } else {
            t.emit(new EventData.RunFailed(ending.error()));
        }
    }

    /** Starts, resumes or waits for the next compensation of a COMPENSATING run; ends the run when none is left. */
    void next(Turn t) {
        RunState run = t.run;
        if (run.status() != RunStatus.COMPENSATING) return;
        TaskState task = Compensations.next(run);
        if (task == null) {
            end(t, run.unwinding());
            return;
        }
        SideCall call = task.compensation();
        if (call == null || call.status() == SideCall.Status.PENDING) {
            decider.attempts.startCompensation(t, task, call == null ? 1 : call.totalAttempts() + 1);
        } else if (call.status() == SideCall.Status.RUNNING && !t.inFlight(task.id())) {
            decider.attempts.startCompensation(t, task, call.totalAttempts()); // cut off by a crash: same attempt, same key
        } else if (call.status() == SideCall.Status.RETRY_WAIT) {
            t.command(new Command.ArmTimer(task.id(), TimerKind.COMPENSATION_RETRY, call.retryAt()));
        }
    }

    /** A person retries the compensation that failed for good: the run unwinds on from there. */
    void retry(Turn t, Input.RetryCompensation r) {
        RunState run = t.run;
        if (run.status() != RunStatus.COMPENSATION_FAILED) {
            throw BatonException.conflict("run '" + run.id() + "' is " + run.status()
                    + "; only a COMPENSATION_FAILED run can retry its compensation");
        }
        t.emit(new EventData.CompensationRetryRequested(r.by()));
        next(t);
    }
}
