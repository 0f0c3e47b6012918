package dev.baton.runtime.planning;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Makes a plan for a run that was posted with a goal and no plan: a model (the LLM planner)
 * or a matching playbook. The orchestrator calls it off the event loop, validates what it
 * returns like any posted plan (a planner's output is untrusted), and records the result as
 * a {@code PlanProposed} event.
 */
@FunctionalInterface
public interface GoalPlanner {

    /**
     * Blocks while planning.
     *
     * @param request what to plan for
     * @return the plan JSON and where it came from
     * @throws PlanningException when no plan can be made; its code and message end the run
     */
    ProposedPlan plan(PlanningRequest request) throws PlanningException;

    /**
     * Whether this planner can make a new plan for the unfinished part of a run (see
     * {@link #replan}); false by default. Playbooks cannot.
     *
     * @param runOptions the run's options, or null (e.g. {@code {"planner": "playbook"}} says no)
     */
    default boolean canReplan(JsonNode runOptions) {
        return false;
    }

    /**
     * Blocks while replanning: a new whole plan in which every succeeded task of the previous
     * plan is kept unchanged (same id, same content) and new tasks do the unfinished part. The
     * orchestrator validates the answer and checks the kept tasks.
     *
     * @throws PlanningException when no plan can be made; {@code replanning_unsupported} by default
     */
    default ProposedPlan replan(ReplanningRequest request) throws PlanningException {
        throw new PlanningException("replanning_unsupported", "this planner cannot replan a run");
    }

    /**
     * What a replanning planner is asked.
     *
     * @param runId        the run, for accounting model usage
     * @param goal         the user's goal
     * @param input        the run's input (never null)
     * @param options      the run's options, or null
     * @param previousPlan the plan JSON the run was following
     * @param succeeded    the tasks that succeeded, with their outputs: kept, never redone
     * @param failed       the tasks that failed for good (or were rejected), with their errors
     * @param messages     the user's follow-up instructions, oldest first
     */
    record ReplanningRequest(String runId, String goal, JsonNode input, JsonNode options, JsonNode previousPlan,
                             java.util.List<SucceededTask> succeeded, java.util.List<FailedTask> failed,
                             java.util.List<String> messages) {
        public ReplanningRequest {
            succeeded = succeeded == null ? java.util.List.of() : java.util.List.copyOf(succeeded);
            failed = failed == null ? java.util.List.of() : java.util.List.copyOf(failed);
            messages = messages == null ? java.util.List.of() : java.util.List.copyOf(messages);
        }
    }

    /** A task that succeeded, and what it returned. */
    record SucceededTask(String id, JsonNode output) {
    }

    /** A task that failed for good, and why. */
    record FailedTask(String id, String code, String message) {
    }

    /**
     * What the planner is asked.
     *
     * @param runId   the run, for accounting model usage
     * @param goal    the user's goal, in words
     * @param input   the run's input (never null)
     * @param options the request's options, or null (e.g. {@code {"planner": "playbook"}})
     */
    record PlanningRequest(String runId, String goal, JsonNode input, JsonNode options) {
    }

    /**
     * A plan a planner proposes.
     *
     * @param plan   the plan JSON, in the same format a client posts
     * @param source who made it, e.g. {@code llm} or {@code playbook:check-url-health}
     */
    record ProposedPlan(JsonNode plan, String source) {
    }
}
