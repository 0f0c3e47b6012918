package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.Flow;
import dev.baton.plan.condition.Evaluator;
import dev.baton.runtime.event.EventData.Failure;

/**
 * When a PENDING task may go ahead: its join over its dependencies, then its {@code when}
 * condition. Reads only the run's state, so the orchestrator decides the same way live and
 * after a crash; the decision itself is journaled (TaskReady or TaskSkipped with the reason).
 */
public final class Joins {

    /** What to do with a PENDING task now. */
    public sealed interface Decision {
    }

    /** Not yet: a dependency has not finished. */
    public record Wait() implements Decision {
    }

    /** It may run. */
    public record Ready() implements Decision {
    }

    /** It will not run, for this reason. */
    public record Skip(String reason) implements Decision {
    }

    private static final Decision WAIT = new Wait();
    private static final Decision READY = new Ready();

    private Joins() {
    }

    /**
     * {@code join: "all"} (the default): every dependency SUCCEEDED; one that failed, was rejected,
     * skipped or cancelled skips the task at once. {@code join: "any"}: every dependency finished
     * and at least one SUCCEEDED. Then a false {@code when} skips the task.
     */
    public static Decision decide(RunState run, TaskState task) {
        Flow flow = task.spec().flow();
        if (flow.join() == Flow.Join.ANY) {
            boolean any = false;
            boolean none = true;
            for (String dependency : task.spec().dependencies()) {
                none = false;
                TaskStatus status = run.task(dependency).status();
                if (!status.finished()) return WAIT;
                if (status == TaskStatus.SUCCEEDED) any = true;
            }
            if (!none && !any) return new Skip("no upstream task succeeded (join: any)");
        } else {
            boolean allSucceeded = true;
            for (String dependency : task.spec().dependencies()) {
                TaskStatus status = run.task(dependency).status();
                if (status.blocksDependants()) return new Skip("upstream task '" + dependency + "' is " + status);
                if (status != TaskStatus.SUCCEEDED) allSucceeded = false;
            }
            if (!allSucceeded) return WAIT;
        }
        if (flow.when() != null) {
            if (flow.condition() == null) return new Skip("the condition does not parse: " + flow.conditionError().getMessage());
            if (!Evaluator.test(flow.condition(), scope(run))) return new Skip("condition is false: " + flow.when());
        }
        return READY;
    }

    /** What a condition reads: the run's input and its tasks' outputs, statuses and errors. */
    public static Evaluator.Scope scope(RunState run) {
        return new Evaluator.Scope() {
            @Override
            public JsonNode input() {
                return run.input();
            }

            @Override
            public JsonNode output(String taskId) {
                TaskState task = run.task(taskId);
                return task == null ? null : task.output();
            }

            @Override
            public String status(String taskId) {
                TaskState task = run.task(taskId);
                return task == null ? null : task.status().name();
            }

            @Override
            public JsonNode error(String taskId) {
                TaskState task = run.task(taskId);
                return task == null ? null : RunJson.failure(task.error());
            }
        };
    }

    /**
     * The task whose end fails the run, or null: one REJECTED, or FAILED without
     * {@code continueOnError} (such a task's dependants skip, the run goes on).
     */
    public static TaskState failing(RunState run) {
        for (TaskState task : run.tasks()) {
            if (task.status() == TaskStatus.REJECTED) return task;
            if (task.status() == TaskStatus.FAILED && !task.spec().flow().continueOnError()) return task;
        }
        return null;
    }

    /** The error of a failing task's run: {@code task_failed} or {@code task_rejected}, naming the task. */
    public static Failure runError(TaskState task, String note) {
        boolean failed = task.status() == TaskStatus.FAILED;
        String detail = task.error() == null ? "" : ": " + task.error().message();
        if (failed && task.fallback() != null && task.fallback().error() != null) {
            detail += "; its fallback failed too: " + task.fallback().error().message();
        }
        return new Failure(failed ? "task_failed" : "task_rejected",
                "task '" + task.id() + "' " + (failed ? "failed" : "was rejected") + detail + (failed ? note : ""));
    }
}
