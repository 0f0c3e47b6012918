package dev.baton.plan.llm;

import java.util.List;
import java.util.Objects;

/**
 * An agent the planner may assign agent tasks to, as the model is told about it.
 *
 * @param name        the agent's name, as written in a task's {@code agent} field
 * @param description what the agent is for, in a sentence or two
 * @param tools       the names of the tools the agent may call
 */
public record AgentInfo(String name, String description, List<String> tools) {

    public AgentInfo {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        tools = tools == null ? List.of() : List.copyOf(tools);
    }
}
