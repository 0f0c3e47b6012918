package dev.baton.plan;

import dev.baton.tools.ToolDescriptor;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * What a plan may use: the registered tools and agents, and whether a model is configured
 * (without one, agent tasks cannot run). The {@link PlanValidator} checks plans against it.
 */
public interface Catalog {

    /** The tool of that name, if registered. */
    Optional<ToolDescriptor> tool(String name);

    /** True when an agent of that name is defined. */
    boolean hasAgent(String name);

    /** True when a chat model is configured, so that agent tasks can run. */
    boolean modelConfigured();

    /** The names of all tools, for "did you mean" hints; empty when the catalogue cannot list them. */
    default Set<String> toolNames() {
        return Set.of();
    }

    /** The names of all agents, for "did you mean" hints; empty when the catalogue cannot list them. */
    default Set<String> agentNames() {
        return Set.of();
    }

    /** A fixed catalogue, e.g. for tests or a registry's snapshot. */
    static Catalog of(Collection<ToolDescriptor> tools, Collection<String> agents, boolean modelConfigured) {
        return FixedCatalog.of(tools, agents, modelConfigured);
    }
}
