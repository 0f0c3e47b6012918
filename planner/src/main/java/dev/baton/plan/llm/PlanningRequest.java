package dev.baton.plan.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.plan.Catalog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the {@link LlmPlanner} plans for.
 *
 * @param goal     what the run must achieve, in the user's words
 * @param input    the run's input, which tasks read as {@code ${input.path}}; JSON null when none
 * @param catalog  the tools (and agent names) a plan may use; plans are validated against it
 * @param agents   the agents the model is told about, for agent tasks
 * @param runSoFar for replanning: what the run has done so far; null for a first plan
 */
public record PlanningRequest(String goal, JsonNode input, Catalog catalog, List<AgentInfo> agents, RunSoFar runSoFar) {

    public PlanningRequest {
        Objects.requireNonNull(goal, "goal");
        Objects.requireNonNull(catalog, "catalog");
        input = input == null ? NullNode.instance : input;
        agents = agents == null ? List.of() : List.copyOf(agents);
    }

    /** A request for a first plan. */
    public PlanningRequest(String goal, JsonNode input, Catalog catalog, List<AgentInfo> agents) {
        this(goal, input, catalog, agents, null);
    }

    /** The same request, for replanning after {@code soFar}. */
    public PlanningRequest replanning(RunSoFar soFar) {
        return new PlanningRequest(goal, input, catalog, agents, Objects.requireNonNull(soFar, "soFar"));
    }

    /** What the run has done so far, when this is a replan. */
    public Optional<RunSoFar> soFar() {
        return Optional.ofNullable(runSoFar);
    }
}
