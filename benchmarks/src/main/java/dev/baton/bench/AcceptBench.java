package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.PlanWriter;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.TaskState;
import dev.baton.plan.TaskAction;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Part "accept": what accepting a wide plan costs, off the orchestrator and its journal, so
 * that the figure is the planner's and the run model's own. For each plan shape of
 * {@code bench.accept.tasks} tasks, in ms per plan (median of {@code bench.accept.reps} after
 * {@code bench.accept.warmups} warm-ups, each step timed on its own):
 * <ul>
 *   <li>{@code accept}: what the orchestrator does with a posted plan before any run exists:
 *       {@code PlanParser.parse}, {@code PlanWriter.toJson}, {@code PlanValidator.validate(plan, written)};
 *       and each of the three alone;</li>
 *   <li>{@code render}: {@code RunJson.run} of the fresh run (every task PENDING), as {@code submit}
 *       answers, and the same written to bytes as the server sends it.</li>
 * </ul>
 * Steps and shapes take turns within each repetition, so drift weighs on all alike.
 */
final class AcceptBench {

    private final Report report;
    private final int tasks = Options.integer("bench.accept.tasks", 10_000);
    private final int warmups = Options.integer("bench.accept.warmups", 15);
    private final int reps = Math.max(1, Options.integer("bench.accept.reps", 25));

    AcceptBench(Report report) {
        this.report = report;
    }

    /** One step of acceptance, timed alone; returns something so the JIT cannot drop the work. */
    private interface Step {
        Object run() throws Exception;
    }

    void run() throws Exception {
        report.section(String.format("Plan acceptance: %,d-task plans, parse + write + validate, and the fresh run's JSON", tasks));
        ToolRegistry tools = ThroughputBench.tools();
        tools.register(new LookupTool());
        PlanValidator validator = new PlanValidator(RuntimeCatalog.of(tools, new AgentRegistry(), false));
        Predicate<TaskState> gated = task -> task.spec().action() instanceof TaskAction.ToolCall call
                && tools.find(call.tool()).map(t -> t.descriptor().requiresApproval()).orElse(false);

        Map<String, JsonNode> shapes = new LinkedHashMap<>();
        shapes.put("waits", Plans.independentWaits(tasks));
        shapes.put("echoes", Plans.independentEchoes(tasks));
        shapes.put("chain", Plans.chainOfWaits(tasks, true));
        shapes.put("tree", referenceTree(tasks));
        shapes.put("typed", typedCalls(tasks));

        Map<String, Step> steps = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> shape : shapes.entrySet()) {
            JsonNode json = shape.getValue();
            Plan plan = PlanParser.parse(json);
            JsonNode written = PlanWriter.toJson(plan);
            List<PlanProblem> problems = validator.validate(plan, written);
            if (!problems.isEmpty()) throw new IllegalStateException(shape.getKey() + " does not validate: " + problems.get(0));
            RunState run = freshRun(plan, written);
            String name = shape.getKey();
            steps.put(name + " accept", () -> {
                Plan parsed = PlanParser.parse(json);
                JsonNode out = PlanWriter.toJson(parsed);
                return validator.validate(parsed, out);
            });
            steps.put(name + "   parse", () -> PlanParser.parse(json));
            steps.put(name + "   write", () -> PlanWriter.toJson(plan));
            steps.put(name + "   validate", () -> validator.validate(plan, written));
            steps.put(name + " render", () -> RunJson.run(run, gated));
            steps.put(name + " render+bytes", () -> Json.MAPPER.writeValueAsBytes(RunJson.run(run, gated)));
        }

        Map<String, List<Double>> times = new LinkedHashMap<>();
        for (String name : steps.keySet()) times.put(name, new ArrayList<>());
        long sink = 0;
        for (int rep = 0; rep < warmups + reps; rep++) {
            for (Map.Entry<String, Step> step : steps.entrySet()) {
                long start = System.nanoTime();
                Object result = step.getValue().run();
                long took = System.nanoTime() - start;
                sink += System.identityHashCode(result);
                if (rep >= warmups) times.get(step.getKey()).add(took / 1e6);
            }
        }
        report.say("ms per plan, median (min .. max) of %d after %d warm-ups   [sink %d]", reps, warmups, sink & 1);
        for (Map.Entry<String, List<Double>> entry : times.entrySet()) {
            Stats s = Stats.of(entry.getValue());
            report.say("%-24s %8s ms   (%s .. %s)", entry.getKey(), Report.fmt(s.median()), Report.fmt(s.min()), Report.fmt(s.max()));
            report.info("accept " + entry.getKey().replaceAll("\\s+", " "), Report.fmt(s.median()) + " ms");
        }
    }

    /** A run as {@code submit} leaves it: created, its plan accepted (parsed once, as the orchestrator hands it over). */
    private static RunState freshRun(Plan plan, JsonNode written) {
        RunState run = new RunState("r_bench");
        Instant now = Instant.now();
        run.apply(new RunEvent(1, run.id(), now, new EventData.RunCreated("bench", Json.object(), null, null, null)));
        run.knowPlan(written, plan);
        run.apply(new RunEvent(2, run.id(), now, new EventData.PlanAccepted(1, written)));
        return run;
    }

    /** {@code n} independent calls of {@link LookupTool}, whose arguments the schema checks field by field. */
    static JsonNode typedCalls(int n) {
        ObjectNode plan = Json.object();
        ArrayNode list = plan.putArray("tasks");
        for (int i = 0; i < n; i++) {
            ObjectNode task = list.addObject().put("id", "c" + i).put("tool", LookupTool.NAME);
            task.putObject("args").put("email", "user" + i + "@example.com").put("tier", i % 3 == 0 ? "gold" : "silver").put("limit", 1 + i % 50);
        }
        return plan;
    }

    /** A tool with a typed schema, as most real tools have; never called here. */
    static final class LookupTool implements BatonTool {
        static final String NAME = "crm.lookup";

        private final ToolDescriptor descriptor = ToolDescriptor.builder(NAME)
                .description("Looks a customer up.")
                .parameters(schema("""
                        {"type": "object",
                         "properties": {
                           "email": {"type": "string", "minLength": 3, "maxLength": 200, "pattern": "@"},
                           "tier": {"enum": ["gold", "silver", "bronze"]},
                           "limit": {"type": "integer", "minimum": 1, "maximum": 100}},
                         "required": ["email"],
                         "additionalProperties": false}"""))
                .build();

        private static ObjectNode schema(String json) {
            try {
                return (ObjectNode) Json.parse(json);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) {
            return args;
        }
    }

    /**
     * {@code n} echo calls, each but the first reading an earlier one's output
     * ({@code t<i>} reads {@code t<i/2>}): references, implied dependencies and deferred schema checks.
     */
    static JsonNode referenceTree(int n) {
        ObjectNode plan = Json.object();
        ArrayNode list = plan.putArray("tasks");
        for (int i = 0; i < n; i++) {
            ObjectNode task = list.addObject().put("id", "t" + i).put("title", "Echo number " + i).put("tool", "echo");
            ObjectNode args = task.putObject("args").put("i", i);
            if (i > 0) args.put("from", "${t" + (i / 2) + ".output.i}").put("note", "after t" + (i / 2) + ": ${t" + (i / 2) + ".output}");
        }
        return plan;
    }
}
