package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.ModelHint;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.TaskSpec;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.runtime.planning.ResultWriter;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskState;
import dev.baton.runtime.run.TaskStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The planner's part of a run: the first plan, replans (after a task failed for good, or for
 * a user's message) and the final answer. A planner's output is untrusted: it is checked like
 * any posted plan, and a replan must keep every succeeded task unchanged.
 */
final class Planning {
    private static final Logger LOG = LoggerFactory.getLogger(Planning.class);

    private final RunDecider decider;

    Planning(RunDecider decider) {
        this.decider = decider;
    }

    static boolean planApprovalRequested(RunState run) {
        return run.options() != null && run.options().path("planApproval").asBoolean(false);
    }

    void askPlanner(Turn t) {
        RunState run = t.run;
        t.command(new Command.AskPlanner(new GoalPlanner.PlanningRequest(run.id(), run.goal(),
                run.input() == null ? Json.object() : run.input(), run.options())));
    }

    /** A run found PLANNING after a restart. */
    void resumePlanning(Turn t) {
        RunState run = t.run;
        if (run.plan() != null) {
            // The plan was proposed and needed no approval, but its acceptance was not written.
            t.emit(new EventData.PlanAccepted(run.planVersion(), RunDecider.planJson(run, new CheckedPlan(run.plan(), PlanWriter.toJson(run.plan())))));
            decider.advance(t, run.plan().byId().keySet());
        } else if (decider.options.planner() != null) {
            askPlanner(t);
        } else {
            t.emit(new EventData.RunFailed(new Failure("interrupted", "the server stopped before the run had a plan; submit it again")));
        }
    }

    void planned(Turn t, Input.Planned p) {
        RunState run = t.run;
        if (run.status() != RunStatus.PLANNING) return; // cancelled while planning
        Failure failure = null;
        CheckedPlan plan = null;
        if (p.error() instanceof PlanningException e) {
            failure = new Failure(e.code(), e.getMessage());
        } else if (p.error() != null) {
            LOG.warn("the planner failed for run {}", run.id(), p.error());
            failure = new Failure("planning_failed", "the planner failed: " + p.error());
        } else {
            try {
                plan = p.checked() != null ? p.checked() : decider.plans.check(p.proposed().plan());
            } catch (BatonException e) {
                failure = new Failure("plan_invalid", "the planner's plan is invalid: " + e.getMessage());
            }
        }
        if (failure != null) {
            t.emit(new EventData.RunFailed(failure));
            return;
        }
        boolean approval = planApprovalRequested(run);
        t.emit(new EventData.PlanProposed(1, RunDecider.planJson(run, plan), p.proposed().source(), approval));
        if (!approval) {
            t.emit(new EventData.PlanAccepted(1, RunDecider.planJson(run, plan)));
            decider.advance(t, plan.plan().byId().keySet());
        }
    }

    // ------------------------------------------------------------------ replanning

    /** Whether a task failing for good makes this run replan: a planner that can, and budget left. */
    boolean replanAllowed(RunState run) {
        GoalPlanner planner = decider.options.planner();
        return planner != null && planner.canReplan(run.options()) && run.failureReplans() < decider.options.maxReplans();
    }

    /** What a failed run's error adds about replanning: why it did not rescue the run. */
    String replanNote(RunState run) {
        if (run.replanError() != null) {
            return "; replanning failed (" + run.replanError().code() + "): " + run.replanError().message();
        }
        GoalPlanner planner = decider.options.planner();
        if (planner != null && planner.canReplan(run.options()) && decider.options.maxReplans() > 0
                && run.failureReplans() >= decider.options.maxReplans()) {
            return "; no replan left (the run replanned " + run.failureReplans() + " times, the most allowed)";
        }
        return "";
    }

    /** A user's follow-up: a RUNNING run replans its unfinished part; a REPLANNING one takes it into the replan under way or the next. */
    void message(Turn t, Input.Message m) {
        RunState run = t.run;
        if (m.text() == null || m.text().isBlank()) throw new BatonException(Kind.INVALID, "bad_request", "field 'text' is required");
        GoalPlanner planner = decider.options.planner();
        if (planner == null || !planner.canReplan(run.options())) {
            throw new BatonException(Kind.UNPROCESSABLE, "model_not_configured", "follow-up messages are read by a planner,"
                    + " which needs a model: " + ModelHint.SET);
        }
        if (run.status().finished()) {
            throw BatonException.conflict("run '" + run.id() + "' has already finished (" + run.status() + "); start a new run");
        }
        if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.REPLANNING) {
            throw BatonException.conflict("run '" + run.id() + "' is " + run.status() + " and has no accepted plan yet;"
                    + " send the message once it is RUNNING");
        }
        t.emit(new EventData.UserMessage(m.text(), m.by()));
        if (run.status() == RunStatus.RUNNING) {
            t.emit(new EventData.ReplanStarted("message", "a message from " + m.by(), List.of()));
            maybeReplan(t);
        }
    }

    /**
     * A REPLANNING run asks its planner for a new plan once no call of it is in flight (wait
     * tasks do not hold it up: they are cancelled with the rest of the unfinished part). The
     * shell asks once per run at a time.
     */
    void maybeReplan(Turn t) {
        RunState run = t.run;
        if (run.status() != RunStatus.REPLANNING || t.callsInFlight() > 0) return;
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
        t.command(new Command.AskReplanner(new GoalPlanner.ReplanningRequest(run.id(), run.goal(),
                run.input() == null ? Json.object() : run.input(), run.options(), PlanWriter.toJson(run.plan()), succeeded, failed,
                run.messages().stream().map(RunState.Message::text).toList()), run.messages().size()));
    }

    void replanned(Turn t, Input.Replanned r) {
        RunState run = t.run;
        if (run.status() != RunStatus.REPLANNING) return; // cancelled meanwhile
        Failure failure = null;
        CheckedPlan plan = null;
        if (r.error() instanceof PlanningException e) {
            failure = new Failure(e.code(), e.getMessage());
        } else if (r.error() != null) {
            LOG.warn("the planner failed to replan run {}", run.id(), r.error());
            failure = new Failure("replanning_failed", "the planner failed: " + r.error());
        } else {
            try {
                plan = r.checked() != null ? r.checked() : decider.plans.check(r.proposed().plan());
                String problem = keptTasksProblem(run, plan.plan());
                if (problem != null) failure = new Failure("replan_invalid", problem);
            } catch (BatonException e) {
                failure = new Failure("replan_invalid", "the planner's new plan is invalid: " + e.getMessage());
            }
        }
        if (failure != null) {
            // The run goes on with its plan as if it had never stopped: what a RUNNING run owes.
            t.emit(new EventData.ReplanFailed(failure));
            decider.owedRunning(t);
            return;
        }
        // The unfinished part of the old plan is dropped; what succeeded is kept (RunState.setPlan).
        for (TaskState task : run.tasks()) {
            if (!task.status().finished()) t.emit(new EventData.TaskCancelled(task.id()));
        }
        int version = run.planVersion() + 1;
        t.emit(new EventData.PlanProposed(version, RunDecider.planJson(run, plan), r.proposed().source(), false));
        t.emit(new EventData.PlanAccepted(version, RunDecider.planJson(run, plan)));
        decider.advance(t, plan.plan().byId().keySet());
        if (run.status() == RunStatus.RUNNING && run.messages().size() > r.messagesSeen()) {
            // A message came while the planner was busy: it gets its own replan.
            t.emit(new EventData.ReplanStarted("message", "a message came during the last replan", List.of()));
            maybeReplan(t);
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

    // ------------------------------------------------------------------ the final answer

    /**
     * Whether a run that just succeeded has its answer written: only when it asked for one
     * ({@code options.answer}, which the server sets for goals typed in the chat) and a result
     * writer (a model) is there. Posted plans, triggers, tickets and API runs without the option
     * make no model call when they end.
     */
    boolean answerWanted(RunState run) {
        return decider.options.resultWriter() != null && wantsAnswer(run.options());
    }

    /** Whether a run's options ask for an answer: {@code options.answer} is {@code true}. */
    public static boolean wantsAnswer(JsonNode options) {
        return options != null && options.path("answer").asBoolean(false);
    }

    /**
     * The run is SUCCEEDED with {@code answering}: one model call writes the answer to the goal.
     * It comes back as {@link Input.AnswerWritten}; a failed call does not change the run, whose
     * result then carries {@code answerError} next to the outputs.
     */
    void writeAnswer(Turn t) {
        RunState run = t.run;
        Map<String, JsonNode> all = new LinkedHashMap<>();
        Map<String, String> titles = new HashMap<>();
        for (TaskState task : run.tasks()) {
            if (task.status() != TaskStatus.SUCCEEDED) continue;
            all.put(task.id(), task.output());
            titles.put(task.id(), task.spec().title() == null ? task.id() : task.spec().title());
        }
        t.command(new Command.WriteAnswer(new ResultWriter.Request(run.id(), run.goal(), run.input(), all, titles,
                run.messages().stream().map(RunState.Message::text).toList())));
    }

    /**
     * A SUCCEEDED run found with its answer being written after a restart: the call was cut off,
     * and nothing of it was kept (its deltas are not journaled), so it is asked again. A server
     * that has no model any more says so instead.
     */
    void resumeAnswer(Turn t) {
        RunState run = t.run;
        if (run.answerStatus() != RunState.AnswerStatus.WRITING) return;
        if (decider.options.resultWriter() != null) {
            writeAnswer(t);
        } else {
            t.emit(new EventData.AnswerFailed(new Failure("model_not_configured",
                    "the answer was being written when the server stopped, and the server now has no model: " + ModelHint.SET)));
        }
    }

    /**
     * The answer came back. Only a SUCCEEDED run whose answer is being written takes it; any
     * other (reopened by a retry meanwhile, or answered already) ignores it as stale.
     */
    void answerWritten(Turn t, Input.AnswerWritten a) {
        RunState run = t.run;
        if (run.status() != RunStatus.SUCCEEDED || run.answerStatus() != RunState.AnswerStatus.WRITING) return;
        if (a.error() == null && a.answer() != null && !a.answer().isBlank()) {
            t.emit(new EventData.AnswerWritten(a.answer()));
        } else {
            Throwable error = a.error() == null ? new IllegalStateException("the model's answer was empty") : a.error();
            LOG.warn("the answer of run {} could not be written: {}", run.id(), error.toString());
            t.emit(new EventData.AnswerFailed(new Failure(error instanceof BatonException b ? b.code() : "answer_failed",
                    "the answer could not be written: " + error.getMessage())));
        }
    }
}
