package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Part "isolation": how much one client's heavy request slows an unrelated client's small run.
 * A probe submits a one-task {@code echo} run every {@code bench.isolation.every} ms (H2 journal)
 * and times it from {@code submit} to finished and durable ({@code whenFinished}). Three phases of
 * {@code bench.isolation.probes} probes each, on one orchestrator:
 * <ol>
 *   <li>alone;</li>
 *   <li>beside {@code bench.isolation.bursts} submits of a {@code bench.isolation.tasks}-task plan
 *       (the plan size limit: one approval-gated task and the rest depending on it, so that the
 *       cost is validating, accepting and journaling the plan, not running it);</li>
 *   <li>beside {@code bench.isolation.bursts} bursts of {@code bench.isolation.cancels} cancels at
 *       once, of runs parked on an approval.</li>
 * </ol>
 * Prints the probes' p50, p99 and max per phase, and how long the heavy requests themselves took.
 * The orchestrator does its work for all runs on one Vert.x context: what a heavy request does
 * there, every probe waits for.
 */
final class IsolationBench {

    private final Vertx vertx;
    private final Report report;
    private final int bigTasks = Options.integer("bench.isolation.tasks", 25_000);
    private final int cancels = Options.integer("bench.isolation.cancels", 1_000);
    private final int probes = Options.integer("bench.isolation.probes", 300);
    private final int everyMs = Options.integer("bench.isolation.every", 50);
    private final int bursts = Options.integer("bench.isolation.bursts", 3);
    /** Empty: an H2 file journal; {@code memory}: the in-memory one (to tell the journal's share from the context's). */
    private final String journal = Options.text("bench.isolation.journal", "");

    IsolationBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        report.section(String.format("6. Isolation: a one-task run every %d ms, alone and beside %,d-task plan submits or %,d cancels at once (%s)",
                everyMs, bigTasks, cancels, journal.equals("memory") ? "in-memory journal" : "H2"));
        Path dir = Files.createTempDirectory("baton-bench-isolation-");
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, Journals.open(journal, dir), ThroughputBench.tools(),
                OrchestratorOptions.defaults()), 60);
        try {
            JsonNode big = bigPlan(bigTasks);
            probe(orchestrator, Math.min(100, probes), null); // warm-up
            Async.await(orchestrator.checkPlan(big), 120);     // warms the validator up too

            List<Double> alone = probe(orchestrator, probes, null);

            // The validation alone, on the orchestrator's context, with nothing else going on.
            List<Double> checks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                Async.await(orchestrator.checkPlan(big), 120);
                checks.add((System.nanoTime() - t0) / 1e6);
            }

            List<Double> submits = Collections.synchronizedList(new ArrayList<>());
            List<Double> besidePlans = probe(orchestrator, probes, () -> {
                long t0 = System.nanoTime();
                return orchestrator.submit(new RunRequest("a big plan", null, big, null, null, null))
                        .onSuccess(s -> submits.add((System.nanoTime() - t0) / 1e6)).mapEmpty();
            });

            List<List<String>> parked = new ArrayList<>();
            for (int b = 0; b < bursts; b++) parked.add(parkRuns(orchestrator, cancels));
            List<Double> cancelBursts = Collections.synchronizedList(new ArrayList<>());
            int[] next = {0};
            List<Double> besideCancels = probe(orchestrator, probes, () -> {
                List<String> runs = parked.get(next[0]++);
                long t0 = System.nanoTime();
                List<Future<?>> all = new ArrayList<>();
                for (String runId : runs) all.add(orchestrator.cancel(runId, "bench"));
                return Future.all(all).onSuccess(v -> cancelBursts.add((System.nanoTime() - t0) / 1e6)).mapEmpty();
            });

            line("alone", alone);
            line(String.format("beside %,d-task plan submits", bigTasks), besidePlans);
            line(String.format("beside %,d cancels at once", cancels), besideCancels);
            report.say("the heavy requests: checkPlan of the %,d-task plan alone %s ms (median of 3); its submits %s ms;"
                            + " %,d cancels at once %s ms (each burst, submit to the last answer)",
                    bigTasks, Report.fmt(Stats.of(checks).median()), fmts(submits), cancels, fmts(cancelBursts));
            report.info("6 isolation p99 alone", Report.fmt(Stats.of(alone).percentile(99)) + " ms");
            report.info("6 isolation p99 beside big plans", Report.fmt(Stats.of(besidePlans).percentile(99)) + " ms");
            report.info("6 isolation p99 beside cancels", Report.fmt(Stats.of(besideCancels).percentile(99)) + " ms");
        } finally {
            orchestrator.close();
            Async.deleteTree(dir);
        }
    }

    /** Something heavy to do beside the probes; returns when it is done. */
    private interface Disturbance {
        Future<Void> start();
    }

    /**
     * {@code n} probes, one every {@link #everyMs} ms, each a one-task echo run timed from submit to
     * finished; with a disturbance, started {@link #bursts} times, evenly among the probes (not at
     * the very start or end). Returns the probes' latencies in ms.
     */
    private List<Double> probe(Orchestrator orchestrator, int n, Disturbance disturbance) throws Exception {
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Future<Void>> disturbances = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(n);
        JsonNode plan = Json.parse("{\"tasks\": [{\"id\": \"e\", \"tool\": \"echo\", \"args\": {\"probe\": true}}]}");
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (disturbance != null && bursts > 0 && i > 0 && i % Math.max(1, n / (bursts + 1)) == 0 && disturbances.size() < bursts) {
                disturbances.add(disturbance.start());
            }
            LockSupport.parkNanos(start + TimeUnit.MILLISECONDS.toNanos((long) i * everyMs) - System.nanoTime());
            long t0 = System.nanoTime();
            orchestrator.submit(new RunRequest("probe", null, plan, null, null, null))
                    .compose((Submitted s) -> orchestrator.whenFinished(s.runId()))
                    .onComplete(r -> {
                        if (r.succeeded()) latencies.add((System.nanoTime() - t0) / 1e6);
                        else System.out.println("   probe failed: " + r.cause());
                        done.countDown();
                    });
        }
        if (!done.await(10, TimeUnit.MINUTES)) throw new IllegalStateException("probes did not finish");
        for (Future<Void> f : disturbances) Async.await(f, 600);
        return new ArrayList<>(latencies);
    }

    /** {@code n} runs, each one echo task waiting for an approval. */
    private static List<String> parkRuns(Orchestrator orchestrator, int n) throws Exception {
        JsonNode plan = Json.parse("{\"tasks\": [{\"id\": \"g\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"}]}");
        List<Future<Submitted>> submitted = new ArrayList<>();
        for (int i = 0; i < n; i++) submitted.add(orchestrator.submit(new RunRequest("parked", null, plan, null, null, null)));
        List<String> ids = new ArrayList<>();
        for (Future<Submitted> f : submitted) ids.add(Async.await(f, 120).runId());
        return ids;
    }

    /** One approval-gated echo task and {@code n - 1} echo tasks that depend on it: nothing runs until approved. */
    static JsonNode bigPlan(int n) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        ObjectNode gate = tasks.addObject().put("id", "gate").put("tool", "echo").put("approval", "required");
        gate.putObject("args").put("step", "gate");
        for (int i = 1; i < n; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("tool", "echo");
            task.putObject("args").put("i", i).put("text", "${gate.output.step}");
            task.putArray("dependsOn").add("gate");
        }
        return plan;
    }

    private void line(String name, List<Double> ms) {
        Stats s = Stats.of(ms);
        report.say("%-36s p50 %7s ms   p99 %7s ms   max %7s ms   (%d probes)", name, Report.fmt(s.median()), Report.fmt(s.percentile(99)),
                Report.fmt(s.max()), s.count());
    }

    private static String fmts(List<Double> values) {
        List<String> shown = new ArrayList<>();
        for (double v : values) shown.add(Report.fmt(v));
        return String.join(", ", shown);
    }
}
