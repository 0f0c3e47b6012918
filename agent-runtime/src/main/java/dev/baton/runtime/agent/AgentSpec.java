package dev.baton.runtime.agent;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named role an agent task plays: what it is told (the system prompt), which tools it may
 * call and how far it may go. Tools that need approval stay gated whatever the agent is told.
 *
 * @param name         unique; what a plan's {@code "agent"} field names
 * @param description  one sentence for the planner and for people
 * @param systemPrompt the system message of every conversation
 * @param tools        tool names; {@code "*"} means every registered tool
 * @param limits       steps, tokens and time per attempt
 */
public record AgentSpec(String name, String description, String systemPrompt, List<String> tools, AgentLimits limits) {

    /** Every registered tool. */
    public static final String ALL_TOOLS = "*";

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");

    public AgentSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("agent name '" + name
                    + "' must start with a letter and hold only letters, digits, '.', '_' or '-' (at most 64)");
        }
        if (systemPrompt == null || systemPrompt.isBlank()) {
            throw new IllegalArgumentException("agent '" + name + "': a system prompt is required");
        }
        description = description == null ? "" : description;
        tools = tools == null ? List.of() : List.copyOf(tools);
        limits = limits == null ? AgentLimits.DEFAULT : limits;
    }

    public AgentSpec(String name, String description, String systemPrompt, List<String> tools) {
        this(name, description, systemPrompt, tools, AgentLimits.DEFAULT);
    }

    public boolean allTools() {
        return tools.contains(ALL_TOOLS);
    }

    public AgentSpec withLimits(AgentLimits value) {
        return new AgentSpec(name, description, systemPrompt, tools, value);
    }
}
