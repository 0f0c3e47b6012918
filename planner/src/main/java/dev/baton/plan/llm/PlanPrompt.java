package dev.baton.plan.llm;

import dev.baton.json.Json;
import dev.baton.plan.Catalog;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanWriter;
import dev.baton.tools.ToolDescriptor;

import java.util.List;
import java.util.Optional;

/**
 * The texts the {@link LlmPlanner} sends: the system prompt (the plan format, the rules, the
 * tools and agents), the request (goal, input and, when replanning, the run so far), and the
 * repair request that carries the validator's messages.
 */
final class PlanPrompt {

    /**
     * The example of DESIGN.md, "The plan": the format the model must write. Its route step calls
     * {@code queue.assign} rather than DESIGN.md's {@code tickets.route}: Baton has a real
     * {@code tickets.route} whose arguments differ, and a model would copy the example's.
     */
    static final String EXAMPLE = """
            {
              "tasks": [
                {"id": "classify", "title": "Classify the ticket", "agent": "triager",
                 "instruction": "Classify this ticket by category and priority."},
                {"id": "customer", "title": "Look up the customer", "tool": "crm.lookup",
                 "args": {"email": "${input.email}"}},
                {"id": "route", "title": "Route to a queue", "tool": "queue.assign",
                 "args": {"category": "${classify.output.category}", "tier": "${customer.output.tier}"},
                 "approval": "required", "retry": {"maxAttempts": 3, "backoff": "PT1S"}},
                {"id": "cool-off", "wait": "PT2H", "dependsOn": ["route"]}
              ]
            }""";

    static final String FORMAT = """
            You are the planner of Baton, an agent-orchestration framework. You turn a goal into a plan: \
            a graph of tasks that Baton runs for you, in parallel wherever tasks do not depend on each other.

            # The plan format

            Answer with one JSON object of this form (an example; its tools and agents are not necessarily yours):

            %s

            Each task is an object with these fields, and no others:
            - "id" (required): unique in the plan; 1 to 64 letters, digits, '_' or '-'. "input" is reserved.
            - "title": a few words for people.
            - exactly one of three kinds:
              - a tool call: "tool" (a tool listed below) and "args" (an object that fits that tool's JSON schema). \
            No model is involved: the cheapest and fastest kind.
              - an agent task: "agent" (an agent listed below) and "instruction" (what the agent must do, self-contained). \
            An LLM that calls its tools in a loop until it answers: slow and costly. It sees the goal, the run's input \
            and the outputs of the tasks in its "dependsOn".
              - a wait: "wait" with an ISO-8601 duration such as "PT2H": a durable timer.
            - "dependsOn": ids of tasks that must finish before this one starts.
            - "approval": "required" when a person must approve the task before it runs \
            (or {"required": true, "timeout": "PT1H", "onTimeout": "reject" | "escalate"}).
            - "retry": {"maxAttempts": 3, "backoff": "PT1S", "maxBackoff": "PT30S"}, overriding the tool's retry policy.
            - "timeout": "PT30S", the limit for one attempt.
            - Optional flow fields: "when": a condition such as "classify.output.category == 'refund' and input.amount > 100"             (comparisons, and/or/not, in [...], exists(...); the task is skipped when it is false, and so are its dependants             unless they set "join": "any"); "fallback": {"tool", "args"}, a tool call that runs when the task fails for good             (its args may read ${task.error.message}); "continueOnError": true when the run may go on without the task;             "compensate": {"tool", "args"} on a tool task, the call that undoes it if the run later fails             (its args may read the task's own ${task.output...}).

            References: a string anywhere in "args" may hold ${input.path}, a value of the run's input \
            (e.g. ${input.email}), or ${task.output.path}, a value of another task's output \
            (e.g. ${customer.output.tier}, ${search.output.items[0].url}, or ${customer.output} for all of it). \
            A string that is exactly one reference takes the value with its JSON type; a reference inside longer \
            text is replaced by the value's text. A reference to a task's output makes this task depend on it: \
            it need not be repeated in "dependsOn". References work in "args" only, not in instructions.

            # How to plan

            1. Prefer tool tasks with ${...} references over agent tasks wherever no judgement is needed: \
            looking something up, fetching, or passing one task's output to another tool is a tool task.
            2. Prefer independent tasks over chains: tasks that need nothing from each other must not depend on \
            each other, so that they run in parallel. Add a dependency only where a task needs another's output \
            or must come after it.
            3. Use agent tasks only for judgement: classifying, summarising, deciding, writing for people.
            4. Use only the tools and agents listed below, with arguments that fit each tool's schema.
            5. Never try to remove an approval. Tools marked "needs approval" are gated by Baton whatever the plan \
            says: do not set "approval": "none" on them and do not route around them with other tools or agents. \
            You may add "approval": "required" where a person should look first.
            6. Keep the plan as small as the goal allows.
            7. Output ONLY the JSON object: no prose before or after it, no markdown fences, no comments.
            """;

    private final LlmPlanner planner;

    PlanPrompt(LlmPlanner planner) {
        this.planner = planner;
    }

    /** The format, the rules, the tools and the agents. */
    String system(PlanningRequest request) {
        StringBuilder text = new StringBuilder(FORMAT.formatted(EXAMPLE));
        text.append("\n# Tools\n\n");
        appendTools(text, request.catalog());
        text.append("\n# Agents\n\n");
        appendAgents(text, request);
        return text.toString();
    }

    private static void appendTools(StringBuilder text, Catalog catalog) {
        if (catalog.toolNames().isEmpty()) {
            text.append("(none: use agent and wait tasks only)\n");
            return;
        }
        for (String name : catalog.toolNames()) {
            Optional<ToolDescriptor> found = catalog.tool(name);
            if (found.isEmpty()) continue;
            ToolDescriptor tool = found.get();
            text.append("- ").append(tool.name());
            if (tool.requiresApproval()) text.append(" [needs approval]");
            if (!tool.description().isBlank()) text.append(": ").append(tool.description().strip());
            text.append("\n  args schema: ").append(Json.write(tool.parameters())).append('\n');
        }
    }

    private static void appendAgents(StringBuilder text, PlanningRequest request) {
        List<AgentInfo> agents = request.agents();
        if (!request.catalog().modelConfigured() || agents.isEmpty()) {
            text.append("(none: agent tasks are not available; use tool and wait tasks only)\n");
            return;
        }
        for (AgentInfo agent : agents) {
            text.append("- ").append(agent.name());
            if (!agent.description().isBlank()) text.append(": ").append(agent.description().strip());
            text.append("\n  tools: ").append(agent.tools().isEmpty() ? "(none)" : String.join(", ", agent.tools())).append('\n');
        }
    }

    /** The goal, the input and, when replanning, what the run has done so far. */
    String request(PlanningRequest request) {
        StringBuilder text = new StringBuilder();
        text.append("Goal: ").append(request.goal().strip()).append("\n\n");
        text.append("The run's input (read it with ${input.path}):\n")
                .append(truncate(Json.write(request.input()), planner.maxOutputChars())).append("\n\n");
        Optional<RunSoFar> soFar = request.soFar();
        if (soFar.isEmpty()) {
            text.append("Write the plan as one JSON object.");
            return text.toString();
        }
        RunSoFar run = soFar.get();
        text.append("This is a REPLAN: the run has started, and a new plan is needed for what is left.\n\n");
        text.append("The plan the run was following:\n").append(Json.write(PlanWriter.toJson(run.previousPlan()))).append("\n\n");
        if (run.succeeded().isEmpty()) {
            text.append("No task has succeeded yet.\n\n");
        } else {
            text.append("Tasks that SUCCEEDED. They are kept: Baton will not run them again, and their outputs stay "
                    + "available to new tasks as ${id.output...} (list them in \"dependsOn\" if an agent task needs them):\n");
            for (RunSoFar.Succeeded task : run.succeeded()) {
                text.append("- ").append(task.id()).append(" output: ")
                        .append(truncate(Json.write(task.output()), planner.maxOutputChars())).append('\n');
            }
            text.append('\n');
        }
        if (!run.failed().isEmpty()) {
            text.append("Tasks that FAILED for good (their retries are spent):\n");
            for (RunSoFar.Failed task : run.failed()) {
                text.append("- ").append(task.id()).append(" error: ").append(truncate(task.error(), planner.maxOutputChars())).append('\n');
            }
            text.append('\n');
        }
        if (!run.messages().isEmpty()) {
            text.append("Since then, the user added (follow these):\n");
            for (String message : run.messages()) {
                text.append("- ").append(truncate(message, planner.maxOutputChars())).append('\n');
            }
            text.append('\n');
        }
        text.append("Write a plan for the unfinished part only: the tasks still needed to reach the goal. ");
        if (!run.succeeded().isEmpty()) {
            text.append("Do NOT include or repeat the succeeded tasks (")
                    .append(String.join(", ", run.succeeded().stream().map(RunSoFar.Succeeded::id).toList()))
                    .append("); use their outputs through references instead. ");
        }
        text.append("Give every new task a new id, not one of the previous plan. Work around the failure "
                + "(another tool, other arguments, or an agent) rather than repeating the failed call unchanged. "
                + "Answer with one JSON object in the plan format.");
        return text.toString();
    }

    /** The follow-up that sends the problems back and asks for a corrected full plan. */
    String repair(List<PlanProblem> problems, boolean notJson, boolean replanning) {
        StringBuilder text = new StringBuilder();
        text.append(notJson ? "Your answer is not a JSON plan:\n" : "Your plan was rejected by the validator:\n");
        for (PlanProblem problem : problems) text.append("- ").append(problem).append('\n');
        text.append("\nAnswer with the corrected ").append(replanning ? "plan for the unfinished part (without the succeeded tasks)" : "full plan")
                .append(": one JSON object with all its tasks, nothing else.");
        return text.toString();
    }

    /** The text, cut to {@code max} characters with a note of how much was left out. */
    static String truncate(String text, int max) {
        if (text.length() <= max) return text;
        return text.substring(0, max) + "... [truncated: " + (text.length() - max) + " more characters]";
    }
}
