package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.journal.RunLog;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.run.RunState;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Part 3: many runs parked on an approval (H2 journal). What a parked run costs in heap, how
 * long a restart takes until a decision goes through, and how quickly an approval gets the
 * work behind it going.
 */
final class ParkedBench {

    private static final double GOAL_HEAP_BYTES = 2048;
    private static final double GOAL_RESTART_S = 30;
    private static final String GATE = "gate";
    private static final String AFTER = "after";

    private final Vertx vertx;
    private final Report report;
    private final int runs = Options.integer("bench.parked.runs", 100_000);
    private final int inflight = Options.integer("bench.parked.inflight", 2_000);
    private final int approvals = Options.integer("bench.approvals", 2_000);
    private final int rate = Math.max(1, Options.integer("bench.approvals.rate", 200));

    ParkedBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    /** One approval's timeline, in {@link System#nanoTime()}; 0 = not yet. */
    private static final class Probe {
        final long issued;
        volatile long answered;
        volatile long gateStarted;
        volatile long afterStarted;
        volatile Throwable failure;

        Probe(long issued) {
            this.issued = issued;
        }
    }

    void run() throws Exception {
        report.section(String.format("3. %,d runs parked on an approval, H2 file journal", runs));
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (maxHeap < (3L << 30)) {
            report.say("WARNING: max heap is only %,d MB; run with MAVEN_OPTS=-Xmx4g", maxHeap >> 20);
        }
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        OrchestratorOptions options = OrchestratorOptions.defaults();
        Path dir = Files.createTempDirectory("baton-bench-parked-");
        try {
            String sample = park(dir, tools, options);
            Orchestrator restarted = restart(dir, tools, options, sample);
            try {
                approvalLatency(restarted);
            } finally {
                restarted.close();
            }
        } finally {
            Async.deleteTree(dir);
        }
    }

    /** Submits the runs, waits for every approval request, measures the heap; returns one parked run id. Closes its orchestrator. */
    private String park(Path dir, ToolRegistry tools, OrchestratorOptions options) throws Exception {
        Journal journal = Journals.open("", dir);
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, tools, options), 60);
        report.say("orchestrator: virtual threads %s, parkedRunsInMemory %,d (runs beyond that are evicted and reloaded on demand)",
                orchestrator.usesVirtualThreads() ? "yes" : "no", options.parkedRunsInMemory());
        JsonNode plan = Plans.gatedPair();
        int pick = new Random().nextInt(runs);
        AtomicReference<String> sample = new AtomicReference<>();
        try (EventWatch watch = EventWatch.on(vertx)) {
            long heapBefore = Machine.usedHeapAfterGc();
            Map<String, Machine.ClassBytes> histogramBefore = Machine.histogram();

            Semaphore slots = new Semaphore(inflight);
            AtomicInteger failures = new AtomicInteger();
            AtomicReference<Throwable> firstFailure = new AtomicReference<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                slots.acquire();
                int index = i;
                orchestrator.submit(new RunRequest("parked " + i, null, plan, null, null, null)).onComplete(ar -> {
                    if (ar.succeeded()) {
                        if (index == pick) sample.set(ar.result().runId());
                    } else {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, ar.cause());
                    }
                    slots.release();
                });
            }
            slots.acquire(inflight);
            long submitted = System.nanoTime();
            long deadline = submitted + TimeUnit.SECONDS.toNanos(300);
            while (watch.count("ApprovalRequested") < runs - failures.get() && System.nanoTime() < deadline) Thread.sleep(20);
            long requested = System.nanoTime();
            JournalStats stats = journal.stats();
            report.say("submitted %,d runs (%,d at a time) in %.1f s = %,.0f runs/s; all %,d approvals requested (heard on the bus) after %.1f s; %d failed%s",
                    runs, inflight, (submitted - t0) / 1e9, runs / ((submitted - t0) / 1e9), watch.count("ApprovalRequested"),
                    (requested - t0) / 1e9, failures.get(), firstFailure.get() == null ? "" : " (first: " + firstFailure.get() + ")");
            report.say("journal: %,d events (%.1f per run: %s) in %,d commits (mean %.0f, max %,d events), %.1f s writing",
                    stats.events(), (double) stats.events() / runs, watch.byType(), stats.batches(), stats.meanBatchSize(),
                    stats.maxBatchSize(), stats.writeNanos() / 1e9);

            long heapAfter = Machine.usedHeapAfterGc();
            Map<String, Machine.ClassBytes> histogramAfter = Machine.histogram();
            double perRun = (double) (heapAfter - heapBefore) / runs;
            report.say("used heap after GC: %,d MB before submitting, %,d MB with %,d runs parked (%,d runs in the orchestrator's memory)",
                    heapBefore >> 20, heapAfter >> 20, runs, orchestrator.metrics().runsInMemory());
            report.goal("3 heap per parked run", perRun, "bytes", GOAL_HEAP_BYTES, true, String.format("%,.0f bytes", perRun));
            report.say("what grew (class histogram after - before, live objects):");
            for (Machine.ClassBytes c : Machine.growth(histogramBefore, histogramAfter, 15)) {
                report.say("  %,12d bytes %,10d objects  %6.0f B/run  %s", c.bytes(), c.instances(), (double) c.bytes() / runs, c.className());
            }
            long disk = Async.sizeOf(dir);
            report.say("journal on disk: %,d MB (%,.0f bytes per run)", disk >> 20, (double) disk / runs);
        } finally {
            orchestrator.close(); // also closes the journal
        }
        if (sample.get() == null) throw new IllegalStateException("the sampled run was not created");
        return sample.get();
    }

    /** Opens the journal again, starts a new orchestrator and decides one parked run; returns that orchestrator. */
    private Orchestrator restart(Path dir, ToolRegistry tools, OrchestratorOptions options, String runId) throws Exception {
        long t0 = System.nanoTime();
        Journal journal = Journals.open("", dir);
        long opened = System.nanoTime();
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, tools, options), 600);
        long started = System.nanoTime();
        boolean ok = false;
        try {
            Async.await(orchestrator.decide(new ApprovalDecision(runId, GATE, true, "benchmark", false, null, null)), 120);
            long decided = System.nanoTime();
            double total = (decided - t0) / 1e9;
            report.say("restart: journal opened in %.2f s, start() (recovery of %,d parked runs) %.2f s, first decide() %.0f ms",
                    (opened - t0) / 1e9, runs, (started - opened) / 1e9, (decided - started) / 1e6);
            report.goal("3 restart until a decide() succeeds", total, "s", GOAL_RESTART_S, true, String.format("%.2f s", total));
            ok = true;
            return orchestrator;
        } finally {
            if (!ok) orchestrator.close();
        }
    }

    /** Approves parked runs at a steady rate and times decide() -> TaskStarted of the gated task and of its dependant. */
    private void approvalLatency(Orchestrator orchestrator) throws Exception {
        Journal journal = orchestrator.journal();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try (EventWatch watch = EventWatch.on(vertx)) {
            List<ApprovalRecord> pending = new ArrayList<>(journal.approvals("PENDING"));
            Collections.shuffle(pending);
            int n = Math.min(approvals, pending.size());
            List<String> targets = pending.subList(0, n).stream().map(ApprovalRecord::runId).toList();
            Map<String, Probe> probes = new ConcurrentHashMap<>();
            CountDownLatch done = new CountDownLatch(n);
            watch.tap(event -> {
                if (!(event.data() instanceof EventData.TaskStarted started)) return;
                Probe probe = probes.get(event.runId());
                if (probe == null) return;
                long now = System.nanoTime();
                if (started.taskId().equals(GATE)) probe.gateStarted = now;
                else if (started.taskId().equals(AFTER)) {
                    probe.afterStarted = now;
                    done.countDown();
                }
            });
            report.say("approving %,d of %,d parked runs at %d/s (open loop: one decide() every %.1f ms, whatever is in flight); "
                    + "%,d runs in memory at the start", n, pending.size(), rate, 1000.0 / rate, orchestrator.metrics().runsInMemory());
            AtomicInteger next = new AtomicInteger();
            CpuMeter.Snapshot cpuBefore = CpuMeter.now();
            JournalStats journalBefore = journal.stats();
            long t0 = System.nanoTime();
            ticker.scheduleAtFixedRate(() -> {
                int i = next.getAndIncrement();
                if (i >= n) return;
                String runId = targets.get(i);
                Probe probe = new Probe(System.nanoTime());
                probes.put(runId, probe);
                orchestrator.decide(new ApprovalDecision(runId, GATE, true, "benchmark", false, null, null)).onComplete(ar -> {
                    probe.answered = System.nanoTime();
                    if (ar.failed()) {
                        probe.failure = ar.cause();
                        done.countDown();
                    }
                });
            }, 0, 1_000_000_000L / rate, TimeUnit.NANOSECONDS);
            boolean all = done.await(n / rate + 120, TimeUnit.SECONDS);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            ticker.shutdownNow();
            CpuMeter.Snapshot cpuAfter = CpuMeter.now();
            JournalStats journalAfter = journal.stats();

            List<Double> answered = new ArrayList<>();
            List<Double> gate = new ArrayList<>();
            List<Double> after = new ArrayList<>();
            int failed = 0;
            Throwable firstFailure = null;
            for (Probe p : probes.values()) {
                if (p.failure != null) {
                    failed++;
                    if (firstFailure == null) firstFailure = p.failure;
                    continue;
                }
                if (p.answered > 0) answered.add((p.answered - p.issued) / 1e6);
                if (p.gateStarted > 0) gate.add((p.gateStarted - p.issued) / 1e6);
                if (p.afterStarted > 0) after.add((p.afterStarted - p.issued) / 1e6);
            }
            report.say("%,d decisions issued in %.1f s (%.0f/s)%s; %d failed%s", probes.size(), elapsed, probes.size() / elapsed,
                    all ? "" : " (TIMED OUT waiting for some)", failed, firstFailure == null ? "" : " (first: " + firstFailure + ")");
            line("decide() answered (durable)", Stats.of(answered));
            line("decide() -> TaskStarted of the approved task", Stats.of(gate));
            Stats dependant = Stats.of(after);
            line("decide() -> TaskStarted of the dependent task", dependant);
            report.say("during the approvals: journal %,d commits (%.1f ms writing, %.2f ms per commit); %s",
                    journalAfter.batches() - journalBefore.batches(), (journalAfter.writeNanos() - journalBefore.writeNanos()) / 1e6,
                    (journalAfter.writeNanos() - journalBefore.writeNanos()) / 1e6 / Math.max(1, journalAfter.batches() - journalBefore.batches()),
                    CpuMeter.describe(cpuBefore, cpuAfter, 0));
            report.say("decide() -> dependent TaskStarted by the second the decision was issued in (when are the slow ones?):");
            Map<Integer, List<Double>> bySecond = new java.util.TreeMap<>();
            for (Probe p : probes.values()) {
                if (p.afterStarted > 0) bySecond.computeIfAbsent((int) ((p.issued - t0) / 1_000_000_000L), k -> new ArrayList<>())
                        .add((p.afterStarted - p.issued) / 1e6);
            }
            StringBuilder seconds = new StringBuilder();
            for (Map.Entry<Integer, List<Double>> e : bySecond.entrySet()) {
                Stats st = Stats.of(e.getValue());
                seconds.append(String.format(java.util.Locale.ROOT, "  [%ds: p50 %.0f, max %.0f ms]", e.getKey(), st.median(), st.max()));
                if (e.getKey() % 4 == 3) {
                    report.say("%s", seconds);
                    seconds.setLength(0);
                }
            }
            if (!seconds.isEmpty()) report.say("%s", seconds);
            report.info("3 approve -> dependent TaskStarted p50", String.format("%.1f ms", dependant.median()));
            report.info("3 approve -> dependent TaskStarted p99", String.format("%.1f ms (max %.1f)", dependant.percentile(99), dependant.max()));
            recoveryBreakdown(journal);
        } finally {
            ticker.shutdownNow();
        }
    }

    /** What recovery spends its time on: reading (and decoding) the unfinished runs' events, and replaying them. */
    private void recoveryBreakdown(RunLog journal) {
        long[] events = new long[1];
        long[] runsSeen = new long[1];
        long[] applyNanos = new long[1];
        RunState[] current = new RunState[1];
        long t0 = System.nanoTime();
        journal.forEachEventOfUnfinishedRuns(event -> {
            long a = System.nanoTime();
            if (current[0] == null || !current[0].id().equals(event.runId())) {
                current[0] = new RunState(event.runId());
                runsSeen[0]++;
            }
            current[0].apply(event);
            applyNanos[0] += System.nanoTime() - a;
            events[0]++;
        });
        double total = (System.nanoTime() - t0) / 1e9;
        report.say("recovery, taken apart afterwards on the same journal: journal.forEachEventOfUnfinishedRuns streamed %,d events of %,d runs"
                        + " in %.2f s, of which RunState.apply %.2f s; so reading + decoding ~%.2f s (the rest of start() is putting runs"
                        + " in the cache, resuming and evicting)",
                events[0], runsSeen[0], total, applyNanos[0] / 1e9, total - applyNanos[0] / 1e9);
    }

    private void line(String what, Stats s) {
        report.say("%-48s p50 %7.1f ms   p99 %7.1f ms   max %7.1f ms   (n=%,d)", what, s.median(), s.percentile(99), s.max(), s.count());
    }
}
