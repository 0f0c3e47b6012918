package dev.baton.runtime.planning;

import dev.baton.plan.Catalog;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.llm.AgentInfo;
import dev.baton.plan.llm.LlmPlanner;
import dev.baton.plan.llm.PlanningOutcome;
import dev.langchain4j.model.chat.ChatModel;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Plans a goal with a model: {@link LlmPlanner} (prompt, validation, bounded repairs) over the
 * chat model the gateway gives for the run, so that its calls are counted in the run's usage.
 */
public final class LlmGoalPlanner implements GoalPlanner {
    /** The plan source recorded for plans a model wrote. */
    public static final String SOURCE = "llm";

    private final LlmPlanner planner;
    private final Catalog catalog;
    private final Supplier<List<AgentInfo>> agents;
    private final Function<String, ChatModel> modelForRun;

    /**
     * @param catalog     the tools and agents a plan may use, as the orchestrator validates them
     * @param agents      the agents the planner may assign tasks to
     * @param modelForRun the chat model to use for a run's planning calls (by run id)
     */
    public LlmGoalPlanner(LlmPlanner planner, Catalog catalog, Supplier<List<AgentInfo>> agents,
                          Function<String, ChatModel> modelForRun) {
        this.planner = planner;
        this.catalog = catalog;
        this.agents = agents;
        this.modelForRun = modelForRun;
    }

    // The planner module's PlanningRequest is spelled out: GoalPlanner.PlanningRequest shadows it here.
    @Override
    public ProposedPlan plan(GoalPlanner.PlanningRequest request) throws PlanningException {
        PlanningOutcome outcome = planner.plan(new dev.baton.plan.llm.PlanningRequest(request.goal(), request.input(), catalog, agents.get()),
                modelForRun.apply(request.runId()));
        if (outcome instanceof PlanningOutcome.Planned planned) {
            return new ProposedPlan(PlanWriter.toJson(planned.plan()), SOURCE);
        }
        PlanningOutcome.Failed failed = (PlanningOutcome.Failed) outcome;
        throw new PlanningException(failed.code(), failed.message());
    }
}
