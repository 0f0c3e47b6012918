package dev.baton.plan;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One task of a plan, as written.
 *
 * @param id        unique within the plan: letters, digits, {@code _ -}
 * @param title     for people; defaults to the id
 * @param action    what the task does: a tool call, an agent task or a wait
 * @param dependsOn explicit dependencies; {@link #dependencies()} adds the ones implied by
 *                  {@code ${task.output...}} references in the arguments
 * @param approval  whether a person must approve before it runs, or null for "as the tool says"
 * @param retry     overrides the tool's retry policy, or null
 * @param timeout   overrides the tool's timeout for one attempt, or null
 * @param flow      condition, join, fallback, continueOnError and compensation; {@link Flow#NONE} when plain
 * @param dependencies every task this one waits for: {@code dependsOn} followed by the tasks its
 *                  arguments reference and the tasks its {@code when} condition reads, without
 *                  repeats, in a stable order. Derived from the other fields when the spec is made
 *                  (the value passed is ignored): the scheduler, the validator and the run's JSON ask
 *                  for it many times per task, and computing it walked the arguments each time.
 */
public record TaskSpec(String id, String title, TaskAction action, List<String> dependsOn,
                       ApprovalSpec approval, PlanRetry retry, Duration timeout, Flow flow, Set<String> dependencies) {

    public TaskSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        title = title == null || title.isBlank() ? id : title;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        flow = flow == null ? Flow.NONE : flow;
        dependencies = dependenciesOf(dependsOn, action, flow);
    }

    public TaskSpec(String id, String title, TaskAction action, List<String> dependsOn,
                    ApprovalSpec approval, PlanRetry retry, Duration timeout, Flow flow) {
        this(id, title, action, dependsOn, approval, retry, timeout, flow, null);
    }

    /** A task without flow settings. */
    public TaskSpec(String id, String title, TaskAction action, List<String> dependsOn,
                    ApprovalSpec approval, PlanRetry retry, Duration timeout) {
        this(id, title, action, dependsOn, approval, retry, timeout, Flow.NONE);
    }

    /** {@code tool}, {@code agent} or {@code wait}, as in the API. */
    public String kind() {
        return action.kind();
    }

    private static Set<String> dependenciesOf(List<String> dependsOn, TaskAction action, Flow flow) {
        Set<String> all = new LinkedHashSet<>(dependsOn);
        if (action instanceof TaskAction.ToolCall call) {
            all.addAll(References.taskIdsIn(call.args()));
        }
        if (flow.condition() != null) all.addAll(flow.conditionTaskIds());
        return java.util.Collections.unmodifiableSet(all);
    }
}
