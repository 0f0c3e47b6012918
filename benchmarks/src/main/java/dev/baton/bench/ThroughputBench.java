package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import dev.baton.runtime.testing.PostgresTestDatabase;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Part 1: how many tasks per second the orchestrator sees through, and what each costs, for one
 * plan of 10,000 tasks that do nothing. Timed from {@code submit} to the RunSucceeded event heard
 * on the event bus; warm-up runs first, then the median of the measured runs.
 */
final class ThroughputBench {

    private static final double H2_GOAL_TASKS_PER_S = 10_000;
    private static final double MEMORY_GOAL_MICROS = 10;

    private final Vertx vertx;
    private final Report report;
    private final int tasks = Options.integer("bench.tasks", 10_000);
    private final int warmups = Options.integer("bench.warmups", 3);
    private final int reps = Math.max(1, Options.integer("bench.reps", 7));

    ThroughputBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    /** What one plan, run warmups + reps times, came to. */
    record Result(List<Double> runSeconds, int tasks, double cpuMicrosPerTask) {
        /** The measured runs' wall times, in seconds. */
        Stats seconds() {
            return Stats.of(runSeconds);
        }

        double tasksPerSecond() {
            return tasks / seconds().median();
        }

        double microsPerTask() {
            return seconds().median() * 1e6 / tasks;
        }
    }

    void h2() throws Exception {
        report.section(String.format("1a. Throughput, H2 file journal: %,d independent zero-length waits", tasks));
        Path dir = Files.createTempDirectory("baton-bench-h2-");
        try {
            Result r = measure(Journals.open("", dir), Plans.independentWaits(tasks), tools());
            report.goal("1a H2 journal, independent waits", r.tasksPerSecond(), "tasks/s", H2_GOAL_TASKS_PER_S, false,
                    String.format("%,.0f tasks/s (%s us/task)", r.tasksPerSecond(), Report.fmt(r.microsPerTask())));
        } finally {
            Async.deleteTree(dir);
        }
    }

    void postgres() throws Exception {
        report.section(String.format("1b. Throughput, PostgreSQL journal: %,d independent zero-length waits", tasks));
        String setting = Options.text("bench.pg", "auto");
        if (setting.equals("off")) {
            report.say("skipped: no PostgreSQL (bench.pg=off)");
            report.skipped("1b PostgreSQL journal, independent waits", "no PostgreSQL");
            return;
        }
        if (setting.startsWith("jdbc:postgresql:")) {
            report.say("PostgreSQL: %s", redact(setting));
            Result r = measure(Journals.open(setting, Path.of(".")), Plans.independentWaits(tasks), tools());
            postgresFigure(r);
            return;
        }
        PostgresTestDatabase db;
        try {
            db = PostgresTestDatabase.create(); // BATON_TEST_PG_URL, or .ci/postgres.sh (as root)
        } catch (RuntimeException e) {
            report.say("skipped: no PostgreSQL (%s)", e.getMessage());
            report.skipped("1b PostgreSQL journal, independent waits", "no PostgreSQL");
            return;
        }
        try (db) {
            report.say("PostgreSQL: %s (fresh schema %s, dropped afterwards)", redact(PostgresTestDatabase.serverUrl()), db.schema());
            Result r = measure(Journals.open(db.url(), Path.of(".")), Plans.independentWaits(tasks), tools());
            postgresFigure(r);
        }
    }

    /** PostgreSQL has no goal of its own; H2's is printed beside it for comparison. */
    private void postgresFigure(Result r) {
        String figure = String.format("%,.0f tasks/s (%s us/task)", r.tasksPerSecond(), Report.fmt(r.microsPerTask()));
        report.say("PostgreSQL: %s (no goal of its own; the durable H2 goal is >= %,.0f tasks/s)", figure, H2_GOAL_TASKS_PER_S);
        report.info("1b PostgreSQL journal, independent waits", figure);
    }

    void memory() throws Exception {
        report.section(String.format("1c. Throughput, in-memory journal: %,d independent zero-length waits", tasks));
        Result r = measure(Journals.open("memory", null), Plans.independentWaits(tasks), tools());
        report.goal("1c memory journal, independent waits", r.microsPerTask(), "us/task", MEMORY_GOAL_MICROS, true,
                String.format("%s us/task (%,.0f tasks/s)", Report.fmt(r.microsPerTask()), r.tasksPerSecond()));
    }

    void chain() throws Exception {
        report.section(String.format("1d. Chain, in-memory journal: %,d zero-length waits, each depending on the one before", tasks));
        report.say("(i) tasks listed in dependency order, t0 first:");
        Result inOrder = measure(Journals.open("memory", null), Plans.chainOfWaits(tasks, false), tools());
        report.say("(ii) the same chain listed last task first:");
        Result reversed = measure(Journals.open("memory", null), Plans.chainOfWaits(tasks, true), tools());
        report.say("chain listed in order: %s us/task; listed last-first: %s us/task (no goal). Listed in order, the whole chain runs in the"
                        + " turn that accepts the plan (see the commit counts): a zero-length wait succeeds in memory at once and the"
                        + " scheduler's work list reaches its dependant in the same loop. Listed last-first, every task is started only"
                        + " after the one before is durable: one journal round trip and one event-loop turn per task.",
                Report.fmt(inOrder.microsPerTask()), Report.fmt(reversed.microsPerTask()));
        report.info("1d memory journal, chain listed in order", String.format("%s us/task (%,.0f tasks/s)",
                Report.fmt(inOrder.microsPerTask()), inOrder.tasksPerSecond()));
        report.info("1d memory journal, chain listed last-first", String.format("%s us/task (%,.0f tasks/s)",
                Report.fmt(reversed.microsPerTask()), reversed.tasksPerSecond()));
    }

    void echo() throws Exception {
        report.section(String.format("1e. Tool tasks, in-memory journal: %,d independent echo calls", tasks));
        Result r = measure(Journals.open("memory", null), Plans.independentEchoes(tasks), tools());
        report.say("echo: %s us/task, %,.0f tasks/s (no goal; compare with 1c for the cost of a tool call)",
                Report.fmt(r.microsPerTask()), r.tasksPerSecond());
        report.info("1e memory journal, echo tool tasks", String.format("%s us/task (%,.0f tasks/s)", Report.fmt(r.microsPerTask()), r.tasksPerSecond()));
    }

    static ToolRegistry tools() {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        return tools;
    }

    /** Runs {@code plan} warmups + reps times on a fresh orchestrator over {@code journal}, which it closes. */
    Result measure(Journal journal, JsonNode plan, ToolRegistry tools) throws Exception {
        return measure(journal, plan, tools, OrchestratorOptions.defaults());
    }

    /**
     * Part 1f: what the per-tool and per-agent call metrics (a histogram and a failure counter per
     * tool, recorded as each call ends) cost per task, on the in-memory and the durable (H2)
     * journal, with tool tasks (where they are recorded) and with the core benchmark's waits.
     * Metrics off and on alternate, {@code bench.metricsRounds} times each on a fresh
     * orchestrator; the figure is the median of the rounds' medians. The counters and the
     * journal's commit histograms are on in both (they cost per batch, not per task).
     */
    void metricsOverhead() throws Exception {
        int rounds = Math.max(0, Options.integer("bench.metricsRounds", 3));
        report.section(String.format("1f. Metrics overhead: %,d tasks, call metrics off vs on, %d alternating rounds", tasks, rounds));
        record Case(String name, String journal, JsonNode plan) {
        }
        Path dir = Files.createTempDirectory("baton-bench-metrics-");
        List<Case> cases = List.of(
                new Case("in-memory journal, echo tool tasks", "memory", Plans.independentEchoes(tasks)),
                new Case("in-memory journal, zero-length waits", "memory", Plans.independentWaits(tasks)),
                new Case("durable H2 journal, echo tool tasks", "", Plans.independentEchoes(tasks)),
                new Case("durable H2 journal, zero-length waits", "", Plans.independentWaits(tasks)));
        // What the orchestrator adds per call, timed alone (less exposed to a busy machine than whole runs):
        // recordCall as the orchestrator makes it, over 20 tool names, with System.nanoTime() twice as the hook does.
        dev.baton.runtime.orchestrator.OrchestratorMetrics probe = new dev.baton.runtime.orchestrator.OrchestratorMetrics(dev.baton.runtime.metrics.Meters.simple(), true);
        String[] names = new String[20];
        for (int i = 0; i < names.length; i++) names[i] = "tool." + i;
        List<Double> nanosPerCall = new ArrayList<>();
        List<Double> cpuNanosPerCall = new ArrayList<>();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int rep = 0; rep < 9; rep++) {
            int n = 2_000_000;
            long cpu0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long started = System.nanoTime();
                probe.recordCall("tool", names[i % names.length], System.nanoTime() - started + (i & 1023), (i & 63) == 0);
            }
            long took = System.nanoTime() - t0;
            long cpu = threads.getCurrentThreadCpuTime() - cpu0;
            if (rep >= 2) {
                nanosPerCall.add((double) took / n);
                cpuNanosPerCall.add((double) cpu / n);
            }
            sink += took;
        }
        double hookNanos = Stats.of(nanosPerCall).median();
        double hookCpuNanos = Stats.of(cpuNanosPerCall).median();
        // CPU time leaves out the time other processes had the core: the cost itself on a busy machine.
        report.say("the call-metrics hook alone: %.0f ns of CPU (%.0f ns of wall time) per call (median of 7 x 2,000,000; %d)",
                hookCpuNanos, hookNanos, sink & 1);
        report.info("1f call-metrics hook alone", String.format("%.0f ns CPU per tool call", hookCpuNanos));
        int caseNo = 0;
        for (Case c : rounds == 0 ? List.<Case>of() : cases) {
            caseNo++;
            List<Double> off = new ArrayList<>();
            List<Double> on = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (boolean metrics : new boolean[]{false, true}) {
                    report.say("-- %s, round %d, call metrics %s", c.name(), round, metrics ? "ON" : "off");
                    Journal journal = c.journal().equals("memory") ? Journals.open("memory", null)
                            : Journals.open("", dir.resolve("case" + caseNo + "-r" + round + (metrics ? "-on" : "-off")));
                    Result r = measure(journal, c.plan(), tools(), OrchestratorOptions.builder().callMetrics(metrics).build());
                    (metrics ? on : off).add(r.microsPerTask());
                }
            }
            double offMedian = Stats.of(off).median();
            double onMedian = Stats.of(on).median();
            double overhead = (onMedian - offMedian) / offMedian * 100;
            report.say("%s: off %s us/task, on %s us/task: overhead %+.1f %% (per-round medians off %s, on %s)", c.name(),
                    Report.fmt(offMedian), Report.fmt(onMedian), overhead, off, on);
            report.goal("1f metrics overhead, " + c.name(), overhead, "%", 10, true,
                    String.format("%+.1f %% (%s -> %s us/task)", overhead, Report.fmt(offMedian), Report.fmt(onMedian)));
        }
    }

    private Result measure(Journal journal, JsonNode plan, ToolRegistry tools, OrchestratorOptions options) throws Exception {
        return measureInterleaved(journal, List.of(plan), tools, options).get(0);
    }

    /**
     * Runs several plans on one orchestrator and journal, taking turns (A, B, A, B, ...), and
     * returns one result per plan. Comparing two plans this way, each measured run of one sits
     * between runs of the other, so whatever drifts over the minutes a measurement takes (the
     * journal's file growing, garbage collection, the JIT, other work on the machine) weighs on
     * both alike.
     */
    List<Result> measureInterleaved(Journal journal, List<JsonNode> plans, ToolRegistry tools, OrchestratorOptions options)
            throws Exception {
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, tools, options), 120);
        List<List<Double>> measured = new ArrayList<>();
        List<List<Double>> cpuMicros = new ArrayList<>();
        for (int p = 0; p < plans.size(); p++) {
            measured.add(new ArrayList<>());
            cpuMicros.add(new ArrayList<>());
        }
        try (EventWatch watch = EventWatch.on(vertx)) {
            report.say("orchestrator: virtual threads %s, maxConcurrentCalls %d, journal %s",
                    orchestrator.usesVirtualThreads() ? "yes" : "no (JDK " + Runtime.version().feature() + ": a platform thread pool)",
                    options.maxConcurrentCalls(), journal.getClass().getSimpleName());
            for (int i = 0; i < warmups + reps; i++) {
                for (int p = 0; p < plans.size(); p++) {
                    JsonNode plan = plans.get(p);
                    String label = plans.size() == 1 ? "" : " " + (char) ('A' + p);
                    boolean warm = i < warmups;
                    System.gc(); // start each run without the last one's garbage
                    JournalStats before = journal.stats();
                    long heardBefore = watch.events();
                    CpuMeter.Snapshot cpuBefore = CpuMeter.now();
                    long t0 = System.nanoTime();
                    String[] answeredOn = new String[1];
                    Submitted submitted = Async.await(orchestrator.submit(new RunRequest("benchmark", null, plan, null, null, null))
                            .onComplete(ar -> answeredOn[0] = Thread.currentThread().getName()), 600);
                    long answered = System.nanoTime();
                    EventWatch.Finish finish = watch.finish(submitted.runId()).get(600, TimeUnit.SECONDS);
                    JournalStats after = journal.stats();
                    CpuMeter.Snapshot cpuAfter = CpuMeter.now();
                    watch.forget(submitted.runId());
                    if (!finish.succeeded()) {
                        report.say("run %s did not succeed: %s", submitted.runId(), finish.event().data());
                        throw new IllegalStateException("the benchmark run failed: " + finish.event().data());
                    }
                    double seconds = (finish.nanos() - t0) / 1e9;
                    int n = tasks(plan);
                    if (!warm) {
                        measured.get(p).add(seconds);
                        cpuMicros.get(p).add((cpuAfter.process() - cpuBefore.process()) / 1e3 / n);
                    }
                    long events = after.events() - before.events();
                    long batches = after.batches() - before.batches();
                    double writeMs = (after.writeNanos() - before.writeNanos()) / 1e6;
                    report.say("%s %d%s: %7.3f s %,9.0f tasks/s %8s us/task | submit answered %5.0f ms | journal %,d events (%.2f/task) "
                                    + "in %,d commits, %.0f ms writing (%s us/task) | bus %,d events",
                            warm ? "warm-up" : "run    ", warm ? i + 1 : i - warmups + 1, label, seconds, n / seconds,
                            Report.fmt(seconds * 1e6 / n), (answered - t0) / 1e6, events, (double) events / n,
                            batches, writeMs, Report.fmt(writeMs * 1e3 / n), watch.events() - heardBefore);
                    report.say("           %s", CpuMeter.describe(cpuBefore, cpuAfter, n));
                    if (i == 0 && p == 0) {
                        report.say("           (the orchestrator answers on %s; the listener hears on %s)", answeredOn[0], watch.thread());
                    }
                }
            }
        } finally {
            orchestrator.close();
        }
        List<Result> results = new ArrayList<>();
        for (int p = 0; p < plans.size(); p++) {
            Result result = new Result(List.copyOf(measured.get(p)), tasks(plans.get(p)), Stats.of(cpuMicros.get(p)).median());
            report.say("%smedian of %d: %.3f s = %,.0f tasks/s = %s us/task   (min %.3f s, max %.3f s); CPU of the whole process %s us/task",
                    plans.size() == 1 ? "" : (char) ('A' + p) + ": ", measured.get(p).size(), result.seconds().median(),
                    result.tasksPerSecond(), Report.fmt(result.microsPerTask()), result.seconds().min(), result.seconds().max(),
                    Report.fmt(result.cpuMicrosPerTask()));
            results.add(result);
        }
        return results;
    }

    private static int tasks(JsonNode plan) {
        return plan.get("tasks").size();
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
