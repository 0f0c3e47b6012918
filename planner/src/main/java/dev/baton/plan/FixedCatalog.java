package dev.baton.plan;

import dev.baton.tools.ToolDescriptor;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link Catalog#of}: tools and agents known up front, in the order given. */
record FixedCatalog(Map<String, ToolDescriptor> tools, Set<String> agents, boolean modelConfigured) implements Catalog {

    static FixedCatalog of(Collection<ToolDescriptor> tools, Collection<String> agents, boolean modelConfigured) {
        Map<String, ToolDescriptor> byName = new LinkedHashMap<>();
        for (ToolDescriptor tool : tools) byName.put(tool.name(), tool);
        return new FixedCatalog(byName, new LinkedHashSet<>(agents), modelConfigured);
    }

    FixedCatalog {
        tools = Collections.unmodifiableMap(new LinkedHashMap<>(tools));
        agents = Collections.unmodifiableSet(new LinkedHashSet<>(agents));
    }

    @Override
    public Optional<ToolDescriptor> tool(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    @Override
    public boolean hasAgent(String name) {
        return agents.contains(name);
    }

    @Override
    public Set<String> toolNames() {
        return tools.keySet();
    }

    @Override
    public Set<String> agentNames() {
        return agents;
    }
}
