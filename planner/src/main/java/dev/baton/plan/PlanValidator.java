package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolDescriptor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that a well-formed plan (see {@link PlanParser}) can run against a {@link Catalog}:
 * unique ids, dependencies on tasks that exist and no cycles, known tools and agents (and a
 * model for agent tasks), well-formed {@code ${...}} references to other tasks, arguments
 * that fit each tool's JSON schema, and sizes within {@link PlanLimits}. Every problem names
 * the task and the field at fault, with a "did you mean" when a name is a near miss, so that
 * a person or an LLM planner can repair the plan.
 *
 * <p>An argument that is exactly one reference, e.g. {@code "${customer.output.tier}"}, is
 * only known at run time: it passes the schema check wherever some value could pass. A plan
 * over the task or size limit is reported as that alone, unchecked further. Thread-safe.
 */
public final class PlanValidator {

    private static final int MAX_CYCLE_SHOWN = 20;

    private final Catalog catalog;
    private final PlanLimits limits;

    public PlanValidator(Catalog catalog, PlanLimits limits) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** A validator with {@link PlanLimits#DEFAULT}. */
    public PlanValidator(Catalog catalog) {
        this(catalog, PlanLimits.DEFAULT);
    }

    /** Every problem of the plan, in plan order, cycles last; empty when it can run. */
    public List<PlanProblem> validate(Plan plan) {
        return validate(plan, null);
    }

    /**
     * The same, for a caller that has the plan written already ({@code written}, from
     * {@link PlanWriter#toJson}) and will keep it: the size check reads it instead of writing
     * the plan again.
     */
    public List<PlanProblem> validate(Plan plan, JsonNode written) {
        ProblemList problems = new ProblemList();
        if (!checkSize(plan, written, problems)) return problems.toList();
        Set<String> ids = new LinkedHashSet<>();
        for (TaskSpec task : plan.tasks()) ids.add(task.id());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < plan.tasks().size(); i++) {
            TaskSpec task = plan.tasks().get(i);
            checkId(task, i, seen, problems);
            checkDependsOn(task, ids, problems);
            if (task.action() instanceof TaskAction.ToolCall call) checkToolCall(task, call, ids, problems);
            if (task.action() instanceof TaskAction.AgentCall call) checkAgentCall(task, call, problems);
            FlowCheck.check(task, ids, catalog, problems);
        }
        for (List<String> cycle : Cycles.find(plan)) {
            TaskSpec first = plan.task(cycle.get(0)).orElseThrow();
            problems.add(first.id(), fieldOfEdge(first, cycle.get(1)),
                    "cycle " + describeCycle(cycle) + " (each task depends on the next, so none of them can start)");
        }
        return problems.toList();
    }

    /** Like {@link #validate}, throwing when there is any problem. */
    public void check(Plan plan) throws PlanException {
        List<PlanProblem> problems = validate(plan);
        if (!problems.isEmpty()) throw new PlanException(problems);
    }

    private boolean checkSize(Plan plan, JsonNode written, ProblemList problems) {
        int count = plan.tasks().size();
        if (count == 0) {
            problems.add(null, "tasks", "the plan has no tasks; a plan needs at least one");
        } else if (count > limits.maxTasks()) {
            problems.add(null, "tasks", "the plan has " + count + " tasks; the limit is " + limits.maxTasks());
        } else {
            long bytes = byteSize(written != null ? written : PlanWriter.toJson(plan));
            if (bytes > limits.maxPlanBytes()) {
                problems.add(null, "tasks", "the plan takes " + bytes + " bytes as JSON; the limit is " + limits.maxPlanBytes());
            }
        }
        return problems.isEmpty();
    }

    private static void checkId(TaskSpec task, int index, Map<String, Integer> seen, ProblemList problems) {
        String id = task.id();
        if (!PlanParser.ID.matcher(id).matches()) {
            problems.add(id, "id", "id '" + id + "' must be 1 to 64 letters, digits, '_' or '-'");
        } else if (id.equals(PlanParser.RESERVED_ID)) {
            problems.add(id, "id", "'input' is reserved for the run's input (${input...}); choose another id");
        }
        Integer first = seen.putIfAbsent(id, index);
        if (first != null) problems.add(id, "id", "duplicate id '" + id + "' (also task #" + (first + 1) + ")");
    }

    private void checkDependsOn(TaskSpec task, Set<String> ids, ProblemList problems) {
        Set<String> reported = new LinkedHashSet<>();
        for (String dependency : task.dependsOn()) {
            if (!reported.add(dependency)) continue;
            if (dependency.equals(task.id())) {
                problems.add(task.id(), "dependsOn", "a task cannot depend on itself");
            } else if (!ids.contains(dependency)) {
                problems.add(task.id(), "dependsOn", "depends on unknown task '" + dependency + "'"
                        + (problems.full() ? "" : Suggestions.didYouMean(dependency, ids)));
            }
        }
        int count = task.dependencies().size();
        if (count > limits.maxDependenciesPerTask()) {
            problems.add(task.id(), "dependsOn", "depends on " + count + " tasks (dependsOn and references together); the limit is "
                    + limits.maxDependenciesPerTask());
        }
    }

    private void checkToolCall(TaskSpec task, TaskAction.ToolCall call, Set<String> ids, ProblemList problems) {
        Optional<ToolDescriptor> tool = catalog.tool(call.tool());
        if (tool.isEmpty()) {
            problems.add(task.id(), "tool", "unknown tool '" + call.tool() + "'" + Suggestions.didYouMean(call.tool(), catalog.toolNames()));
        }
        long bytes = byteSize(call.args());
        if (bytes > limits.maxArgsBytes()) {
            problems.add(task.id(), "args", "the arguments take " + bytes + " bytes as JSON; the limit is " + limits.maxArgsBytes());
            return;
        }
        ArgumentCheck.references(task, call.args(), ids, problems);
        tool.ifPresent(descriptor -> ArgumentCheck.schema(task, descriptor, call.args(), problems));
    }

    private void checkAgentCall(TaskSpec task, TaskAction.AgentCall call, ProblemList problems) {
        if (!catalog.modelConfigured()) {
            problems.add(task.id(), "agent", "agent tasks need a model: set OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL");
        } else if (!catalog.hasAgent(call.agent())) {
            problems.add(task.id(), "agent", "unknown agent '" + call.agent() + "'" + Suggestions.didYouMean(call.agent(), catalog.agentNames()));
        }
    }

    /** {@code a -> b -> c -> a}; a long cycle shows its first ten and last five steps. */
    private static String describeCycle(List<String> cycle) {
        if (cycle.size() <= MAX_CYCLE_SHOWN) return String.join(" -> ", cycle);
        int head = 10;
        int tail = 5;
        return String.join(" -> ", cycle.subList(0, head)) + " -> ... " + (cycle.size() - head - tail) + " more ... -> "
                + String.join(" -> ", cycle.subList(cycle.size() - tail, cycle.size()));
    }

    /** Where {@code task} says it depends on {@code next}: {@code dependsOn}, or the argument that references it. */
    private static String fieldOfEdge(TaskSpec task, String next) {
        if (task.dependsOn().contains(next)) return "dependsOn";
        if (task.flow().conditionTaskIds().contains(next)) return "when";
        if (task.action() instanceof TaskAction.ToolCall call) return ArgumentCheck.firstReferenceTo(call.args(), next);
        return "dependsOn";
    }

    /**
     * The retry policy a task runs with: the tool's policy, overridden field by field by the
     * plan's {@link PlanRetry}. A plan's {@code maxBackoff} below the tool's first delay lowers
     * that delay too.
     *
     * @param tool the task's tool, or null for a task without one ({@link RetryPolicy#DEFAULT} is then the base)
     */
    public static RetryPolicy effectiveRetry(TaskSpec task, ToolDescriptor tool) {
        RetryPolicy base = tool != null ? tool.retry() : RetryPolicy.DEFAULT;
        PlanRetry override = task.retry();
        if (override == null) return base;
        int attempts = override.maxAttempts() != null ? override.maxAttempts() : base.maxAttempts();
        Duration maxBackoff = override.maxBackoff() != null ? override.maxBackoff() : base.maxBackoff();
        Duration backoff = override.backoff() != null ? override.backoff() : min(base.initialBackoff(), maxBackoff);
        return new RetryPolicy(attempts, backoff, maxBackoff, base.multiplier(), base.jitter());
    }

    /**
     * How long one attempt of the task may take: the plan's timeout, else the tool's, else
     * {@link ToolDescriptor#DEFAULT_TIMEOUT} for a tool that declares none.
     *
     * @param tool the task's tool, or null for a task without one
     * @return null only for a task with neither (an agent task bounded by its own limits, or a wait)
     */
    public static Duration effectiveTimeout(TaskSpec task, ToolDescriptor tool) {
        return effectiveTimeout(task, tool, ToolDescriptor.DEFAULT_TIMEOUT);
    }

    /** As {@link #effectiveTimeout(TaskSpec, ToolDescriptor)}, with the runner's default for a tool that declares no timeout. */
    public static Duration effectiveTimeout(TaskSpec task, ToolDescriptor tool, Duration toolDefault) {
        if (task.timeout() != null) return task.timeout();
        return tool != null ? tool.timeoutOr(toolDefault) : null;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The size of a value as compact UTF-8 JSON, counted without holding the text. */
    static long byteSize(JsonNode value) {
        long[] count = {0};
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        try {
            Json.MAPPER.writeValue(counter, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count[0];
    }
}
