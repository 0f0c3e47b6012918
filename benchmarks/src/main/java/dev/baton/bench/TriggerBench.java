package dev.baton.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.trigger.FiringState;
import dev.baton.runtime.trigger.StoredTrigger;
import dev.baton.runtime.trigger.TriggerSpec;
import dev.baton.runtime.trigger.TriggerStore;
import dev.baton.runtime.trigger.Triggers;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Part 5: 10,000 schedules each firing every 10 s (1,000 firings a second), each firing starting
 * a one-task run through the durable H2 journal. Prints how late a firing is (from its scheduled
 * time to its dispatch by the timer, and to its run being durable) and the CPU it costs.
 *
 * <p>The schedules' anchors are spread evenly over the interval (as 10,000 triggers created over
 * time would be), so the load is a steady 1,000 firings a second rather than one burst.
 */
final class TriggerBench {
    private static final double GOAL_P99_MS = 100;

    private final Vertx vertx;
    private final Report report;
    private final int schedules = Options.integer("bench.triggers", 10_000);
    private final int intervalS = Options.integer("bench.triggers.every", 10);
    private final int warmupS = Options.integer("bench.triggers.warmup", 15);
    private final int measureS = Options.integer("bench.triggers.seconds", 30);

    TriggerBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("5. %,d schedules every %d s (%,d firings/s), each starting a one-task run, %s journal",
                schedules, intervalS, schedules / intervalS, Options.text("bench.triggers.journal", "").equals("memory") ? "in-memory" : "H2 file"));
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        Path dir = Files.createTempDirectory("baton-bench-triggers-");
        // bench.triggers.journal=memory isolates the scheduler from the durable journal's cost.
        String journalUrl = Options.text("bench.triggers.journal", "");
        Journal journal = Journals.open(journalUrl, dir);
        Triggers triggers = null;
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, tools, OrchestratorOptions.defaults()), 60);
        try {
            TriggerStore store = TriggerStore.forJournal(journal);
            // Anchors spread over one interval, starting a few seconds from now.
            long t0 = System.currentTimeMillis() + 3_000;
            long spacing = Math.max(1, intervalS * 1000L / schedules);
            long created = System.nanoTime();
            for (int i = 0; i < schedules; i++) {
                ObjectNode body = Json.object();
                body.put("name", "s" + i);
                body.put("goal", "scheduled " + i);
                body.putObject("schedule").put("every", "PT" + intervalS + "S");
                body.set("plan", Json.parse("{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"i\": " + i + "}}]}"));
                Instant anchor = Instant.ofEpochMilli(t0 + i * spacing);
                TriggerSpec spec = TriggerSpec.parse(body, anchor);
                store.insert(new StoredTrigger(spec, false, new FiringState(anchor, null, null)));
            }
            report.say("stored %,d schedules in %.1f s", schedules, (System.nanoTime() - created) / 1e9);

            AtomicBoolean measuring = new AtomicBoolean();
            ConcurrentLinkedQueue<long[]> samples = new ConcurrentLinkedQueue<>();
            AtomicLong all = new AtomicLong();
            triggers = Async.await(Triggers.start(vertx, orchestrator, store, null, orchestrator.options().clock()), 60);
            triggers.onFiring(f -> {
                all.incrementAndGet();
                if (measuring.get()) samples.add(new long[]{f.dispatchedAtMs() - f.scheduledAtMs(), f.durableAtMs() - f.scheduledAtMs()});
            });
            Thread.sleep(Math.max(0, t0 - System.currentTimeMillis()) + warmupS * 1000L);
            report.say("warm-up: %,d firings in the first %d s", all.get(), warmupS);
            JournalStats statsBefore = journal.stats();
            CpuMeter.Snapshot before = CpuMeter.now();
            long start = System.nanoTime();
            measuring.set(true);
            Thread.sleep(measureS * 1000L);
            measuring.set(false);
            long elapsed = System.nanoTime() - start;
            CpuMeter.Snapshot after = CpuMeter.now();
            JournalStats statsAfter = journal.stats();

            int n = samples.size();
            Stats dispatch = Stats.of(samples.stream().map(s -> s[0]).toList());
            Stats durable = Stats.of(samples.stream().map(s -> s[1]).toList());
            double rate = n / (elapsed / 1e9);
            report.say("%,d firings in %.1f s = %,.0f firings/s (expected %,d/s)", n, elapsed / 1e9, rate, schedules / intervalS);
            report.say("lateness, scheduled -> dispatched by the timer: p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                    dispatch.median(), dispatch.percentile(99), dispatch.max());
            report.say("lateness, scheduled -> run durable (RunCreated + PlanAccepted committed): p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                    durable.median(), durable.percentile(99), durable.max());
            report.goal("firing lateness p99 (to run durable)", durable.percentile(99), "ms", GOAL_P99_MS, true,
                    Report.fmt(durable.percentile(99)) + " ms");
            report.info("firing lateness p50 (to run durable)", Report.fmt(durable.median()) + " ms");
            report.info("firing lateness p99 (timer dispatch)", Report.fmt(dispatch.percentile(99)) + " ms");
            long cpu = after.process() - before.process();
            report.say("%s", CpuMeter.describe(before, after, n));
            report.say("that is %.0f%% of one core for %,.0f firings/s, each with its one-task run",
                    100.0 * cpu / elapsed, rate);
            report.info("CPU per firing (incl. its run)", Report.fmt(cpu / 1e3 / Math.max(1, n)) + " us");
            report.say("journal meanwhile: %,d events in %,d commits",
                    statsAfter.events() - statsBefore.events(), statsAfter.batches() - statsBefore.batches());
        } finally {
            if (triggers != null) triggers.close();
            orchestrator.close();
            Async.deleteTree(dir);
        }
    }
}
