/**
 * The LLM planner: a goal, the run's input, the tools and the agents go in; a validated
 * {@link dev.baton.plan.Plan} (or a failure that says why) comes out.
 *
 * <p>{@link dev.baton.plan.llm.LlmPlanner} takes any LangChain4j
 * {@link dev.langchain4j.model.chat.ChatModel}, so it knows nothing of HTTP, retries or the
 * runtime. It validates every answer with {@link dev.baton.plan.PlanParser} and
 * {@link dev.baton.plan.PlanValidator} and sends the problems back for a bounded number of
 * repairs. With a {@link dev.baton.plan.llm.RunSoFar} it replans: the succeeded tasks are kept
 * (placed first in the returned plan, unchanged, under their ids) and the model writes only
 * the tasks still needed, which may read the kept tasks' outputs as {@code ${id.output...}}.
 *
 * <p>What the prompt promises the runtime: an agent task sees the goal, the run's input and the
 * outputs of the tasks in its {@code dependsOn} ({@code ${...}} references work in tool
 * arguments only).
 */
package dev.baton.plan.llm;
