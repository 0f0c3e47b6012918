package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolDescriptor;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
     * {@link PlanWriter#toJson}) and will keep it: the size check counts its bytes from the tree
     * (see {@link JsonSize}) instead of writing the plan again, and counts each task's arguments
     * once, for the task's limit and the plan's alike.
     */
    public List<PlanProblem> validate(Plan plan, JsonNode written) {
        ProblemList problems = new ProblemList();
        List<TaskSpec> tasks = plan.tasks();
        if (!checkCount(tasks.size(), problems)) return problems.toList();
        long[] argsBytes = argsBytes(tasks);
        long bytes = planBytes(plan, written, argsBytes);
        if (bytes > limits.maxPlanBytes()) {
            problems.add(null, "tasks", "the plan takes " + bytes + " bytes as JSON; the limit is " + limits.maxPlanBytes());
            return problems.toList();
        }
        // Each id's first task; its keys, in plan order, are the ids references may name.
        Map<String, Integer> firstIndex = new LinkedHashMap<>(tasks.size() * 4 / 3 + 1);
        for (int i = 0; i < tasks.size(); i++) firstIndex.putIfAbsent(tasks.get(i).id(), i);
        Set<String> ids = firstIndex.keySet();
        for (int i = 0; i < tasks.size(); i++) {
            TaskSpec task = tasks.get(i);
            checkId(task, i, firstIndex.get(task.id()), problems);
            checkDependsOn(task, ids, problems);
            if (task.action() instanceof TaskAction.ToolCall call) checkToolCall(task, call, argsBytes[i], ids, problems);
            if (task.action() instanceof TaskAction.AgentCall call) checkAgentCall(task, call, problems);
            FlowCheck.check(task, ids, catalog, problems);
        }
        for (List<String> cycle : Cycles.find(plan, firstIndex)) {
            TaskSpec first = tasks.get(firstIndex.get(cycle.get(0)));
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

    private boolean checkCount(int count, ProblemList problems) {
        if (count == 0) {
            problems.add(null, "tasks", "the plan has no tasks; a plan needs at least one");
        } else if (count > limits.maxTasks()) {
            problems.add(null, "tasks", "the plan has " + count + " tasks; the limit is " + limits.maxTasks());
        }
        return problems.isEmpty();
    }

    /** Each tool task's arguments as compact JSON, in bytes; -1 for a task without arguments. */
    private static long[] argsBytes(List<TaskSpec> tasks) {
        long[] bytes = new long[tasks.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = tasks.get(i).action() instanceof TaskAction.ToolCall call ? byteSize(call.args()) : -1;
        }
        return bytes;
    }

    /**
     * The plan's bytes as {@link PlanWriter} writes it. {@code {"tasks": [...]}} with the tasks in
     * plan order and a tool task's {@code args} a copy of its arguments is what the writer
     * promises, so the arguments, counted already, are not walked again; a tree of another
     * shape is counted whole.
     */
    private static long planBytes(Plan plan, JsonNode written, long[] argsBytes) {
        JsonNode json = written != null ? written : PlanWriter.toJson(plan);
        JsonNode list = json.get("tasks");
        if (!json.isObject() || json.size() != 1 || list == null || !list.isArray() || list.size() != argsBytes.length) {
            return byteSize(json);
        }
        long size = "{\"tasks\":[]}".length() + Math.max(0, argsBytes.length - 1);
        for (int i = 0; i < argsBytes.length; i++) {
            JsonNode task = list.get(i);
            size += argsBytes[i] >= 0 && task.isObject() && task.has("args")
                    ? JsonSize.ofObject(task, "args", argsBytes[i])
                    : byteSize(task);
        }
        return size;
    }

    private static void checkId(TaskSpec task, int index, int first, ProblemList problems) {
        String id = task.id();
        if (!PlanParser.isValidId(id)) {
            problems.add(id, "id", "id '" + id + "' must be 1 to 64 letters, digits, '_' or '-'");
        } else if (id.equals(PlanParser.RESERVED_ID)) {
            problems.add(id, "id", "'input' is reserved for the run's input (${input...}); choose another id");
        }
        if (first != index) problems.add(id, "id", "duplicate id '" + id + "' (also task #" + (first + 1) + ")");
    }

    private void checkDependsOn(TaskSpec task, Set<String> ids, ProblemList problems) {
        Set<String> reported = task.dependsOn().size() > 1 ? new HashSet<>() : null; // each dependency is reported once
        for (String dependency : task.dependsOn()) {
            if (reported != null && !reported.add(dependency)) continue;
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

    private void checkToolCall(TaskSpec task, TaskAction.ToolCall call, long bytes, Set<String> ids, ProblemList problems) {
        Optional<ToolDescriptor> tool = catalog.tool(call.tool());
        if (tool.isEmpty()) {
            problems.add(task.id(), "tool", "unknown tool '" + call.tool() + "'" + Suggestions.didYouMean(call.tool(), catalog.toolNames()));
        }
        if (bytes > limits.maxArgsBytes()) {
            problems.add(task.id(), "args", "the arguments take " + bytes + " bytes as JSON; the limit is " + limits.maxArgsBytes());
            return;
        }
        ArgumentCheck.references(task, call.args(), ids, problems);
        tool.ifPresent(descriptor -> ArgumentCheck.schema(task, descriptor, call.args(), problems));
    }

    private void checkAgentCall(TaskSpec task, TaskAction.AgentCall call, ProblemList problems) {
        if (!catalog.modelConfigured()) {
            problems.add(task.id(), "agent", "agent tasks need a model: " + ModelHint.SET);
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

    /** The size of a value as compact UTF-8 JSON, counted from the tree without writing it (see {@link JsonSize}). */
    static long byteSize(JsonNode value) {
        return JsonSize.of(value);
    }
}
