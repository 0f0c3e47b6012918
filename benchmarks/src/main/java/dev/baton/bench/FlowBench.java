package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Part 5: what the flow fields cost per task on the core benchmark's path (part 1), in memory
 * and through the durable H2 journal, each against its plain twin:
 * <ul>
 *   <li>conditions: 10,000 independent zero-length waits (1a/1c) vs the same with a {@code when}
 *       that holds (parsed, validated, evaluated for every task);</li>
 *   <li>compensation records: 10,000 independent echo calls (1e) vs the same with a
 *       {@code compensate} call (validated and kept; not run, since the run succeeds).</li>
 * </ul>
 * Medians of the wall time and of the process CPU per task; goal: under 10% each.
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
            for (String store : new String[]{"memory", "H2"}) {
                report.section(String.format("5. Flow overhead, %s journal: %,d independent tasks, plain vs with flow fields", store, tasks));
                report.say("(i) zero-length waits, plain:");
                ThroughputBench.Result waits = core.measure(journal(store, dir, "w0"), plan("wait", false), ThroughputBench.tools());
                report.say("(ii) zero-length waits, each with \"when\":");
                ThroughputBench.Result when = core.measure(journal(store, dir, "w1"), plan("wait", true), ThroughputBench.tools());
                figure("5 " + store + " journal, a condition per task", waits, when);
                report.say("(iii) echo calls, plain:");
                ThroughputBench.Result echoes = core.measure(journal(store, dir, "e0"), plan("echo", false), ThroughputBench.tools());
                report.say("(iv) echo calls, each with \"compensate\":");
                ThroughputBench.Result undo = core.measure(journal(store, dir, "e1"), plan("echo", true), ThroughputBench.tools());
                figure("5 " + store + " journal, a compensation record per task", echoes, undo);
            }
        } finally {
            Async.deleteTree(dir);
        }
    }

    private static Journal journal(String store, Path dir, String name) {
        return store.equals("memory") ? Journals.open("memory", null) : Journals.open("", dir.resolve(name));
    }

    private void figure(String name, ThroughputBench.Result plain, ThroughputBench.Result flow) {
        double percent = (flow.microsPerTask() - plain.microsPerTask()) / plain.microsPerTask() * 100;
        report.goal(name, percent, "%", GOAL_PERCENT, true, String.format("%+.1f%% wall per task (%s -> %s us/task, medians)",
                percent, Report.fmt(plain.microsPerTask()), Report.fmt(flow.microsPerTask())));
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
