package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Several Baton servers (real processes, see {@link ServerProcess}) on one PostgreSQL database:
 * a cluster as {@code CLUSTER-CONTRACT.md} and API.md "Cluster" describe it. Nodes are named
 * {@code node-1}, {@code node-2}... ({@code BATON_NODE_ID}), each with its own data directory and
 * log under the test's folder (see {@link ServerProcesses#startNode}).
 *
 * <p>Who owns a run is read where the contract says PostgreSQL decides it: {@code baton_runs.owner_epoch},
 * matched against each node's epoch from its own {@code GET /api/cluster}.
 *
 * <pre>{@code
 * @RegisterExtension
 * final ServerProcesses servers = new ServerProcesses("cluster-takeover");
 *
 * Cluster cluster = Cluster.start(servers, 3, List.of());   // node-1, then node-2 and node-3 at once; lease 2 s
 * cluster.awaitMembers(3);
 * ServerProcess owner = cluster.owner(runId);
 * }</pre>
 */
public final class Cluster {
    /** The lease the test nodes hold: short, so that a takeover takes seconds. */
    public static final Duration LEASE = Duration.ofSeconds(2);
    /** Long enough for a lapsed lease to be seen and its runs claimed and replayed on a loaded machine. */
    public static final Duration TAKEOVER = Duration.ofSeconds(40);

    private final ServerProcesses servers;
    private final String dbUrl;
    private final List<String> options;
    private final Map<String, ServerProcess> nodes = new LinkedHashMap<>();

    private Cluster(ServerProcesses servers, String dbUrl, List<String> options) {
        this.servers = servers;
        this.dbUrl = dbUrl;
        this.options = List.copyOf(options);
    }

    /**
     * Starts {@code size} nodes at the same moment (their JVMs are launched together, so that they
     * race for the empty schema) on a fresh PostgreSQL database of the test; returns once every one
     * answers {@code /api/health}, or fails with the log of each that did not.
     *
     * @param options more command-line options for every node (e.g. {@code --routing FILE})
     */
    public static Cluster startAtOnce(ServerProcesses servers, int size, List<String> options) {
        Cluster cluster = new Cluster(servers, servers.postgresUrl(), options);
        cluster.startTogether(names(1, size));
        return cluster;
    }

    /**
     * Starts {@code node-1} on a fresh PostgreSQL database of the test, then the other nodes together:
     * a cluster for the scenarios that are not about the schema being created at once (ClusterStartTest is).
     */
    public static Cluster start(ServerProcesses servers, int size, List<String> options) {
        Cluster cluster = new Cluster(servers, servers.postgresUrl(), options);
        cluster.startTogether(names(1, 1));
        if (size > 1) cluster.startTogether(names(2, size));
        return cluster;
    }

    private static List<String> names(int from, int to) {
        List<String> names = new ArrayList<>();
        for (int i = from; i <= to; i++) names.add("node-" + i);
        return names;
    }

    /** Starts one more node (or a node of that name again, after it was killed) and returns it once ready. */
    public ServerProcess startNode(String name) {
        ServerProcess node = servers.startNode(name, dbUrl, options, environment(name));
        synchronized (nodes) {
            nodes.put(name, node);
        }
        return node;
    }

    private void startTogether(List<String> names) {
        CyclicBarrier together = new CyclicBarrier(names.size());
        ExecutorService pool = Executors.newFixedThreadPool(names.size());
        try {
            List<Future<ServerProcess>> started = new ArrayList<>();
            for (String name : names) {
                started.add(pool.submit(() -> {
                    together.await(30, TimeUnit.SECONDS);
                    return servers.startNode(name, dbUrl, options, environment(name));
                }));
            }
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                try {
                    ServerProcess node = started.get(i).get(2, TimeUnit.MINUTES);
                    synchronized (nodes) {
                        nodes.put(names.get(i), node);
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // Without the command line that the log starts with: the classpath alone fills a screen.
                    failures.add(names.get(i) + ": " + String.valueOf(e.getCause().getMessage()).replaceAll("(?m)^\\$ .*\\R?", ""));
                } catch (java.util.concurrent.TimeoutException e) {
                    failures.add(names.get(i) + ": not ready within 2 minutes");
                }
            }
            if (!failures.isEmpty()) {
                throw new AssertionError(failures.size() + " of " + names.size() + " nodes started at the same moment did not come up:\n"
                        + String.join("\n\n", failures));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<String, String> environment(String name) {
        // Environment variables rather than options: a server that does not know them yet still starts.
        return Map.of("BATON_NODE_ID", name, "BATON_CLUSTER_LEASE", LEASE.toMillis() + "ms");
    }

    /** The database the nodes share (a JDBC URL with its schema). */
    public String dbUrl() {
        return dbUrl;
    }

    /** The node started as {@code node-<n>}. */
    public ServerProcess node(int n) {
        synchronized (nodes) {
            ServerProcess node = nodes.get("node-" + n);
            if (node == null) throw new IllegalArgumentException("no node-" + n + "; nodes: " + nodes.keySet());
            return node;
        }
    }

    /** The node's name ({@code node-<n>}). */
    public String name(ServerProcess node) {
        synchronized (nodes) {
            return nodes.entrySet().stream().filter(e -> e.getValue() == node).map(Map.Entry::getKey).findFirst().orElse("?");
        }
    }

    /** The nodes that are alive and not suspended: those that answer. */
    public List<ServerProcess> live() {
        synchronized (nodes) {
            return nodes.values().stream().filter(n -> n.isAlive() && !n.suspended()).toList();
        }
    }

    /** The live nodes but {@code except}. */
    public List<ServerProcess> liveExcept(ServerProcess except) {
        return live().stream().filter(n -> n != except).toList();
    }

    /**
     * {@code GET /api/cluster} on the node. A 503 (a node that lost its lease and is rejoining) throws an
     * {@link IllegalStateException}, which a wait through {@link Api#await} takes for "not yet"; any other
     * answer but 200 fails at once.
     */
    public static JsonNode view(ServerProcess node) {
        Api.Response r = node.api().get("/api/cluster");
        if (r.status() == 503) throw new IllegalStateException("GET /api/cluster on port " + node.port() + ": 503 " + r.body());
        if (r.status() != 200) throw new AssertionError("GET /api/cluster on port " + node.port() + ": " + r.status() + " " + r.body());
        return r.json();
    }

    /** The node's epoch, as it says itself. */
    public static long epoch(ServerProcess node) {
        return view(node).path("node").path("epoch").asLong();
    }

    /** Waits until every live node's {@code /api/cluster} lists {@code size} nodes, exactly one of them itself. */
    public void awaitMembers(int size) {
        for (ServerProcess node : live()) {
            Api.await(() -> view(node), view -> members(view) == size && selfCount(view) == 1, TAKEOVER,
                    name(node) + "'s /api/cluster to list " + size + " nodes, one of them itself");
        }
    }

    public static int members(JsonNode view) {
        return view.path("nodes").size();
    }

    public static long selfCount(JsonNode view) {
        long n = 0;
        for (JsonNode node : view.path("nodes")) if (node.path("self").asBoolean()) n++;
        return n;
    }

    /** The run's owner epoch in the journal ({@code baton_runs.owner_epoch}), or null for none. */
    public Long ownerEpoch(String runId) {
        return query("SELECT owner_epoch FROM baton_runs WHERE id = ?", runId, rs -> {
            if (!rs.next()) throw new AssertionError("no run " + runId + " in baton_runs");
            long epoch = rs.getLong(1);
            return rs.wasNull() ? null : epoch;
        });
    }

    /** The live node that owns the run now, or null if its owner is not a live node (dead, suspended, or none). */
    public ServerProcess owner(String runId) {
        Long epoch = ownerEpoch(runId);
        if (epoch == null) return null;
        for (ServerProcess node : live()) if (epoch(node) == epoch) return node;
        return null;
    }

    /** A live node that does not own the run (so a command sent there must be forwarded, or the run taken over). */
    public ServerProcess notOwner(String runId) {
        ServerProcess owner = owner(runId);
        return live().stream().filter(n -> n != owner).findFirst()
                .orElseThrow(() -> new AssertionError("every live node owns run " + runId + "?"));
    }

    /** The run's event seqs in the journal, in order. */
    public List<Long> journalSeqs(String runId) {
        return query("SELECT seq FROM baton_events WHERE run_id = ? ORDER BY seq", runId, rs -> {
            List<Long> seqs = new ArrayList<>();
            while (rs.next()) seqs.add(rs.getLong(1));
            return seqs;
        });
    }

    /** The run's event types in the journal, in seq order. */
    public List<String> journalTypes(String runId) {
        return query("SELECT type FROM baton_events WHERE run_id = ? ORDER BY seq", runId, rs -> {
            List<String> types = new ArrayList<>();
            while (rs.next()) types.add(rs.getString(1));
            return types;
        });
    }

    private interface Rows<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T query(String sql, String arg, Rows<T> rows) {
        try (Connection c = DriverManager.getConnection(dbUrl); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rows.read(rs);
            }
        } catch (SQLException e) {
            throw new AssertionError("the test's query '" + sql + "' failed: " + e.getMessage(), e);
        }
    }

    /** Asserts that seqs run 1, 2, 3... with no gap and no repeat. */
    public static void assertGapFree(List<Long> seqs, String what) {
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != i + 1) throw new AssertionError(what + ": seqs are not 1.." + seqs.size() + " without gaps or repeats: " + seqs);
        }
    }

    /** The logs of every node, the last lines of each, for a failure message. */
    public String logTails() {
        StringBuilder out = new StringBuilder();
        synchronized (nodes) {
            nodes.forEach((name, node) -> out.append("\n---- ").append(name).append(" (").append(node.log()).append(")\n").append(node.logTail()));
        }
        return out.toString();
    }
}
