package dev.baton.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What to run and how much of it, from system properties ({@code -Dbench=...}) or from
 * {@code key=value} program arguments ({@code -Dexec.args="bench=makespan reps=3"}), which win.
 *
 * <pre>
 *   bench=throughput,makespan,parked,react,flow,metrics   parts to run (default all); throughput = h2,postgres,memory,chain,echo
 *   bench.tasks=10000                  tasks per throughput plan
 *   bench=metrics  bench.metricsRounds=3   the per-task cost of the call metrics (off vs on, alternating rounds; 0 = the hook alone)
 *   bench.warmups=3  bench.reps=7      warm-up runs and measured runs per throughput figure
 *   bench.makespan.warmups=10  bench.makespan.reps=7
 *   bench.parked.runs=100000  bench.parked.inflight=2000
 *   bench.approvals=2000  bench.approvals.rate=200
 *   bench.react.k=8  bench.react.delay=300  bench.react.toolms=3  bench.react.warmups=2  bench.react.reps=5
 *   bench.triggers=10000  bench.triggers.every=10  bench.triggers.warmup=15  bench.triggers.seconds=30   (part "triggers")
 *   bench.triggers.journal=     empty: H2 file; memory: the in-memory journal
 *   bench.isolation.tasks=25000  .cancels=1000  .probes=300  .every=50  .bursts=3   (part "isolation")
 *   bench.streams=2000  bench.streams.all=20  bench.streams.runs=100  bench.streams.rate=20  bench.streams.seconds=20  bench.streams.rounds=5
 *   bench.streams.warmup=20  bench.streams.allOnly=true  bench.streams.allRate=5   (part "streams": POST /api/runs with event streams held open)
 *   bench.steps.chain=1000  bench.steps.runs=100  bench.steps.length=100  bench.steps.rounds=5   (part "steps": chain step latency, in memory)
 *   bench.load.rates=200,400,600  bench.load.seconds=15  bench.load.warmup=10   (part "load": POST /api/runs of a 13-task plan)
 *   bench.embedding.rounds=5            (part "embedding": one goal embedded in-process, as the playbook matcher does)
 *   bench.accept.tasks=10000  bench.accept.warmups=15  bench.accept.reps=25   (part "accept": parse + write + validate, RunJson)
 *   bench.cluster.seconds=20  .warmup=10  .clients=32  .tasks=20  .cpus=0,1  .kills=5  .killRuns=20  .commands=200
 *   bench.mcp.calls=1000  bench.mcp.warmup=300  bench.mcp.dir=.ci/mcp   (part "mcp": the reference server, from bash .ci/mcp.sh)
 *   bench.cluster.fencingRounds=2  bench.cluster.only=scaling,failover,commands,fencing   (part "cluster": server processes on one PostgreSQL)
 *   bench=telemetry  bench.telemetryRounds=3   tracing off vs on, exporting over OTLP/HTTP to a local collector stub (0 = one task's tracing alone)
 *   bench.pg=auto|off|jdbc:postgresql://...   (auto: BATON_TEST_PG_URL, else .ci/postgres.sh)
 *   bench.jfr=/tmp/bench.jfr           record the whole run with JDK Flight Recorder ("profile" settings)
 *   bench.quiet=0                      before each part, wait up to this many seconds for a quiet machine
 *   bench.log=warn                     log level of the libraries (slf4j-simple)
 * </pre>
 */
final class Options {
    static final List<String> THROUGHPUT = List.of("h2", "postgres", "memory", "chain", "echo");
    static final List<String> ALL = List.of("h2", "postgres", "memory", "chain", "echo", "metrics", "makespan", "parked", "react", "flow", "triggers", "isolation", "streams", "steps", "load", "embedding", "train", "accept", "cluster", "mcp", "telemetry");

    final Set<String> parts;

    private Options(Set<String> parts) {
        this.parts = parts;
    }

    static Options parse(String[] args) {
        for (String arg : args) {
            for (String word : arg.trim().split("\\s+")) {
                if (word.isEmpty()) continue;
                int eq = word.indexOf('=');
                if (eq < 1) throw new IllegalArgumentException("argument '" + word + "' is not key=value, e.g. bench=makespan");
                String key = word.substring(0, eq);
                System.setProperty(key.startsWith("bench") ? key : "bench." + key, word.substring(eq + 1));
            }
        }
        String wanted = System.getProperty("bench", "all").trim().toLowerCase(Locale.ROOT);
        Set<String> parts = new LinkedHashSet<>();
        for (String name : wanted.split("[,\\s]+")) {
            switch (name) {
                case "", "all" -> parts.addAll(ALL);
                case "throughput" -> parts.addAll(THROUGHPUT);
                case "pg", "postgresql" -> parts.add("postgres");
                default -> {
                    if (!ALL.contains(name)) {
                        throw new IllegalArgumentException("unknown benchmark '" + name + "': use all, throughput, "
                                + String.join(", ", ALL));
                    }
                    parts.add(name);
                }
            }
        }
        List<String> ordered = new ArrayList<>(ALL);
        ordered.retainAll(parts);
        return new Options(new LinkedHashSet<>(ordered));
    }

    boolean runs(String part) {
        return parts.contains(part);
    }

    static int integer(String name, int fallback) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) return fallback;
        try {
            return Integer.parseInt(value.trim().replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + value + "' is not a whole number");
        }
    }

    static String text(String name, String fallback) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
