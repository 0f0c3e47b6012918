package dev.baton.runtime.run;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which compensations a failed or cancelled run owes, and in what order: every task that
 * SUCCEEDED through its own call and declares {@code compensate}, newest success first (by
 * the seq of its success event, so a replay orders them the same). One runs at a time.
 */
public final class Compensations {

    private Compensations() {
    }

    /** The tasks to undo, in the order to undo them (done ones included). */
    public static List<TaskState> order(RunState run) {
        List<TaskState> owed = new ArrayList<>();
        for (TaskState task : run.tasks()) {
            if (task.succeededItself() && task.spec().flow().compensate() != null) owed.add(task);
        }
        owed.sort(Comparator.comparingLong(TaskState::succeededSeq).reversed());
        return owed;
    }

    /** Whether the run has anything to undo. */
    public static boolean owed(RunState run) {
        for (TaskState task : run.tasks()) {
            if (task.succeededItself() && task.spec().flow().compensate() != null) return true;
        }
        return false;
    }

    /** The next compensation to start or resume, or null when all succeeded (or one FAILED: see {@link #failed}). */
    public static TaskState next(RunState run) {
        for (TaskState task : order(run)) {
            SideCall call = task.compensation();
            if (call == null || call.status() != SideCall.Status.SUCCEEDED) return task;
        }
        return null;
    }
}
