package dev.baton.runtime;

import dev.baton.plan.Catalog;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The live catalogue plans are validated against: the registered tools and agents, and
 * whether a model is there to run agent tasks. The orchestrator and the LLM planner use the
 * same one, so a plan the planner accepts is a plan the orchestrator runs.
 */
public final class RuntimeCatalog {
    private RuntimeCatalog() {
    }

    public static Catalog of(ToolRegistry tools, AgentRegistry agents, boolean modelConfigured) {
        return new Catalog() {
            @Override
            public Optional<ToolDescriptor> tool(String name) {
                return tools.find(name).map(BatonTool::descriptor);
            }

            @Override
            public boolean hasAgent(String name) {
                return agents.find(name).isPresent();
            }

            @Override
            public boolean modelConfigured() {
                return modelConfigured;
            }

            @Override
            public Set<String> agentNames() {
                return agents.names();
            }

            @Override
            public Set<String> toolNames() {
                // for the validator's "did you mean" on an unknown tool
                return new LinkedHashSet<>(tools.names());
            }
        };
    }
}
