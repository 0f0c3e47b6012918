package dev.baton.runtime.cluster;

import dev.baton.runtime.journal.WriteFence;
import dev.baton.runtime.orchestrator.RunPlacement.Place;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Who owns which run, in the journal's database ({@code baton_runs.owner_epoch}, {@code baton_nodes}):
 * where a run is, the nodes whose lease lapsed, and the claims by which live nodes take over the
 * runs of nodes that stopped or died. Claims skip rows another claimer holds ({@code FOR UPDATE
 * SKIP LOCKED}), so nodes claiming at once take disjoint shares; each claim checks the claimer's
 * own lease in the same transaction. Blocking JDBC: call it off the event loops.
 */
final class RunClaims {

    private static final String UNFINISHED = "r.status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'COMPENSATION_FAILED')";
    /** The run's owner is not a live node: it stopped, lost its lease, or the run predates the cluster. */
    private static final String ORPHANED = "NOT EXISTS (SELECT 1 FROM baton_nodes n WHERE n.epoch = r.owner_epoch AND n.state = 'ALIVE')";

    /** A live node, as {@code GET /api/cluster} lists it. */
    record Node(long epoch, String nodeId, String address, Instant startedAt, Instant leaseUntil, long runs) {
    }

    /** A node whose lease lapsed, just marked DEAD. */
    record Lapsed(long epoch, String nodeId) {
    }

    private final DataSource db;
    private final NodeLease self;

    RunClaims(DataSource db, NodeLease self) {
        this.db = db;
        this.self = self;
    }

    /** Where the run is: here, on another live node, orphaned, or unknown. */
    Place locate(String runId) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT r.owner_epoch, n.node_id, n.state, n.lease_until_ms >= " + NodeLease.NOW_MS
                     + ", n.address FROM baton_runs r LEFT JOIN baton_nodes n ON n.epoch = r.owner_epoch WHERE r.id = ?")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return new Place.Unknown();
                long owner = rs.getLong(1);
                boolean owned = !rs.wasNull();
                if (!owned || !"ALIVE".equals(rs.getString(3))) return new Place.Orphaned();
                if (owner == self.epoch()) {
                    if (!rs.getBoolean(4)) throw new WriteFence.Fenced("this node's lease lapsed: it rejoins before it acts on runs");
                    return new Place.Here();
                }
                return new Place.Elsewhere(owner, rs.getString(2), rs.getString(5));
            }
        }
    }

    /**
     * Marks DEAD every node whose lease lapsed by the database's clock (waiting, row by row, for
     * the writes those nodes still had under way) and returns them. Their runs are orphans from now on.
     */
    List<Lapsed> markLapsed() throws SQLException {
        List<Lapsed> lapsed = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE baton_nodes SET state = 'DEAD' WHERE state = 'ALIVE' AND lease_until_ms < "
                     + NodeLease.NOW_MS + " RETURNING epoch, node_id")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) lapsed.add(new Lapsed(rs.getLong(1), rs.getString(2)));
            }
        }
        return lapsed;
    }

    /** Unfinished runs that no live node owns, and the live nodes. */
    record Census(long orphans, int nodes) {
        /** This node's fair share of the orphans. */
        int share() {
            long n = Math.max(1, nodes);
            return (int) Math.min(Integer.MAX_VALUE, (orphans + n - 1) / n);
        }
    }

    Census census() throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT (SELECT COUNT(*) FROM baton_runs r WHERE " + UNFINISHED + " AND " + ORPHANED
                     + "), (SELECT COUNT(*) FROM baton_nodes WHERE state = 'ALIVE')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Census(rs.getLong(1), rs.getInt(2));
        }
    }

    /** Claims up to {@code limit} unfinished orphaned runs for this node, oldest first; returns their ids. */
    List<String> claimOrphans(int limit) throws SQLException {
        return claim("SELECT r.id FROM baton_runs r WHERE " + UNFINISHED + " AND " + ORPHANED
                + " ORDER BY r.created_at_ms LIMIT ? FOR UPDATE SKIP LOCKED", ps -> ps.setInt(2, limit));
    }

    /** Claims one orphaned run, finished or not (a command may reopen it); true if this node owns it now. */
    boolean claimOne(String runId) throws SQLException {
        return !claim("SELECT r.id FROM baton_runs r WHERE r.id = ? AND " + ORPHANED + " FOR UPDATE SKIP LOCKED",
                ps -> ps.setString(2, runId)).isEmpty();
    }

    private interface Bind {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<String> claim(String select, Bind bind) throws SQLException {
        List<String> claimed = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                self.check(c); // a fenced node claims nothing
                try (PreparedStatement ps = c.prepareStatement("UPDATE baton_runs SET owner_epoch = ? WHERE id IN (" + select + ") RETURNING id")) {
                    ps.setLong(1, self.epoch());
                    bind.bind(ps);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) claimed.add(rs.getString(1));
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        return claimed;
    }

    /** The live nodes, oldest first, with how many unfinished runs each owns. */
    List<Node> nodes() throws SQLException {
        List<Node> nodes = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT n.epoch, n.node_id, n.address, n.started_at_ms, n.lease_until_ms, "
                     + "(SELECT COUNT(*) FROM baton_runs r WHERE r.owner_epoch = n.epoch AND " + UNFINISHED + ") "
                     + "FROM baton_nodes n WHERE n.state = 'ALIVE' ORDER BY n.epoch");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                nodes.add(new Node(rs.getLong(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                        Instant.ofEpochMilli(rs.getLong(5)), rs.getLong(6)));
            }
        }
        return nodes;
    }

    /** Forgets nodes that stopped or died more than a day ago (their runs, if any are left, stay orphans). */
    int prune() throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM baton_nodes WHERE state <> 'ALIVE' AND lease_until_ms < "
                     + NodeLease.NOW_MS + " - 86400000")) {
            return ps.executeUpdate();
        }
    }
}
