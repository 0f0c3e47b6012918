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
    /**
     * Nodes whose unfinished runs are to be taken over: they stopped (LEFT) or lost their lease
     * (DEAD). Once none of their runs is left unfinished they become GONE, so that a takeover round
     * reads only {@code baton_nodes} while no node died, and then only the dead node's runs (by the
     * {@code owner_epoch} index), never the whole runs table.
     */
    private static final String RELEASING = "SELECT epoch FROM baton_nodes WHERE state IN ('DEAD', 'LEFT')";

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

    /** The unfinished runs of the nodes that stopped or died, and the live nodes; marks GONE the stopped or dead nodes with none left. */
    Census census() throws SQLException {
        try (Connection c = db.getConnection()) {
            List<Long> releasing = new ArrayList<>();
            int alive;
            try (PreparedStatement ps = c.prepareStatement(RELEASING); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) releasing.add(rs.getLong(1));
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM baton_nodes WHERE state = 'ALIVE'"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                alive = rs.getInt(1);
            }
            if (releasing.isEmpty()) return new Census(0, alive);
            java.sql.Array epochs = c.createArrayOf("bigint", releasing.toArray());
            long orphans;
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM baton_runs r WHERE r.owner_epoch = ANY(?) AND " + UNFINISHED)) {
                ps.setArray(1, epochs);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    orphans = rs.getLong(1);
                }
            }
            if (orphans == 0) {
                // A stopped or dead node writes nothing more, so none of its runs can come back unfinished.
                try (PreparedStatement ps = c.prepareStatement("UPDATE baton_nodes SET state = 'GONE' WHERE epoch = ANY(?) "
                        + "AND state IN ('DEAD', 'LEFT')")) {
                    ps.setArray(1, epochs);
                    ps.executeUpdate();
                }
            }
            return new Census(orphans, alive);
        }
    }

    /** Claims up to {@code limit} unfinished runs of the nodes that stopped or died, oldest first; returns their ids. */
    List<String> claimOrphans(int limit) throws SQLException {
        return claim("SELECT r.id FROM baton_runs r WHERE r.owner_epoch IN (" + RELEASING + ") AND " + UNFINISHED
                + " ORDER BY r.created_at_ms LIMIT ? FOR UPDATE SKIP LOCKED", ps -> ps.setInt(1, limit));
    }

    /**
     * Claims up to {@code limit} unfinished runs that nobody owns: journaled before the cluster
     * existed (a journal from a single server, upgraded). Once per node start; finds none after that.
     */
    List<String> claimUnowned(int limit) throws SQLException {
        return claim("SELECT r.id FROM baton_runs r WHERE r.owner_epoch IS NULL AND " + UNFINISHED
                + " ORDER BY r.created_at_ms LIMIT ? FOR UPDATE SKIP LOCKED", ps -> ps.setInt(1, limit));
    }

    /** Claims one orphaned run, finished or not (a command may reopen it); true if this node owns it now. */
    boolean claimOne(String runId) throws SQLException {
        return !claim("SELECT r.id FROM baton_runs r WHERE r.id = ? AND " + ORPHANED + " FOR UPDATE SKIP LOCKED",
                ps -> ps.setString(1, runId)).isEmpty();
    }

    private interface Bind {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /**
     * Sets this node as the owner of the rows {@code select} picks and locks. The pick is a CTE,
     * run once: as {@code WHERE id IN (subquery)} PostgreSQL may run the subquery more than once,
     * and two claimers then took the same run (seen in {@link RunClaims}' test).
     */
    private List<String> claim(String select, Bind bind) throws SQLException {
        List<String> claimed = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                self.check(c); // a fenced node claims nothing
                try (PreparedStatement ps = c.prepareStatement("WITH picked AS (" + select + ") UPDATE baton_runs SET owner_epoch = ? "
                        + "FROM picked WHERE baton_runs.id = picked.id RETURNING baton_runs.id")) {
                    bind.bind(ps);
                    ps.setLong(2, self.epoch());
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
