package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Part 5: what the flow fields cost per task on the core benchmark's path (part 1), in memory
 * and through the durable H2 journal. The same 10,000 independent echo tool calls, plain, then
 * each with a {@code when} condition that holds and a {@code compensate} record (not run: the
 * run succeeds), so the difference is what parsing, deciding and keeping them adds to every
 * task. Medians; goal: under 10% each.
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
        report.section(String.format("5a. Flow overhead, in-memory journal: %,d independent echo calls, plain vs when + compensate", tasks));
        report.say("(i) plain:");
        ThroughputBench.Result plain = core.measure(Journals.open("memory", null), echoes(false), ThroughputBench.tools());
        report.say("(ii) each with a condition and a compensation record:");
        ThroughputBench.Result flow = core.measure(Journals.open("memory", null), echoes(true), ThroughputBench.tools());
        figure("5a memory journal, when + compensate overhead", plain, flow);

        report.section(String.format("5b. Flow overhead, H2 file journal: %,d independent echo calls, plain vs when + compensate", tasks));
        Path dir = Files.createTempDirectory("baton-bench-flow-");
        try {
            report.say("(i) plain:");
            ThroughputBench.Result plainH2 = core.measure(Journals.open("", dir.resolve("plain")), echoes(false), ThroughputBench.tools());
            report.say("(ii) each with a condition and a compensation record:");
            ThroughputBench.Result flowH2 = core.measure(Journals.open("", dir.resolve("flow")), echoes(true), ThroughputBench.tools());
            figure("5b H2 journal, when + compensate overhead", plainH2, flowH2);
        } finally {
            Async.deleteTree(dir);
        }
    }

    private void figure(String name, ThroughputBench.Result plain, ThroughputBench.Result flow) {
        double percent = (flow.microsPerTask() - plain.microsPerTask()) / plain.microsPerTask() * 100;
        report.goal(name, percent, "%", GOAL_PERCENT, true, String.format("%+.1f%% per task (%s -> %s us/task, medians)",
                percent, Report.fmt(plain.microsPerTask()), Report.fmt(flow.microsPerTask())));
    }

    /** {@code n} independent echo calls; with {@code flow}, each has a true {@code when} and a {@code compensate}. */
    static JsonNode echoes(boolean flow) {
        int n = Options.integer("bench.tasks", 10_000);
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int i = 0; i < n; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("tool", "echo");
            task.putObject("args").put("i", i);
            if (flow) {
                task.put("when", "input == null or input.skip != true");
                ObjectNode undo = task.putObject("compensate").put("tool", "echo");
                undo.putObject("args").put("undo", "${t" + i + ".output.i}");
            }
        }
        return plan;
    }
}
