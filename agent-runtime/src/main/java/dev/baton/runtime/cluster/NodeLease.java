package dev.baton.runtime.cluster;

import dev.baton.runtime.journal.JournalException;
import dev.baton.runtime.journal.WriteFence;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * This node's row in {@code baton_nodes}: its epoch (from a sequence, so it grows at every start
 * and every rejoin) and its lease, in the database's clock so that the nodes' own clocks never
 * matter. Blocking JDBC: call it off the event loops.
 *
 * <p>As the journal's {@link WriteFence}, every write transaction first reads the node's row
 * {@code FOR SHARE}: the write goes through only while the lease holds, and a takeover (which
 * marks the row DEAD, an update) waits until that transaction has committed. So a node paused
 * past its lease finds its writes refused when it wakes, and a takeover never replays a run
 * while its old owner is still committing to it.
 */
public final class NodeLease implements WriteFence {

    /** The database's clock, in epoch milliseconds (PostgreSQL). */
    static final String NOW_MS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

    private final DataSource db;
    private final String nodeId;
    private final Duration lease;
    private volatile long epoch = -1;
    private volatile Instant startedAt;
    private volatile java.util.function.LongConsumer onFenced = epoch -> { };

    public NodeLease(DataSource db, String nodeId, Duration lease) {
        this.db = db;
        this.nodeId = nodeId;
        this.lease = lease;
    }

    /** Registers this node with a new epoch and a fresh lease; returns the epoch. */
    public long join(String address) {
        try (Connection c = db.getConnection()) {
            long next;
            try (PreparedStatement ps = c.prepareStatement("SELECT nextval('baton_node_epochs')"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                next = rs.getLong(1);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO baton_nodes (epoch, node_id, address, started_at_ms, "
                    + "lease_until_ms, state) VALUES (?, ?, ?, " + NOW_MS + ", " + NOW_MS + " + ?, 'ALIVE') RETURNING started_at_ms")) {
                ps.setLong(1, next);
                ps.setString(2, nodeId);
                ps.setString(3, address);
                ps.setLong(4, lease.toMillis());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    startedAt = Instant.ofEpochMilli(rs.getLong(1));
                }
            }
            epoch = next;
            return next;
        } catch (SQLException e) {
            throw new JournalException("cannot join the cluster: " + e.getMessage(), e);
        }
    }

    /**
     * Extends the lease, if it still holds: false once it lapsed (by the database's clock) or
     * another node marked this one DEAD. A lapsed lease is never renewed, even if nobody noticed:
     * this node must rejoin with a new epoch.
     */
    public boolean renew() throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE baton_nodes SET lease_until_ms = " + NOW_MS + " + ? "
                     + "WHERE epoch = ? AND state = 'ALIVE' AND lease_until_ms >= " + NOW_MS)) {
            ps.setLong(1, lease.toMillis());
            ps.setLong(2, epoch);
            return ps.executeUpdate() == 1;
        }
    }

    /** Marks this node LEFT (a clean stop): its runs are taken over at once instead of after its lease. */
    public void leave() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE baton_nodes SET state = 'LEFT' WHERE epoch = ? AND state = 'ALIVE'")) {
            ps.setLong(1, epoch);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new JournalException("cannot leave the cluster: " + e.getMessage(), e);
        }
    }

    /** Told the epoch whose write the journal refused, from the journal's writer thread: keep it short. */
    public void onFenced(java.util.function.LongConsumer listener) {
        this.onFenced = listener;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    public String nodeId() {
        return nodeId;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Duration lease() {
        return lease;
    }

    /**
     * {@code -Dbaton.cluster.fencing=off} skips the check in every write: only for the benchmark that
     * measures what the check costs. Never in production: a node paused past its lease could write.
     */
    private static final boolean FENCING = !"off".equals(System.getProperty("baton.cluster.fencing"));

    @Override
    public void check(Connection c) throws SQLException {
        if (!FENCING) return;
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM baton_nodes WHERE epoch = ? AND state = 'ALIVE' AND lease_until_ms >= "
                + NOW_MS + " FOR SHARE")) {
            long writing = epoch;
            ps.setLong(1, writing);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    onFenced.accept(writing);
                    throw new Fenced("this node (" + nodeId + ", epoch " + epoch + ") lost its cluster lease: the journal refuses"
                            + " its writes; its runs are taken over by the other nodes and it rejoins with a new epoch");
                }
            }
        }
    }
}
