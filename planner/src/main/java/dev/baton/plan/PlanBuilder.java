package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolDescriptor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a plan in Java instead of JSON; {@link Plan#builder()} starts one. Each of
 * {@link #tool}, {@link #agent} and {@link #wait} adds a task and returns it, so that the
 * settings of that task follow it and the next task is added from there:
 *
 * <pre>{@code
 * Plan plan = Plan.builder()
 *         .tool("stock", "inventory.stockLevel", Map.of("sku", "${input.sku}"))
 *         .tool("price", "currency.convert", Map.of("amount", "${input.priceUsd}", "from", "USD", "to", "EUR"))
 *         .tool("reserve", "inventory.reserve", Map.of("sku", "${input.sku}", "quantity", 2))
 *             .dependsOn("stock", "price").requireApproval().retry(3, Duration.ofSeconds(1))
 *         .wait("cool-off", Duration.ofHours(2)).dependsOn("reserve")
 *         .build();
 * }</pre>
 *
 * <p>The result is exactly what {@link PlanParser} makes of the same plan written as JSON
 * ({@link PlanWriter#toJson} writes it). {@link #build()} checks it as the parser and the
 * {@link PlanValidator} would, with their messages (a duplicate id, a dependency on an unknown
 * task, a cycle, a malformed {@code ${...}} reference or {@code when} condition, a negative
 * duration), and throws {@link InvalidPlanException}. It does not know the tools and agents: the
 * orchestrator checks those when the plan is submitted; {@link #build(Catalog)} checks them too.
 * A builder is not thread-safe; the plan it builds is immutable.
 */
public final class PlanBuilder {

    private final List<Task> tasks = new ArrayList<>();

    PlanBuilder() {
    }

    /** Adds a tool call. {@code args} may hold {@code ${input.x}} and {@code ${task.output.x}} references. */
    public Task tool(String id, String tool, Map<String, ?> args) {
        return add(new Task(this, id, new TaskAction.ToolCall(tool, objectOf(args))));
    }

    /** Adds a tool call with arguments already in JSON. */
    public Task tool(String id, String tool, ObjectNode args) {
        return add(new Task(this, id, new TaskAction.ToolCall(tool, args.deepCopy())));
    }

    /** Adds a tool call without arguments. */
    public Task tool(String id, String tool) {
        return tool(id, tool, Json.object());
    }

    /** Adds an agent task: the agent (an LLM with tools) carries out the instruction. Needs a model. */
    public Task agent(String id, String agent, String instruction) {
        return add(new Task(this, id, new TaskAction.AgentCall(agent, instruction)));
    }

    /** Adds a durable timer: the task succeeds once {@code duration} has passed, also across restarts. */
    public Task wait(String id, Duration duration) {
        return add(new Task(this, id, new TaskAction.Wait(duration)));
    }

    /**
     * The plan, checked for everything that does not depend on the tools and agents.
     *
     * @throws InvalidPlanException naming every problem as the parser and validator do
     */
    public Plan build() {
        return build(OpenCatalog.INSTANCE);
    }

    /** The plan, checked against {@code catalog} as the orchestrator checks a submitted plan. */
    public Plan build(Catalog catalog) {
        Objects.requireNonNull(catalog, "catalog");
        List<TaskSpec> specs = new ArrayList<>(tasks.size());
        for (Task task : tasks) specs.add(task.spec());
        ObjectNode json = PlanWriter.toJson(new Plan(specs));
        try {
            // The parser checks what the record constructors do not (ids, blank names, durations); the plan is then its plan.
            Plan plan = PlanParser.parse(json);
            List<PlanProblem> problems = new PlanValidator(catalog).validate(plan, json);
            if (!problems.isEmpty()) throw new PlanException(problems);
            return plan;
        } catch (PlanException e) {
            throw new InvalidPlanException(e);
        }
    }

    /** The plan as JSON, as {@link PlanParser} reads it (after the checks of {@link #build()}). */
    public ObjectNode toJson() {
        return PlanWriter.toJson(build());
    }

    private Task add(Task task) {
        tasks.add(task);
        return task;
    }

    private static ObjectNode objectOf(Map<String, ?> args) {
        JsonNode tree = Json.toTree(args == null ? Map.of() : args);
        if (!tree.isObject()) throw new IllegalArgumentException("args must be a JSON object, found " + tree.getNodeType());
        return (ObjectNode) tree;
    }

    /**
     * A task being written. Its methods set this task's fields; {@link #tool}, {@link #agent},
     * {@link #wait} and {@link #build} carry on with the plan.
     */
    public static final class Task {
        private final PlanBuilder plan;
        private final String id;
        private final TaskAction action;
        private String title;
        private final List<String> dependsOn = new ArrayList<>();
        private ApprovalSpec approval;
        private PlanRetry retry;
        private Duration timeout;
        private String when;
        private Flow.Join join;
        private TaskAction fallback;
        private boolean continueOnError;
        private TaskAction.ToolCall compensate;

        private Task(PlanBuilder plan, String id, TaskAction action) {
            this.plan = plan;
            this.id = Objects.requireNonNull(id, "id");
            this.action = action;
        }

        /** For people; the id by default. */
        public Task title(String value) {
            this.title = value;
            return this;
        }

        /** Runs only after these tasks ({@code ${task.output...}} references add their tasks anyway). */
        public Task dependsOn(String... taskIds) {
            dependsOn.addAll(Arrays.asList(taskIds));
            return this;
        }

        /** Waits for a person's decision before it runs ({@code "approval": "required"}). */
        public Task requireApproval() {
            this.approval = ApprovalSpec.REQUIRED;
            return this;
        }

        /** Waits for a person's decision at most {@code timeout}; then {@code onTimeout} rejects or escalates. */
        public Task requireApproval(Duration timeout, ApprovalSpec.ExpiryPolicy onTimeout) {
            this.approval = new ApprovalSpec(true, timeout, onTimeout);
            return this;
        }

        /** Retries up to {@code maxAttempts} attempts in all, with the tool's backoff. */
        public Task retry(int maxAttempts) {
            this.retry = new PlanRetry(maxAttempts, null, null);
            return this;
        }

        /** Retries up to {@code maxAttempts} attempts in all, first after {@code backoff}. */
        public Task retry(int maxAttempts, Duration backoff) {
            this.retry = new PlanRetry(maxAttempts, backoff, null);
            return this;
        }

        /** Retries as {@code policy} says (any field null: the tool's). */
        public Task retry(PlanRetry policy) {
            this.retry = policy;
            return this;
        }

        /** How long one attempt may take (overrides the tool's timeout). */
        public Task timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /** Runs only when the condition holds (see {@code dev.baton.plan.condition}); skipped otherwise. */
        public Task when(String condition) {
            this.when = condition;
            return this;
        }

        /** Runs once every dependency finished and at least one succeeded ({@code "join": "any"}). */
        public Task joinAny() {
            this.join = Flow.Join.ANY;
            return this;
        }

        /** When the task fails for good, this tool call stands in for it. */
        public Task fallbackTool(String tool, Map<String, ?> args) {
            this.fallback = new TaskAction.ToolCall(tool, objectOf(args));
            return this;
        }

        /** When the task fails for good, this agent task stands in for it. */
        public Task fallbackAgent(String agent, String instruction) {
            this.fallback = new TaskAction.AgentCall(agent, instruction);
            return this;
        }

        /** The run goes on when this task fails for good (its dependants see it FAILED). */
        public Task continueOnError() {
            this.continueOnError = true;
            return this;
        }

        /** The tool call that undoes this task if the run later fails or is cancelled (a saga). */
        public Task compensate(String tool, Map<String, ?> args) {
            this.compensate = new TaskAction.ToolCall(tool, objectOf(args));
            return this;
        }

        /** Adds the next task: a tool call. */
        public Task tool(String id, String tool, Map<String, ?> args) {
            return plan.tool(id, tool, args);
        }

        /** Adds the next task: a tool call with arguments already in JSON. */
        public Task tool(String id, String tool, ObjectNode args) {
            return plan.tool(id, tool, args);
        }

        /** Adds the next task: a tool call without arguments. */
        public Task tool(String id, String tool) {
            return plan.tool(id, tool);
        }

        /** Adds the next task: an agent task. */
        public Task agent(String id, String agent, String instruction) {
            return plan.agent(id, agent, instruction);
        }

        /** Adds the next task: a durable timer. */
        public Task wait(String id, Duration duration) {
            return plan.wait(id, duration);
        }

        /** As {@link PlanBuilder#build()}. */
        public Plan build() {
            return plan.build();
        }

        /** As {@link PlanBuilder#build(Catalog)}. */
        public Plan build(Catalog catalog) {
            return plan.build(catalog);
        }

        /** As {@link PlanBuilder#toJson()}. */
        public ObjectNode toJson() {
            return plan.toJson();
        }

        private TaskSpec spec() {
            Flow flow = new Flow(when, join, fallback, continueOnError, compensate);
            return new TaskSpec(id, title, action, dependsOn, approval, retry, timeout, flow);
        }
    }

    /** A plan that {@link #build()} refused: its message is the parser's and validator's, its cause has the problems. */
    public static final class InvalidPlanException extends IllegalArgumentException {
        private final List<PlanProblem> problems;

        InvalidPlanException(PlanException cause) {
            super(cause.getMessage(), cause);
            this.problems = cause.problems();
        }

        public List<PlanProblem> problems() {
            return problems;
        }
    }

    /**
     * Every tool and agent exists, takes any arguments and needs no approval, and a model is
     * configured: so the validator reports only what a plan gets wrong by itself.
     */
    private enum OpenCatalog implements Catalog {
        INSTANCE;

        @Override
        public Optional<ToolDescriptor> tool(String name) {
            try {
                return Optional.of(ToolDescriptor.builder(name).parameters(Json.object()).build());
            } catch (IllegalArgumentException notAToolName) {
                return Optional.empty();
            }
        }

        @Override
        public boolean hasAgent(String name) {
            return true;
        }

        @Override
        public boolean modelConfigured() {
            return true;
        }

        @Override
        public Set<String> toolNames() {
            return Set.of();
        }
    }
}
