package dev.baton.plan.llm;

import dev.baton.plan.Plan;
import dev.baton.plan.PlanProblem;

import java.util.List;
import java.util.Objects;

/** What {@link LlmPlanner#plan} ended with: a valid plan, or a failure that says why. */
public sealed interface PlanningOutcome {

    /** How many answers the model gave (1 plus the repairs asked for). */
    int attempts();

    /**
     * A plan that passed the validator.
     *
     * @param plan     the plan; when replanning, the kept (succeeded) tasks first, unchanged, then the new tasks
     * @param attempts answers the model gave, the accepted one included
     * @param rejected the problems of each rejected answer, in order (empty when the first answer was valid)
     */
    record Planned(Plan plan, int attempts, List<List<PlanProblem>> rejected) implements PlanningOutcome {
        public Planned {
            Objects.requireNonNull(plan, "plan");
            rejected = rejected.stream().map(List::copyOf).toList();
        }
    }

    /**
     * No valid plan.
     *
     * @param code         {@value LlmPlanner#PLAN_INVALID}, {@value LlmPlanner#PLAN_NOT_JSON},
     *                     {@value LlmPlanner#MODEL_ERROR} or {@value LlmPlanner#PROMPT_TOO_LARGE}
     * @param message      for people: what happened, with the validator's messages when there were any
     * @param lastProblems the problems of the last answer; empty when the model gave none
     * @param attempts     answers the model gave
     */
    record Failed(String code, String message, List<PlanProblem> lastProblems, int attempts) implements PlanningOutcome {
        public Failed {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            lastProblems = lastProblems == null ? List.of() : List.copyOf(lastProblems);
        }
    }
}
