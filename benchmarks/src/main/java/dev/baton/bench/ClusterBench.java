package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.json.Json;
import dev.baton.runtime.testing.PostgresTestDatabase;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Part "cluster": Baton servers as separate processes on one PostgreSQL database (issue 13), each
 * figure beside its goal:
 * <ol>
 *   <li>durable throughput (runs/s and events/s, finished and in the journal) of one node pinned to one
 *       core ({@code taskset}) against two nodes pinned to one core each (goal: two at least 1.6 times one),
 *       with the events per PostgreSQL commit ({@code pg_stat_database.xact_commit} of a database of its own) and
 *       where the CPU went (the nodes, the PostgreSQL backends of that database, this JVM's load generator);</li>
 *   <li>the time from {@code kill -9} of a node to the last of its runs resumed elsewhere (a call that was in
 *       flight made again, with the default lease; p50/p99 over several kills; goal p99 under 10 s);</li>
 *   <li>an approval sent to a node that does not own the run, to the owner's next task started (p50/p99; goal
 *       p99 under 50 ms);</li>
 *   <li>what ownership checks cost one node's durable throughput: the same node with
 *       {@code -Dbaton.cluster.fencing=off} against the default, alternated (goal: under 10%).</li>
 * </ol>
 * The load comes from this JVM over HTTP: {@code bench.cluster.clients} runs in flight per node, each a
 * root {@code echo} and {@code bench.cluster.tasks - 1} {@code echo} tasks after it; a run counts once it
 * is SUCCEEDED in {@code baton_runs} (the projection is written in the journal's transaction).
 *
 * <pre>
 *   bench.cluster.seconds=20  bench.cluster.warmup=10  bench.cluster.clients=32  bench.cluster.tasks=20
 *   bench.cluster.cpus=0,1    the cores the pinned nodes get (the first for one node, both for two)
 *   bench.cluster.kills=5  bench.cluster.killRuns=20   nodes killed, and runs each holds when it dies
 *   bench.cluster.commands=200   approvals sent to a non-owner
 *   bench.cluster.fencingRounds=2   rounds of (fencing off, fencing on), alternated
 *   bench.cluster.only=scaling,failover,commands,fencing   a subset
 * </pre>
 */
final class ClusterBench {
    private static final Pattern LISTENING = Pattern.compile("Baton is running at http://[^:/]+:(\\d+)/");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Report report;
    private final int seconds = Options.integer("bench.cluster.seconds", 20);
    private final int warmup = Options.integer("bench.cluster.warmup", 10);
    private final int clients = Options.integer("bench.cluster.clients", 32);
    private final int tasks = Options.integer("bench.cluster.tasks", 20);
    private final int kills = Options.integer("bench.cluster.kills", 5);
    private final int killRuns = Options.integer("bench.cluster.killRuns", 20);
    private final int commands = Options.integer("bench.cluster.commands", 200);
    private final int fencingRounds = Options.integer("bench.cluster.fencingRounds", 2);
    private final List<String> cpus = List.of(Options.text("bench.cluster.cpus", "0,1").split(","));
    private final Set<String> only = new LinkedHashSet<>(List.of(Options.text("bench.cluster.only", "scaling,failover,commands,fencing").split(",")));
    private final String classpath = classpath();
    private Path work;

    ClusterBench(Report report) {
        this.report = report;
    }

    void run() throws Exception {
        report.section("Cluster: server processes on one PostgreSQL (throughput pinned, failover, forwarded commands, fencing cost)");
        String server;
        try {
            server = PostgresTestDatabase.serverUrl(); // BATON_TEST_PG_URL, or .ci/postgres.sh (as root)
        } catch (RuntimeException e) {
            report.say("skipped: no PostgreSQL (%s)", e.getMessage());
            report.skipped("cluster", "no PostgreSQL");
            return;
        }
        work = Files.createTempDirectory("baton-bench-cluster-");
        report.say("PostgreSQL %s; a database of its own per measurement; node logs in %s", ThroughputBench.redact(server), work);
        boolean pinned = taskset();
        if (!pinned) report.say("taskset is not available: the nodes are NOT pinned, the scaling figure means little");
        try {
            if (only.contains("scaling")) scaling(server, pinned);
            if (only.contains("failover")) failover(server);
            if (only.contains("commands")) commands(server);
            if (only.contains("fencing")) fencing(server, pinned);
        } catch (NoCluster e) {
            report.say("skipped the rest: %s", e.getMessage());
            report.skipped("cluster", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ 1. scaling

    private void scaling(String server, boolean pinned) throws Exception {
        report.say("");
        report.say("1. Durable throughput, %d runs in flight per node, %d echo tasks per run, %d s after %d s of warm-up",
                clients, tasks, seconds, warmup);
        Throughput one = measure(server, 1, pinned, List.of());
        report.say("one node on core %s: %s", cpus.get(0), one);
        report.info("cluster: 1 node, 1 core", one.brief());
        if (cpus.size() < 2 || Machine.cores() < 2) {
            report.say("one core only: no two-node figure");
            return;
        }
        // The same one node loaded, with a second node in the cluster that gets no load (unpinned): what a peer costs by itself.
        Throughput withPeer = measure(server, 2, pinned, List.of(), 1);
        report.say("the same node with an idle peer in the cluster: %s", withPeer);
        report.info("cluster: 1 node loaded, 1 idle peer", withPeer.brief() + ", " + Report.fmt(withPeer.nodeCpuMillisPerRun()) + " ms CPU/run");
        Throughput two = measure(server, 2, pinned, List.of());
        report.say("two nodes on cores %s: %s", String.join(" and ", cpus.subList(0, 2)), two);
        report.info("cluster: 2 nodes, 1 core each", two.brief());
        double ratio = two.runsPerSecond() / one.runsPerSecond();
        report.goal("cluster: 2 nodes / 1 node, runs/s", ratio, "x", 1.6, false, Report.fmt(ratio) + "x");
        report.say("PostgreSQL: %s events per commit with one node, %s with two; %s commits/s at two nodes",
                Report.fmt(one.eventsPerCommit()), Report.fmt(two.eventsPerCommit()), Report.fmt(two.commitsPerSecond()));
        // On a shared machine a pinned node seldom gets its whole core: per CPU-second of the nodes, the work scales
        // as it would with whole cores; and PostgreSQL's CPU per event says how many nodes one PostgreSQL core carries.
        double perCpuOne = one.runsPerSecond() / one.nodeCores();
        double perCpuTwo = two.runsPerSecond() / two.nodeCores();
        report.say("per node CPU-second: %s runs with one node, %s with two (%s); PostgreSQL backends: %s ms of CPU per 1,000 events"
                        + " (one node), %s (two): one PostgreSQL core carries about %s events/s",
                Report.fmt(perCpuOne), Report.fmt(perCpuTwo), Report.fmt(perCpuTwo / perCpuOne) + "x",
                Report.fmt(1000 * 1000 * one.postgresCores() / one.eventsPerSecond()), Report.fmt(1000 * 1000 * two.postgresCores() / two.eventsPerSecond()),
                Report.fmt(two.eventsPerSecond() / two.postgresCores()));
        report.info("cluster: runs per node CPU-second, 2 nodes / 1", Report.fmt(perCpuTwo / perCpuOne) + "x");
    }

    /** Starts {@code count} nodes on a database of their own (pinned to a core each when {@code pinned}) and measures them. */
    private Throughput measure(String server, int count, boolean pinned, List<String> jvmOptions) throws Exception {
        return measure(server, count, pinned, jvmOptions, count);
    }

    /** As above, with only the first {@code loaded} nodes loaded (and pinned) and measured; the others idle, unpinned. */
    private Throughput measure(String server, int count, boolean pinned, List<String> jvmOptions, int loaded) throws Exception {
        try (BenchDatabase db = BenchDatabase.create(server)) {
            List<Node> nodes = new ArrayList<>();
            try {
                // One at a time: the first creates the schema (a build without the cluster core cannot do it at once).
                for (int i = 0; i < count; i++) {
                    nodes.add(Node.start("tp-" + (i + 1), pinned && i < loaded ? cpus.get(i) : null, db.url(), work, jvmOptions, Map.of(), classpath));
                }
                return throughput(nodes.subList(0, loaded), db);
            } finally {
                nodes.forEach(Node::close);
            }
        }
    }

    /**
     * One throughput figure, with where the CPU went in the window (in cores: 1.0 = one core busy all
     * along): the nodes' processes, the PostgreSQL backends serving this database, and this JVM (the load).
     */
    record Throughput(double runsPerSecond, double eventsPerSecond, double commitsPerSecond, double eventsPerCommit, int failed,
                      double nodeCores, double postgresCores, double benchCores) {
        String brief() {
            return String.format("%s runs/s, %s events/s", Report.fmt(runsPerSecond), Report.fmt(eventsPerSecond));
        }

        /** The nodes' CPU per run: less disturbed than runs/s when the machine's other work takes part of the pinned core. */
        double nodeCpuMillisPerRun() {
            return 1000 * nodeCores / runsPerSecond;
        }

        @Override
        public String toString() {
            return String.format("%s runs/s, %s events/s, %s commits/s, %s events/commit; CPU: nodes %s cores (%s ms per run),"
                            + " PostgreSQL %s, load generator %s%s", Report.fmt(runsPerSecond),
                    Report.fmt(eventsPerSecond), Report.fmt(commitsPerSecond), Report.fmt(eventsPerCommit),
                    Report.fmt(nodeCores), Report.fmt(nodeCpuMillisPerRun()), Report.fmt(postgresCores), Report.fmt(benchCores),
                    failed > 0 ? ", " + failed + " runs failed or were refused" : "");
        }
    }

    /** CPU seconds used so far by a process (user + system, from /proc; 0 where there is no /proc). */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After "pid (comm) ": state is field 3, utime 14, stime 15; the kernel counts in USER_HZ (100 on Linux).
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double cpuSeconds(List<Long> pids) {
        return pids.stream().mapToDouble(ClusterBench::cpuSeconds).sum();
    }

    private Throughput throughput(List<Node> nodes, BenchDatabase db) throws Exception {
        String body = runBody();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failed = new AtomicInteger();
        try (Finished finished = new Finished(db.url())) {
            ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * clients, r -> {
                Thread t = new Thread(r, "bench-cluster-client");
                t.setDaemon(true); // a measurement that fails leaves nothing that keeps the JVM up
                return t;
            });
            for (Node node : nodes) {
                for (int c = 0; c < clients; c++) {
                    pool.submit(() -> {
                        while (!stop.get()) {
                            try {
                                HttpResponse<String> r = node.post("/api/runs", body);
                                if (r.statusCode() != 201) {
                                    failed.incrementAndGet();
                                    Thread.sleep(10); // a node that refuses (or is gone) is not hammered
                                    continue;
                                }
                                String status = finished.await(Json.parse(r.body()).path("id").asText()).get(120, TimeUnit.SECONDS);
                                if (!"SUCCEEDED".equals(status)) failed.incrementAndGet();
                            } catch (Exception e) {
                                if (!stop.get()) failed.incrementAndGet();
                                Thread.sleep(10);
                            }
                        }
                        return null;
                    });
                }
            }
            Thread.sleep(warmup * 1000L);
            failed.set(0);
            List<Long> nodePids = nodes.stream().map(n -> n.process.pid()).toList();
            List<Long> backends = db.backendPids();
            double nodeCpu = cpuSeconds(nodePids);
            double pgCpu = cpuSeconds(backends);
            double benchCpu = cpuSeconds(ProcessHandle.current().pid());
            Counts a = db.counts();
            long queriesBefore = finished.queries();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            Counts b = db.counts();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            for (Node node : nodes) {
                if (!node.process.isAlive()) {
                    stop.set(true);
                    throw new IllegalStateException("node " + node.name + " exited during the measurement (" + node.process.exitValue()
                            + "; 143 is a SIGTERM from outside): see " + node.log);
                }
            }
            nodeCpu = cpuSeconds(nodePids) - nodeCpu;
            pgCpu = cpuSeconds(backends) - pgCpu;
            benchCpu = cpuSeconds(ProcessHandle.current().pid()) - benchCpu;
            // This JVM's own transactions (the watcher's polls, and one counts() query) are not the nodes'.
            long own = finished.queries() - queriesBefore + 1;
            stop.set(true);
            pool.shutdown();
            pool.awaitTermination(150, TimeUnit.SECONDS);
            long commits = Math.max(1, b.commits() - a.commits() - own);
            long events = b.events() - a.events();
            return new Throughput((b.succeeded() - a.succeeded()) / elapsed, events / elapsed, commits / elapsed,
                    (double) events / commits, failed.get(), nodeCpu / elapsed, pgCpu / elapsed, benchCpu / elapsed);
        }
    }

    private String runBody() {
        ObjectNode body = Json.object();
        body.put("goal", "cluster bench");
        ArrayNode list = body.putObject("plan").putArray("tasks");
        list.addObject().put("id", "root").put("tool", "echo").putObject("args").put("n", 0);
        for (int i = 1; i < tasks; i++) {
            ObjectNode t = list.addObject().put("id", "t" + i).put("tool", "echo");
            t.putObject("args").put("n", i);
            t.putArray("dependsOn").add("root");
        }
        return Json.write(body);
    }

    // ------------------------------------------------------------------ 2. failover

    private void failover(String server) throws Exception {
        report.say("");
        report.say("2. kill -9 of a node holding %d runs, each in the middle of a call: time to the last call made again elsewhere"
                + " (default lease), %d kills", killRuns, kills);
        List<Double> lastResumed = new ArrayList<>();
        List<Double> perRun = new ArrayList<>();
        try (BenchDatabase db = BenchDatabase.create(server); HeldUpstream upstream = HeldUpstream.start()) {
            Node[] nodes = new Node[3];
            try {
                for (int i = 0; i < 3; i++) nodes[i] = Node.start("fo-" + (i + 1), null, db.url(), work, List.of(), Map.of(), classpath);
                for (int k = 0; k < kills; k++) {
                    int v = k % nodes.length;
                    Node victim = nodes[v];
                    long epoch = epoch(victim);
                    List<String> paths = new ArrayList<>();
                    List<String> runIds = new ArrayList<>();
                    for (int i = 0; i < killRuns; i++) {
                        String path = "/hold/" + k + "/" + i;
                        paths.add(path);
                        String plan = "{\"goal\": \"failover\", \"plan\": {\"tasks\": [{\"id\": \"call\", \"tool\": \"http.request\","
                                + " \"args\": {\"method\": \"POST\", \"url\": \"" + upstream.base() + path + "\", \"body\": {}}}]}}";
                        HttpResponse<String> r = victim.post("/api/runs", plan);
                        if (r.statusCode() != 201) throw new IllegalStateException("POST /api/runs: " + r.statusCode() + " " + r.body());
                        runIds.add(Json.parse(r.body()).path("id").asText());
                    }
                    upstream.awaitFirst(paths, Duration.ofSeconds(60));
                    List<String> owned = new ArrayList<>();
                    for (int i = 0; i < runIds.size(); i++) if (Long.valueOf(epoch).equals(db.ownerEpoch(runIds.get(i)))) owned.add(paths.get(i));
                    long killedAt = System.currentTimeMillis();
                    victim.kill();
                    Map<String, Long> again = upstream.awaitAgain(owned, Duration.ofSeconds(120));
                    double last = 0;
                    for (long at : again.values()) {
                        perRun.add((double) (at - killedAt));
                        last = Math.max(last, at - killedAt);
                    }
                    lastResumed.add(last);
                    report.say("   kill %d of %s (owner of %d of its %d runs): last run resumed elsewhere after %s ms", k + 1, victim.name,
                            owned.size(), killRuns, Report.fmt(last));
                    nodes[v] = Node.start(victim.name, null, db.url(), work, List.of(), Map.of(), classpath);
                }
            } finally {
                for (Node n : nodes) if (n != null) n.close();
            }
        }
        Stats s = Stats.of(lastResumed);
        Stats r = Stats.of(perRun);
        report.goal("cluster: kill -9 to last run resumed, p99", s.percentile(99) / 1000, "s", 10, true,
                String.format("p50 %s s, p99 %s s", Report.fmt(s.median() / 1000), Report.fmt(s.percentile(99) / 1000)));
        report.say("   per run: p50 %s s, p99 %s s over %d runs", Report.fmt(r.median() / 1000), Report.fmt(r.percentile(99) / 1000), r.count());
    }

    // ------------------------------------------------------------------ 3. commands on a non-owner

    private void commands(String server) throws Exception {
        report.say("");
        report.say("3. An approval sent to a node that does not own the run, to the owner's next task started, %d runs", commands);
        List<Double> started = new ArrayList<>();
        List<Double> answered = new ArrayList<>();
        String plan = "{\"goal\": \"command\", \"plan\": {\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"},"
                + " {\"id\": \"next\", \"tool\": \"echo\", \"args\": {}, \"dependsOn\": [\"gate\"]}]}}";
        try (BenchDatabase db = BenchDatabase.create(server)) {
            Node a = Node.start("cmd-1", null, db.url(), work, List.of(), Map.of(), classpath);
            Node b = Node.start("cmd-2", null, db.url(), work, List.of(), Map.of(), classpath);
            try {
                Map<Long, Node> byEpoch = Map.of(epoch(a), a, epoch(b), b);
                int warm = Math.min(20, commands);
                for (int done = -warm; done < commands; ) {
                    int batch = Math.min(20, commands - done);
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < batch; i++) {
                        HttpResponse<String> r = (i % 2 == 0 ? a : b).post("/api/runs", plan);
                        if (r.statusCode() != 201) throw new IllegalStateException("POST /api/runs: " + r.statusCode() + " " + r.body());
                        ids.add(Json.parse(r.body()).path("id").asText());
                    }
                    for (String id : ids) {
                        db.awaitPendingApproval(id, Duration.ofSeconds(30));
                        Node owner = byEpoch.get(db.ownerEpoch(id));
                        if (owner == null) throw new IllegalStateException("run " + id + " is owned by neither node: " + db.ownerEpoch(id));
                        Node other = owner == a ? b : a;
                        long t0 = System.currentTimeMillis();
                        long n0 = System.nanoTime();
                        HttpResponse<String> r = other.post("/api/runs/" + id + "/tasks/gate/approval", "{\"decision\": \"approve\"}");
                        double roundTrip = (System.nanoTime() - n0) / 1e6;
                        if (r.statusCode() != 200) throw new IllegalStateException("approval on the non-owner: " + r.statusCode() + " " + r.body());
                        long at = db.awaitTaskStarted(id, "next", Duration.ofSeconds(30));
                        if (done >= 0) {
                            started.add((double) (at - t0));
                            answered.add(roundTrip);
                        }
                        done++;
                    }
                }
            } finally {
                a.close();
                b.close();
            }
        }
        Stats s = Stats.of(started);
        Stats r = Stats.of(answered);
        report.goal("cluster: command on non-owner to next task, p99", s.percentile(99), "ms", 50, true,
                String.format("p50 %s ms, p99 %s ms", Report.fmt(s.median()), Report.fmt(s.percentile(99))));
        report.say("   the approval's answer (durable at the owner): p50 %s ms, p99 %s ms; times in ms of the journal's clock",
                Report.fmt(r.median()), Report.fmt(r.percentile(99)));
    }

    // ------------------------------------------------------------------ 4. fencing cost

    private void fencing(String server, boolean pinned) throws Exception {
        report.say("");
        report.say("4. Ownership checks: one node (core %s) with -Dbaton.cluster.fencing=off against the default, %d rounds alternated",
                cpus.get(0), fencingRounds);
        report.say("   (the property is the lead's; on a build without it both sides run the same code and the difference is noise)");
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        List<Double> offCpu = new ArrayList<>();
        List<Double> onCpu = new ArrayList<>();
        for (int round = 0; round < fencingRounds; round++) {
            for (boolean fenced : round % 2 == 0 ? List.of(false, true) : List.of(true, false)) {
                Throughput t = measure(server, 1, pinned, fenced ? List.of() : List.of("-Dbaton.cluster.fencing=off"));
                report.say("   round %d, fencing %s: %s", round + 1, fenced ? "on " : "off", t);
                (fenced ? on : off).add(t.runsPerSecond());
                (fenced ? onCpu : offCpu).add(t.nodeCpuMillisPerRun());
            }
        }
        double withOut = Stats.of(off).median();
        double with = Stats.of(on).median();
        double cost = 100 * (withOut - with) / withOut;
        report.goal("cluster: ownership checks' cost, runs/s", cost, "%", 10, true,
                String.format("%s%% (%s vs %s runs/s)", Report.fmt(cost), Report.fmt(with), Report.fmt(withOut)));
        double cpuOff = Stats.of(offCpu).median();
        double cpuOn = Stats.of(onCpu).median();
        report.say("   by the node's CPU per run (medians): %s ms with the checks, %s without: %s%%", Report.fmt(cpuOn), Report.fmt(cpuOff),
                Report.fmt(100 * (cpuOn - cpuOff) / cpuOff));
        report.info("cluster: ownership checks' cost, CPU per run", Report.fmt(100 * (cpuOn - cpuOff) / cpuOff) + "%");
    }

    // ------------------------------------------------------------------ helpers

    /** A build without the cluster core: the parts that need {@code /api/cluster} cannot run. */
    static final class NoCluster extends RuntimeException {
        NoCluster(String message) {
            super(message);
        }
    }

    private static long epoch(Node node) throws Exception {
        HttpResponse<String> r = node.get("/api/cluster");
        if (r.statusCode() == 404) throw new NoCluster("GET /api/cluster answers 404: this build has no cluster core");
        if (r.statusCode() != 200) throw new IllegalStateException("GET /api/cluster: " + r.statusCode() + " " + r.body());
        return Json.parse(r.body()).path("node").path("epoch").asLong();
    }

    private static boolean taskset() {
        try {
            Process p = new ProcessBuilder("taskset", "-c", "0", "true").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The classpath of the server processes: this module's (web-console and all below it). Under
     * {@code exec:java} the JVM's own class path is Maven's, so it is read from the class loader.
     */
    private static String classpath() {
        List<String> entries = new ArrayList<>();
        for (ClassLoader l = ClusterBench.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (Exception e) {
                        // not a file: skip
                    }
                }
            }
        }
        if (entries.stream().noneMatch(e -> e.contains("web-console"))) return System.getProperty("java.class.path");
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** A Baton server in a child JVM, pinned to one core with {@code taskset} when {@code cpu} is set. */
    static final class Node implements AutoCloseable {
        final String name;
        final Process process;
        final int port;
        final Path log;

        private Node(String name, Process process, int port, Path log) {
            this.name = name;
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Node start(String name, String cpu, String dbUrl, Path work, List<String> jvmOptions, Map<String, String> env,
                          String classpath) throws Exception {
            try {
                return startOnce(name, cpu, dbUrl, work, jvmOptions, env, classpath);
            } catch (TerminatedFromOutside e) {
                // Seen here while other builds ran: a SIGTERM from outside this bench. A slow machine must not end the part.
                System.out.println("   (" + e.getMessage() + "; starting it again)");
                return startOnce(name, cpu, dbUrl, work, jvmOptions, env, classpath);
            }
        }

        /** A node that died of a SIGTERM that this bench did not send. */
        static final class TerminatedFromOutside extends IllegalStateException {
            TerminatedFromOutside(String message) {
                super(message);
            }
        }

        private static Node startOnce(String name, String cpu, String dbUrl, Path work, List<String> jvmOptions, Map<String, String> env,
                                      String classpath) throws Exception {
            List<String> command = new ArrayList<>();
            if (cpu != null) command.addAll(List.of("taskset", "-c", cpu));
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", classpath, "dev.baton.server.Main", "--port", "0",
                    "--data-dir", Files.createDirectories(work.resolve(name + "-" + UUID.randomUUID().toString().substring(0, 8))).toString(),
                    "--db-url", dbUrl, "--http-allowed-hosts", "127.0.0.1", "--rate-runs", "100000000/min"));
            Path log = work.resolve(name + "-" + System.nanoTime() + ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("BATON_"));
            builder.environment().put("BATON_NODE_ID", name);
            builder.environment().put("BATON_TRIAGE_WARM_UP", "false"); // no tickets here: no classifier's minutes of CPU
            builder.environment().putAll(env);
            Process process = builder.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    String why = "node " + name + " exited with " + process.exitValue() + " while starting; see " + log;
                    throw process.exitValue() == 143 ? new TerminatedFromOutside(why) : new IllegalStateException(why);
                }
                Matcher m = LISTENING.matcher(Files.readString(log));
                if (m.find()) {
                    Node node = new Node(name, process, Integer.parseInt(m.group(1)), log);
                    try {
                        if (node.get("/api/health").statusCode() == 200) return node;
                    } catch (IOException notYet) {
                        // listening soon
                    }
                }
                Thread.sleep(50);
            }
            process.destroyForcibly();
            throw new IllegalStateException("node " + name + " was not ready within 90 s; see " + log);
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        /** SIGKILL, and waits for the process to be gone. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    record Counts(long succeeded, long events, long commits) {
    }

    /**
     * A PostgreSQL database of its own on the test server, so that {@code pg_stat_database} counts this
     * measurement's commits only (the server is shared with tests); dropped on close.
     */
    static final class BenchDatabase implements AutoCloseable {
        private final String server;
        private final String name;
        private final String url;

        private BenchDatabase(String server, String name, String url) {
            this.server = server;
            this.name = name;
            this.url = url;
        }

        static BenchDatabase create(String server) throws SQLException {
            String name = "baton_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(server); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            String url = server.replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name);
            return new BenchDatabase(server, name, url);
        }

        String url() {
            return url;
        }

        Counts counts() throws SQLException {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM baton_runs WHERE status = 'SUCCEEDED'),"
                         + " (SELECT count(*) FROM baton_events),"
                         + " (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())")) {
                rs.next();
                return new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }

        /** The PostgreSQL server processes serving this database now (the nodes' pools, this JVM's connections). */
        List<Long> backendPids() throws SQLException {
            List<Long> pids = new ArrayList<>();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")) {
                while (rs.next()) pids.add(rs.getLong(1));
            }
            return pids;
        }

        Long ownerEpoch(String runId) throws SQLException {
            try (Connection c = DriverManager.getConnection(url);
                 PreparedStatement ps = c.prepareStatement("SELECT owner_epoch FROM baton_runs WHERE id = ?")) {
                ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return null;
                    long epoch = rs.getLong(1);
                    return rs.wasNull() ? null : epoch;
                }
            }
        }

        void awaitPendingApproval(String runId, Duration timeout) throws Exception {
            poll("SELECT 1 FROM baton_approvals WHERE run_id = ? AND status = 'PENDING'", runId, null, timeout);
        }

        /** The {@code at_ms} of the task's first TaskStarted event, once it is in the journal. */
        long awaitTaskStarted(String runId, String taskId, Duration timeout) throws Exception {
            return poll("SELECT at_ms FROM baton_events WHERE run_id = ? AND type = 'TaskStarted' AND task_id = ? ORDER BY seq",
                    runId, taskId, timeout);
        }

        private long poll(String sql, String a, String b, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, a);
                if (b != null) ps.setString(2, b);
                while (System.nanoTime() < deadline) {
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) return rs.getLong(1);
                    }
                    Thread.sleep(1);
                }
            }
            throw new IllegalStateException("timed out after " + timeout + ": " + sql + " [" + a + ", " + b + "]");
        }

        @Override
        public void close() throws SQLException {
            try (Connection c = DriverManager.getConnection(server); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    /** Which runs have finished, read from {@code baton_runs} every 20 ms for the runs in flight. */
    static final class Finished implements AutoCloseable {
        private final Map<String, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();
        private final AtomicLong queries = new AtomicLong();
        private final Thread thread;
        private volatile boolean closed;

        Finished(String url) {
            thread = new Thread(() -> watch(url), "bench-finished-watch");
            thread.setDaemon(true);
            thread.start();
        }

        CompletableFuture<String> await(String runId) {
            return waiting.computeIfAbsent(runId, id -> new CompletableFuture<>());
        }

        long queries() {
            return queries.get();
        }

        private void watch(String url) {
            try (Connection c = DriverManager.getConnection(url);
                 PreparedStatement ps = c.prepareStatement("SELECT id, status FROM baton_runs WHERE id = ANY(?)"
                         + " AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')")) {
                while (!closed) {
                    if (!waiting.isEmpty()) {
                        Array ids = c.createArrayOf("varchar", waiting.keySet().toArray());
                        ps.setArray(1, ids);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                CompletableFuture<String> f = waiting.remove(rs.getString(1));
                                if (f != null) f.complete(rs.getString(2));
                            }
                        }
                        queries.incrementAndGet();
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                waiting.values().forEach(f -> f.completeExceptionally(e));
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /**
     * An upstream that holds the first call of each path unanswered (so that a node killed meanwhile dies
     * with the call in flight) and answers every later call of that path at once, noting when it came.
     */
    static final class HeldUpstream implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, Long> first = new ConcurrentHashMap<>();
        private final Map<String, Long> again = new ConcurrentHashMap<>();
        private final CountDownLatch closing = new CountDownLatch(1);

        private HeldUpstream(HttpServer server) {
            this.server = server;
        }

        static HeldUpstream start() throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
            HeldUpstream upstream = new HeldUpstream(server);
            server.createContext("/", upstream::handle);
            server.setExecutor(Executors.newCachedThreadPool());
            server.start();
            return upstream;
        }

        String base() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            exchange.getRequestBody().readAllBytes();
            long now = System.currentTimeMillis();
            if (first.putIfAbsent(path, now) == null) {
                try {
                    closing.await(); // held: the caller dies with this call in flight
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            again.putIfAbsent(path, now);
            byte[] body = "{\"ok\": true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }

        void awaitFirst(List<String> paths, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!first.keySet().containsAll(paths)) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the calls did not all arrive within " + timeout);
                Thread.sleep(5);
            }
        }

        /** When each path was called again. */
        Map<String, Long> awaitAgain(List<String> paths, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!again.keySet().containsAll(paths)) {
                if (System.nanoTime() > deadline) {
                    List<String> missing = paths.stream().filter(p -> !again.containsKey(p)).toList();
                    throw new IllegalStateException(missing.size() + " runs were not resumed within " + timeout + ": " + missing);
                }
                Thread.sleep(2);
            }
            Map<String, Long> out = new java.util.HashMap<>();
            for (String p : paths) out.put(p, again.get(p));
            return out;
        }

        @Override
        public void close() {
            closing.countDown();
            server.stop(0);
        }
    }
}
