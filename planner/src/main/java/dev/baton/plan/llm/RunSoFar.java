package dev.baton.plan.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.plan.Plan;

import java.util.List;
import java.util.Objects;

/**
 * What a run has done so far, for replanning: the plan it ran, the tasks that succeeded (which
 * are kept and never redone), the tasks that failed for good, and what the user added since.
 *
 * @param previousPlan the plan the run was following
 * @param succeeded    the tasks of {@code previousPlan} that succeeded, with their outputs
 * @param failed       the tasks that failed for good, with their errors
 * @param messages     follow-up instructions from the user, oldest first
 */
public record RunSoFar(Plan previousPlan, List<Succeeded> succeeded, List<Failed> failed, List<String> messages) {

    public RunSoFar {
        Objects.requireNonNull(previousPlan, "previousPlan");
        succeeded = succeeded == null ? List.of() : List.copyOf(succeeded);
        failed = failed == null ? List.of() : List.copyOf(failed);
        messages = messages == null ? List.of() : List.copyOf(messages);
        for (Succeeded task : succeeded) {
            if (previousPlan.task(task.id()).isEmpty()) {
                throw new IllegalArgumentException("succeeded task '" + task.id() + "' is not in the previous plan");
            }
        }
    }

    /**
     * A task that succeeded.
     *
     * @param id     its id in the previous plan
     * @param output what it returned; the prompt shows it truncated to {@link LlmPlanner#maxOutputChars()}
     */
    public record Succeeded(String id, JsonNode output) {
        public Succeeded {
            Objects.requireNonNull(id, "id");
            output = output == null ? NullNode.instance : output;
        }
    }

    /**
     * A task that failed for good.
     *
     * @param id    its id in the previous plan
     * @param error what went wrong, as the task reported it
     */
    public record Failed(String id, String error) {
        public Failed {
            Objects.requireNonNull(id, "id");
            error = error == null ? "" : error;
        }
    }
}
