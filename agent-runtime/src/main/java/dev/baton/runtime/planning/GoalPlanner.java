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
