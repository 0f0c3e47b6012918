package dev.baton.bench;

import io.vertx.core.Vertx;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Baton's benchmarks: orchestration throughput (part 1), makespan against the critical path
 * (part 2), runs parked on approvals (part 3) and plan-and-execute against a ReAct loop (part 4).
 * Prints each figure beside its goal; a missed
 * goal is reported, never thrown, so a slow machine cannot fail a build.
 *
 * <pre>
 * mvn -B -q -DskipTests install
 * MAVEN_OPTS=-Xmx4g mvn -B -q -Pbench -pl benchmarks compile exec:java -Dbench=throughput,makespan,parked,react
 * </pre>
 *
 * See {@link Options} for every setting.
 */
public final class Benchmarks {

    private Benchmarks() {
    }

    public static void main(String[] args) throws Exception {
        // Before any logger exists: the libraries' INFO lines would drown the report.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("bench.log", "warn"));
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.out");
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.out.println("benchmarks: " + e.getMessage());
            return;
        }
        Report report = new Report();
        System.out.println("Baton benchmarks, " + Instant.now());
        System.out.println("   " + Machine.describe());
        System.out.println("   parts: " + String.join(", ", options.parts) + "   (choose with -Dbench=throughput,makespan,parked,react"
                + " or h2,postgres,memory,chain,echo,metrics)");
        System.out.println("   " + Machine.loadNote() + "  -- other work on the machine shows here as noise");

        Recording recording = startRecording();
        Vertx vertx = Vertx.vertx();
        try {
            ThroughputBench throughput = new ThroughputBench(vertx, report);
            part(report, options, "h2", throughput::h2);
            part(report, options, "postgres", throughput::postgres);
            part(report, options, "memory", throughput::memory);
            part(report, options, "chain", throughput::chain);
            part(report, options, "echo", throughput::echo);
            part(report, options, "metrics", throughput::metricsOverhead);
            part(report, options, "makespan", () -> new MakespanBench(vertx, report).run());
            part(report, options, "parked", () -> new ParkedBench(vertx, report).run());
            part(report, options, "react", () -> new ReactBench(vertx, report).run());
            part(report, options, "flow", () -> new FlowBench(vertx, report).run());
            part(report, options, "triggers", () -> new TriggerBench(vertx, report).run());
            part(report, options, "isolation", () -> new IsolationBench(vertx, report).run());
            part(report, options, "streams", () -> new StreamsBench(vertx, report).run());
            part(report, options, "steps", () -> new StepsBench(vertx, report).run());
            part(report, options, "load", () -> new LoadBench(vertx, report).run());
            part(report, options, "embedding", () -> new EmbeddingBench(report).run());
            part(report, options, "train", () -> new TrainBench(report).run());
            part(report, options, "accept", () -> new AcceptBench(report).run());
            part(report, options, "cluster", () -> new ClusterBench(report).run());
            part(report, options, "mcp", () -> new McpBench(vertx, report).run());
            part(report, options, "telemetry", () -> new TelemetryBench(vertx, report).run());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            stopRecording(recording);
        }
        report.summary();
    }

    private interface Part {
        void run() throws Exception;
    }

    /** Runs one part; a failure is printed and the next part runs. */
    private static void part(Report report, Options options, String name, Part part) {
        if (!options.runs(name)) return;
        String quiet = Machine.awaitQuiet(Options.integer("bench.quiet", 0));
        if (quiet != null) System.out.println("\n   (" + quiet + ")");
        try {
            part.run();
        } catch (Exception | AssertionError | OutOfMemoryError e) {
            report.say("ERROR in '%s': %s", name, e);
            report.skipped(name, "error: " + e.getClass().getSimpleName());
            e.printStackTrace(System.out);
        }
    }

    private static Recording startRecording() throws Exception {
        String file = Options.text("bench.jfr", null);
        if (file == null) return null;
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setDestination(Path.of(file));
        recording.start();
        System.out.println("   recording with JFR to " + Path.of(file).toAbsolutePath());
        return recording;
    }

    private static void stopRecording(Recording recording) {
        if (recording == null) return;
        recording.stop();
        recording.close();
    }
}
