package dev.baton.plan;

import dev.baton.plan.condition.ConditionParser;
import dev.baton.plan.condition.Expr;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.util.Optional;
import java.util.Set;

/**
 * The validator's checks of a task's flow fields: the {@code when} condition (syntax, operators,
 * functions, the tasks it reads), and the fallback's and compensation's tools and arguments.
 * Every problem names the task and the field, e.g. {@code when} or {@code fallback.args.to}.
 */
final class FlowCheck {

    private FlowCheck() {
    }

    static void check(TaskSpec task, Set<String> ids, Catalog catalog, ProblemList problems) {
        Flow flow = task.flow();
        if (flow.plain()) return;
        if (flow.when() != null) condition(task, flow, ids, problems);
        if (flow.fallback() != null && gated(task, catalog)) {
            problems.add(task.id(), "fallback", "the task needs a person's approval, and its fallback would run without one;"
                    + " drop the fallback or the approval");
        }
        if (flow.fallback() instanceof TaskAction.ToolCall call) {
            toolCall(task, call, "fallback", ids, catalog, problems);
        } else if (flow.fallback() instanceof TaskAction.AgentCall call) {
            if (!catalog.modelConfigured()) {
                problems.add(task.id(), "fallback.agent", "agent fallbacks need a model: " + ModelHint.SET);
            } else if (!catalog.hasAgent(call.agent())) {
                problems.add(task.id(), "fallback.agent", "unknown agent '" + call.agent() + "'"
                        + Suggestions.didYouMean(call.agent(), catalog.agentNames()));
            }
            references(task, "fallback.instruction", call.instruction(), true, ids, problems);
        }
        if (flow.compensate() != null) toolCall(task, flow.compensate(), "compensate", ids, catalog, problems);
    }

    /** Whether the task waits for a person: the plan says so, or its tool does. */
    private static boolean gated(TaskSpec task, Catalog catalog) {
        if (task.approval() != null && task.approval().required()) return true;
        return task.action() instanceof TaskAction.ToolCall call
                && catalog.tool(call.tool()).map(ToolDescriptor::requiresApproval).orElse(false);
    }

    private static void condition(TaskSpec task, Flow flow, Set<String> ids, ProblemList problems) {
        if (flow.conditionError() != null) {
            problems.add(task.id(), "when", flow.conditionError().getMessage());
            return;
        }
        for (Expr.Ref ref : ConditionParser.references(flow.condition())) {
            if (!ref.readsTask()) continue;
            if (ref.root().equals(task.id())) {
                problems.add(task.id(), "when", "'" + ref.text() + "' reads the task itself at " + ref.at()
                        + ": a condition reads the run's input and other tasks");
            } else if (!ids.contains(ref.root())) {
                problems.add(task.id(), "when", "refers to unknown task '" + ref.root() + "' at " + ref.at()
                        + (problems.full() ? "" : Suggestions.didYouMean(ref.root(), ids)));
            }
        }
    }

    /**
     * A fallback's or compensation's call: a known tool, arguments that fit its schema, and
     * references only to the input, the task's dependencies and the task itself (its error for
     * a fallback, its output for a compensation).
     */
    private static void toolCall(TaskSpec task, TaskAction.ToolCall call, String field, Set<String> ids, Catalog catalog,
                                 ProblemList problems) {
        Optional<ToolDescriptor> tool = catalog.tool(call.tool());
        if (tool.isEmpty()) {
            problems.add(task.id(), field + ".tool", "unknown tool '" + call.tool() + "'" + Suggestions.didYouMean(call.tool(), catalog.toolNames()));
        } else if (tool.get().requiresApproval()) {
            problems.add(task.id(), field + ".tool", "tool '" + call.tool() + "' needs a person's approval, and a " + field
                    + " runs unattended; choose a tool without approval");
        }
        boolean fallback = field.equals("fallback");
        ArgumentCheck.stringsWithReferences(call.args(), field + ".args", (path, text) -> references(task, path, text, fallback, ids, problems));
        tool.ifPresent(descriptor -> {
            // The same plan-time reading of references as a task's arguments get (see ArgumentCheck.schema).
            for (SchemaViolation v : JsonSchemaValidator.validate(descriptor.parameters(), call.args(), ArgumentCheck.REFERENCES)) {
                problems.add(task.id(), field + "." + v.path(), v.message());
            }
        });
    }

    /**
     * The references in one string of a fallback or a compensation: to the input, the task's
     * dependencies and the task itself (its error for a fallback, its output for a compensation).
     */
    private static void references(TaskSpec task, String path, String text, boolean fallback, Set<String> ids,
                                   ProblemList problems) {
        ArgumentCheck.eachReference(task, path, text, problems, new java.util.function.Consumer<>() {
            Set<String> dependencies; // computed only for a reference to another task: most read the input or the task itself

            @Override
            public void accept(References.Reference ref) {
                if (ref.input()) return;
                boolean self = ref.root().equals(task.id());
                if (ref.error() && !(fallback && self)) {
                    problems.add(task.id(), path, ref.text() + ": only a fallback may read an error, and only its own task's ("
                            + "${" + task.id() + ".error.message})");
                } else if (self && !ref.error() && fallback) {
                    problems.add(task.id(), path, ref.text() + ": a fallback runs because its task failed, so the task has no output;"
                            + " read ${" + task.id() + ".error...} instead");
                } else if (!self && !ids.contains(ref.root())) {
                    problems.add(task.id(), path, "refers to unknown task '" + ref.root() + "' in " + ref.text()
                            + (problems.full() ? "" : Suggestions.didYouMean(ref.root(), ids)));
                } else if (!self) {
                    if (dependencies == null) dependencies = task.dependencies();
                    if (!dependencies.contains(ref.root())) {
                        problems.add(task.id(), path, "refers to task '" + ref.root() + "', which task '" + task.id()
                                + "' does not depend on; add it to 'dependsOn'");
                    }
                }
            }
        });
    }
}
