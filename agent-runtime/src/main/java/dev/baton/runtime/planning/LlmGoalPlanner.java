package dev.baton.runtime.planning;

import dev.baton.plan.Catalog;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.llm.AgentInfo;
import dev.baton.plan.llm.LlmPlanner;
import dev.baton.plan.llm.PlanningOutcome;
import dev.baton.plan.llm.RunSoFar;
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
        PlanningOutcome outcome = planner.plan(new dev.baton.plan.llm.PlanningRequest(FollowUp.goalWithContext(request.goal(), request.options()), request.input(),
                        catalog, agents.get()),
                modelForRun.apply(request.runId()));
        if (outcome instanceof PlanningOutcome.Planned planned) {
            return new ProposedPlan(PlanWriter.toJson(planned.plan()), SOURCE);
        }
        PlanningOutcome.Failed failed = (PlanningOutcome.Failed) outcome;
        throw new PlanningException(failed.code(), failed.message());
    }

    @Override
    public boolean canReplan(com.fasterxml.jackson.databind.JsonNode runOptions) {
        return true;
    }

    /**
     * Replans with {@link LlmPlanner} and a {@link RunSoFar}: the model writes only new tasks,
     * and the planner puts the kept (succeeded) tasks, unchanged, in front of them.
     */
    @Override
    public ProposedPlan replan(ReplanningRequest request) throws PlanningException {
        dev.baton.plan.Plan previous;
        try {
            previous = dev.baton.plan.PlanParser.parse(request.previousPlan());
        } catch (dev.baton.plan.PlanException e) {
            throw new PlanningException("replanning_failed", "the run's plan does not parse: " + e.getMessage());
        }
        RunSoFar soFar = new RunSoFar(previous,
                request.succeeded().stream().map(t -> new RunSoFar.Succeeded(t.id(), t.output())).toList(),
                request.failed().stream().map(t -> new RunSoFar.Failed(t.id(), t.code() + ": " + t.message())).toList(),
                request.messages());
        dev.baton.plan.llm.PlanningRequest planning = new dev.baton.plan.llm.PlanningRequest(request.goal(), request.input(),
                catalog, agents.get()).replanning(soFar);
        PlanningOutcome outcome = planner.plan(planning, modelForRun.apply(request.runId()));
        if (outcome instanceof PlanningOutcome.Planned planned) {
            return new ProposedPlan(PlanWriter.toJson(planned.plan()), SOURCE);
        }
        PlanningOutcome.Failed failed = (PlanningOutcome.Failed) outcome;
        throw new PlanningException(failed.code(), failed.message());
    }
}
