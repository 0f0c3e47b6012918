package dev.baton.runtime.planning;

/**
 * Chooses the planner for a run: {@code options.planner} ({@code "llm"} or {@code "playbook"})
 * when the request names one, else the model when one is configured, else the playbooks. Only
 * the model replans, and not for a run that asked for a playbook.
 */
public final class GoalPlanners {
    private GoalPlanners() {
    }

    /**
     * @param llm       the model planner, or null when no model is configured
     * @param playbooks the playbook planner, or null when there are no playbooks
     * @return a planner, or null when there is neither (goal-only runs are then refused)
     */
    public static GoalPlanner choosing(GoalPlanner llm, GoalPlanner playbooks) {
        if (llm == null && playbooks == null) return null;
        return new GoalPlanner() {
            @Override
            public ProposedPlan plan(PlanningRequest request) throws PlanningException {
                return first(llm, playbooks, request);
            }

            @Override
            public boolean canReplan(com.fasterxml.jackson.databind.JsonNode runOptions) {
                // Only a model replans; a run that asked for a playbook stays with its playbook.
                String wanted = runOptions == null ? "" : runOptions.path("planner").asText("");
                boolean playbookRun = wanted.equals("playbook") || (runOptions != null && runOptions.hasNonNull("playbook"));
                return llm != null && !playbookRun && llm.canReplan(runOptions);
            }

            @Override
            public ProposedPlan replan(ReplanningRequest request) throws PlanningException {
                if (!canReplan(request.options())) return GoalPlanner.super.replan(request);
                return llm.replan(request);
            }
        };
    }

    private static GoalPlanner.ProposedPlan first(GoalPlanner llm, GoalPlanner playbooks, GoalPlanner.PlanningRequest request)
            throws PlanningException {
        String wanted = request.options() == null ? "" : request.options().path("planner").asText("");
        switch (wanted) {
            case "llm" -> {
                if (llm == null) {
                    throw new PlanningException("model_not_configured", "options.planner is \"llm\" but no model is configured:"
                            + " " + dev.baton.plan.ModelHint.SET);
                }
                return llm.plan(request);
            }
            case "playbook" -> {
                if (playbooks == null) throw new PlanningException("no_playbooks", "options.planner is \"playbook\" but no playbooks are loaded");
                return playbooks.plan(request);
            }
            case "" -> {
                return llm != null ? llm.plan(request) : playbooks.plan(request);
            }
            default -> throw new PlanningException("bad_planner", "options.planner must be \"llm\" or \"playbook\", not \"" + wanted + "\"");
        }
    }
}
