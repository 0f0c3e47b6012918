package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/**
 * Part "steps": what one step of a chain costs the orchestrator, in memory, with an in-process
 * tool that does nothing. A chain of {@code bench.steps.chain} tasks in one run, and
 * {@code bench.steps.runs} runs of {@code bench.steps.length}-task chains at once; each timed from
 * submit to finished, median of {@code bench.steps.rounds} after one warm-up. Beside them, the
 * same chain of zero-length waits, which call no tool. Every event is still journaled (in memory).
 * The figures to compare: LangChain4j agentic runs a chain of 1,000 no-op agents in about 2.5 µs a
 * step, and 100 chains of 100 in about 8 µs a task, on this machine.
 */
final class StepsBench {
    private final Vertx vertx;
    private final Report report;
    private final int chain = Options.integer("bench.steps.chain", 1_000);
    private final int runs = Options.integer("bench.steps.runs", 100);
    private final int length = Options.integer("bench.steps.length", 100);
    private final int rounds = Options.integer("bench.steps.rounds", 5);

    StepsBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("Steps: a chain of %,d, and %d chains of %d at once; in memory, in-process no-op tool", chain, runs, length));
        ToolRegistry tools = new ToolRegistry();
        tools.register(new Noop(true));
        tools.register(new Noop(false));
        String only = Options.text("bench.steps.only", "");
        for (String tool : new String[]{"noop.blocking", "noop"}) {
            if (!only.isEmpty() && !only.equals(tool)) continue;
            double chainMicros = perTask(tools, 1, chain, tool);
            double manyMicros = perTask(tools, runs, length, tool);
            report.info("chain step, tool " + tool, String.format("%s us/step (chain of %,d)", Report.fmt(chainMicros), chain));
            report.info("many chains, tool " + tool, String.format("%s us/task (%d chains of %d)", Report.fmt(manyMicros), runs, length));
        }
        if (!only.isEmpty()) return;
        double waitMicros = perTask(tools, 1, chain, null);
        report.info("chain step, zero-length waits", String.format("%s us/step (chain of %,d)", Report.fmt(waitMicros), chain));
    }

    /** Median µs per task over the rounds, after a warm-up round. */
    private double perTask(ToolRegistry tools, int runCount, int steps, String tool) throws Exception {
        JsonNode plan = chain(steps, tool);
        OrchestratorOptions.Builder options = OrchestratorOptions.builder().callMetrics(false);
        // Only when asked: so that the same bench also runs against a runtime from before shards.
        if (System.getProperty("bench.shards") != null) options.shards(Options.integer("bench.shards", 1));
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, Journals.open("memory", null), tools, options.build()), 60);
        try {
            List<Double> micros = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                long began = System.nanoTime();
                List<Future<ObjectNode>> finished = new ArrayList<>();
                for (int r = 0; r < runCount; r++) {
                    String id = Async.await(orchestrator.submit(new RunRequest("steps", Json.object(), plan, null, null, null)), 60).runId();
                    finished.add(orchestrator.whenFinished(id));
                }
                for (Future<ObjectNode> f : finished) {
                    ObjectNode run = Async.await(f, 600);
                    if (!"SUCCEEDED".equals(run.path("status").asText())) throw new IllegalStateException("run did not succeed: " + run.path("error"));
                }
                double perTask = (System.nanoTime() - began) / 1_000.0 / (runCount * (double) steps);
                if (round > 0) micros.add(perTask);
            }
            micros.sort(Double::compare);
            return micros.get(micros.size() / 2);
        } finally {
            orchestrator.close();
        }
    }

    private static JsonNode chain(int n, String tool) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int i = 0; i < n; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i);
            if (tool == null) task.put("wait", "PT0S");
            else task.put("tool", tool).putObject("args");
            if (i > 0) task.putArray("dependsOn").add("t" + (i - 1));
        }
        return plan;
    }

    /** Answers at once with an empty object; {@code blocking} says whether it may be called on an event loop. */
    private static final class Noop implements BatonTool {
        private final ToolDescriptor descriptor;
        private final boolean blocking;

        Noop(boolean blocking) {
            this.blocking = blocking;
            this.descriptor = ToolDescriptor.builder(blocking ? "noop.blocking" : "noop").description("does nothing")
                    .parameters(ToolDescriptor.emptyObjectSchema()).build();
        }

        @Override
        public boolean blocks() {
            return blocking;
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) {
            return Json.object();
        }
    }
}
