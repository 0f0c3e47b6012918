package dev.baton.plan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A plan: a directed acyclic graph of tasks. It is the same whether a model wrote it, a
 * playbook holds it or a client posted it. Build one with {@link PlanParser} (from JSON, which
 * also checks its shape) or {@link #builder()} (in Java) and check it against the tools with {@link PlanValidator}.
 *
 * @param tasks the tasks in the order they were written; ids are unique in a valid plan
 */
public record Plan(List<TaskSpec> tasks) {

    public Plan {
        tasks = List.copyOf(tasks);
    }

    /** Writes a plan in Java: {@code Plan.builder().tool(...).tool(...).dependsOn(...).build()} (see {@link PlanBuilder}). */
    public static PlanBuilder builder() {
        return new PlanBuilder();
    }

    /** The task with this id. */
    public Optional<TaskSpec> task(String id) {
        for (TaskSpec task : tasks) {
            if (task.id().equals(id)) return Optional.of(task);
        }
        return Optional.empty();
    }

    /** Tasks by id, in plan order (for a valid plan, whose ids are unique). */
    public Map<String, TaskSpec> byId() {
        Map<String, TaskSpec> map = new LinkedHashMap<>();
        for (TaskSpec task : tasks) map.putIfAbsent(task.id(), task);
        return map;
    }
}
