package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Part 5: what the flow fields cost per task on the core benchmark's path (part 1), in memory
 * and through the durable H2 journal, each against its plain twin:
 * <ul>
 *   <li>conditions: 10,000 independent zero-length waits (1a/1c) vs the same with a {@code when}
 *       that holds (parsed, validated, evaluated for every task);</li>
 *   <li>compensation records: 10,000 independent echo calls (1e) vs the same with a
 *       {@code compensate} call (validated and kept; not run, since the run succeeds).</li>
 * </ul>
 * Each pair runs on one orchestrator and journal, plain and flow taking turns, so that drift
 * over the measurement weighs on both alike. Medians of the wall time and of the process CPU per
 * task; goal: under 10% each.
 */
final class FlowBench {

    private static final double GOAL_PERCENT = 10;

    private final Vertx vertx;
    private final Report report;
    private final int tasks = Options.integer("bench.tasks", 10_000);

    FlowBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        ThroughputBench core = new ThroughputBench(vertx, report);
        Path dir = Files.createTempDirectory("baton-bench-flow-");
        try {
            for (String store : System.getProperty("bench.flowStores", "memory,H2").split(",")) {
                report.section(String.format("5. Flow overhead, %s journal: %,d independent tasks, plain (A) vs with flow fields (B), taking turns",
                        store, tasks));
                report.say("zero-length waits, plain (A) and each with \"when\" (B):");
                List<ThroughputBench.Result> when = core.measureInterleaved(journal(store, dir, "w"),
                        List.of(plan("wait", false), plan("wait", true)), ThroughputBench.tools(), OrchestratorOptions.defaults());
                figure("5 " + store + " journal, a condition per task", when.get(0), when.get(1));
                report.say("echo calls, plain (A) and each with \"compensate\" (B):");
                List<ThroughputBench.Result> undo = core.measureInterleaved(journal(store, dir, "e"),
                        List.of(plan("echo", false), plan("echo", true)), ThroughputBench.tools(), OrchestratorOptions.defaults());
                figure("5 " + store + " journal, a compensation record per task", undo.get(0), undo.get(1));
            }
        } finally {
            Async.deleteTree(dir);
        }
    }

    private static Journal journal(String store, Path dir, String name) {
        return store.equals("memory") ? Journals.open("memory", null) : Journals.open("", dir.resolve(name));
    }

    /**
     * The goal's figure is the median of the paired ratios (each flow run over the plain run just
     * before it): what drifts during the measurement cancels out of a pair. The ratio of the two
     * medians is shown beside it.
     */
    private void figure(String name, ThroughputBench.Result plain, ThroughputBench.Result flow) {
        List<Double> ratios = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(plain.runSeconds().size(), flow.runSeconds().size()); i++) {
            ratios.add(flow.runSeconds().get(i) / plain.runSeconds().get(i));
        }
        double percent = (Stats.of(ratios).median() - 1) * 100;
        double ofMedians = (flow.microsPerTask() - plain.microsPerTask()) / plain.microsPerTask() * 100;
        double cpuPercent = (flow.cpuMicrosPerTask() - plain.cpuMicrosPerTask()) / plain.cpuMicrosPerTask() * 100;
        report.goal(name, percent, "%", GOAL_PERCENT, true, String.format(
                "%+.1f%% wall per task (median of %d paired runs; medians %s -> %s us/task, %+.1f%%); CPU %+.1f%% (%s -> %s us/task)",
                percent, ratios.size(), Report.fmt(plain.microsPerTask()), Report.fmt(flow.microsPerTask()), ofMedians, cpuPercent,
                Report.fmt(plain.cpuMicrosPerTask()), Report.fmt(flow.cpuMicrosPerTask())));
    }

    /** Independent tasks of one kind ({@code wait} or {@code echo}); with {@code flow}, a condition (waits) or a compensation (echoes). */
    private JsonNode plan(String kind, boolean flow) {
        ObjectNode plan = Json.object();
        ArrayNode list = plan.putArray("tasks");
        for (int i = 0; i < tasks; i++) {
            ObjectNode task = list.addObject().put("id", "t" + i);
            if (kind.equals("wait")) {
                task.put("wait", "PT0S");
                if (flow) task.put("when", "input == null or input.skip != true");
            } else {
                task.put("tool", "echo").putObject("args").put("i", i);
                if (flow) task.putObject("compensate").put("tool", "echo").putObject("args").put("undo", "${t" + i + ".output.i}");
            }
        }
        return plan;
    }
}
