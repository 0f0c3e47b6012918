package dev.baton.server;

import dev.baton.runtime.cluster.ClusterBus;
import dev.baton.runtime.cluster.ClusterNode;
import dev.baton.runtime.cluster.EventRelay;
import dev.baton.runtime.journal.JdbcJournal;
import dev.baton.runtime.journal.Journal;
import dev.baton.server.metrics.ServerMetrics;
import dev.baton.runtime.orchestrator.Orchestrator;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This server's part in the cluster of the servers that share its PostgreSQL journal: the
 * clustered event bus, its node (lease, ownership, takeover) and the relay of other nodes' run
 * events. A server on H2 or in memory has none.
 */
final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final Vertx vertx;
    private final Journal journal;
    private final ClusterBus bus;
    final ClusterNode node;
    private EventRelay relay;

    private Membership(Vertx vertx, Journal journal, ClusterBus bus, ClusterNode node) {
        this.vertx = vertx;
        this.journal = journal;
        this.bus = bus;
        this.node = node;
    }

    /** Joins the cluster of the journal's database (blocking); null if the journal is not one several servers can share. */
    static Membership join(Vertx vertx, Journal journal, Config config, ServerMetrics metrics) throws Exception {
        if (!(journal instanceof JdbcJournal jdbc) || !jdbc.shared()) return null;
        ClusterSettings settings = config.cluster();
        List<String> members = settings.members();
        if (members.isEmpty()) {
            // The nodes the database knows, wherever they run, and this host's own ports.
            LinkedHashSet<String> known = new LinkedHashSet<>(ClusterNode.liveAddresses(jdbc.dataSource()));
            known.add(settings.host());
            members = new ArrayList<>(known);
        }
        long began = System.nanoTime();
        ClusterBus bus = ClusterBus.start(new ClusterBus.Settings(clusterName(config.dbUrl(), schemaOf(jdbc)), settings.host(), settings.port(), members,
                        ClusterBus.Settings.DEFAULT_EVENT_LOOPS, settings.busPort()), metrics.clusterMetricsOptions(), metrics.clusterFactory())
                .await(2, TimeUnit.MINUTES);
        try {
            ClusterNode node = ClusterNode.join(vertx, jdbc, bus, settings.nodeId(), settings.lease());
            LOG.info("cluster member at {} in {} ms", bus.memberAddress(), (System.nanoTime() - began) / 1_000_000);
            return new Membership(vertx, journal, bus, node);
        } catch (RuntimeException e) {
            bus.close();
            throw e;
        }
    }

    /** Starts taking commands and taking over orphaned runs, and relaying other nodes' events. */
    void start(Orchestrator orchestrator) throws Exception {
        node.start(orchestrator).await(1, TimeUnit.MINUTES);
        relay = new EventRelay(vertx, journal, bus.eventBus());
    }

    EventRelay relay() {
        return relay;
    }

    /** Marks this node LEFT: once its last events are written, before the journal closes. */
    void leave() {
        node.close();
    }

    @Override
    public void close() {
        node.close();
        if (relay != null) relay.close();
        try {
            bus.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("the cluster's event bus did not close cleanly: {}", e.toString());
        }
    }

    /** The database and schema the journal's tables are in, as the database names them. */
    private static String schemaOf(JdbcJournal journal) {
        try (java.sql.Connection c = journal.dataSource().getConnection();
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT current_database() || '/' || current_schema()")) {
            rs.next();
            return rs.getString(1);
        } catch (java.sql.SQLException e) {
            throw new dev.baton.runtime.journal.JournalException("cannot read the journal's schema: " + e.getMessage(), e);
        }
    }

    /**
     * The cluster's name: the database server's address (without user, password or options) and
     * the database and schema the journal is in, hashed. Servers on different journals never join
     * each other's cluster, even on one database server.
     */
    static String clusterName(String dbUrl, String databaseAndSchema) {
        String address = dbUrl.trim();
        int query = address.indexOf('?');
        if (query >= 0) address = address.substring(0, query);
        address = address.replaceFirst("/[^/]*$", "") + "/" + databaseAndSchema;
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(address.getBytes(StandardCharsets.UTF_8));
            return "baton-" + HexFormat.of().formatHex(hash, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
