package dev.baton.runtime.cluster;

import dev.baton.runtime.journal.JdbcJournal;
import dev.baton.runtime.journal.WriteFence;
import dev.baton.runtime.orchestrator.RunPlacement.Place;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leases, fencing and claims on a real PostgreSQL: what the cluster's safety rests on. Each
 * test has a schema of its own; "nodes" here are {@link NodeLease}s on one journal's database.
 */
class LeaseAndClaimsTest {
    private static final Duration SHORT = Duration.ofSeconds(1);
    private PostgresTestDatabase db;
    private JdbcJournal journal;

    @BeforeEach
    void open() {
        db = PostgresTestDatabase.create();
        journal = JdbcJournal.open(db.url());
    }

    @AfterEach
    void close() {
        journal.close();
        db.close();
    }

    @Test
    void aNodePausedPastItsLeaseIsFencedAndCannotRenewIt() throws Exception {
        NodeLease lease = new NodeLease(journal.dataSource(), "a", SHORT);
        long epoch = lease.join("127.0.0.1:5701");
        inTransaction(lease::check); // holds: a write goes through
        assertTrue(lease.renew());

        long[] fencedEpoch = {-1};
        lease.onFenced(e -> fencedEpoch[0] = e);
        Await.until("the lease lapsed by the database's clock", Duration.ofSeconds(10), () -> lapsed(epoch));
        WriteFence.Fenced refused = assertThrows(WriteFence.Fenced.class, () -> inTransaction(lease::check));
        assertTrue(refused.getMessage().contains("lost its cluster lease"), refused.getMessage());
        assertEquals(epoch, fencedEpoch[0], "the node hears that it was fenced");
        assertFalse(lease.renew(), "a lapsed lease is never renewed, even if no other node noticed");

        long next = lease.join("127.0.0.1:5701");
        assertTrue(next > epoch, "a rejoin takes a new, larger epoch: " + epoch + " then " + next);
        inTransaction(lease::check);
    }

    @Test
    void aTakeoverWaitsUntilTheOldOwnersLastWriteHasCommitted() throws Exception {
        NodeLease old = new NodeLease(journal.dataSource(), "old", SHORT);
        long oldEpoch = old.join("a:1");
        NodeLease survivor = new NodeLease(journal.dataSource(), "survivor", Duration.ofMinutes(1));
        survivor.join("b:1");
        RunClaims claims = new RunClaims(journal.dataSource(), survivor);

        try (Connection writer = journal.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            old.check(writer); // the old owner's write transaction is open, its node row locked FOR SHARE
            Await.until("the old node's lease lapsed", Duration.ofSeconds(10), () -> lapsed(oldEpoch));
            CompletableFuture<List<RunClaims.Lapsed>> takeover = CompletableFuture.supplyAsync(() -> {
                try {
                    return claims.markLapsed();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("the takeover waits for the old owner's row lock", Duration.ofSeconds(10), this::someoneWaitsForALock);
            assertFalse(takeover.isDone(), "no takeover while the old owner's write is under way");
            writer.commit();
            List<RunClaims.Lapsed> lapsed = takeover.get();
            assertEquals(List.of(new RunClaims.Lapsed(oldEpoch, "old")), lapsed);
        }
        assertThrows(WriteFence.Fenced.class, () -> inTransaction(old::check), "once DEAD, the old owner writes nothing");
    }

    @Test
    void nodesClaimDisjointSharesOfTheRunsOfANodeThatLeft() throws Exception {
        NodeLease leaving = new NodeLease(journal.dataSource(), "leaving", Duration.ofMinutes(1));
        long leavingEpoch = leaving.join("a:1");
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 60; i++) runs.add(insertRun("r" + i, leavingEpoch, i % 10 == 9 ? "SUCCEEDED" : "RUNNING"));
        NodeLease b = new NodeLease(journal.dataSource(), "b", Duration.ofMinutes(1));
        NodeLease c = new NodeLease(journal.dataSource(), "c", Duration.ofMinutes(1));
        b.join("b:1");
        c.join("c:1");
        RunClaims byB = new RunClaims(journal.dataSource(), b);
        RunClaims byC = new RunClaims(journal.dataSource(), c);
        assertEquals(new RunClaims.Census(0, 3), byB.census(), "nothing is orphaned while its owner lives");
        assertEquals(List.of(), byB.claimOrphans(100));

        leaving.leave();
        RunClaims.Census census = byB.census();
        assertEquals(54, census.orphans(), "the unfinished runs of the node that left, not its finished ones");
        assertEquals(2, census.nodes());
        assertEquals(27, census.share());
        CompletableFuture<List<String>> claimedByB = CompletableFuture.supplyAsync(() -> claim(byB, 27));
        CompletableFuture<List<String>> claimedByC = CompletableFuture.supplyAsync(() -> claim(byC, 27));
        Set<String> union = new HashSet<>(claimedByB.get());
        Set<String> fromC = new HashSet<>(claimedByC.get());
        assertTrue(union.stream().noneMatch(fromC::contains), "no run is claimed twice");
        union.addAll(fromC);
        union.addAll(claim(byB, 100)); // what SKIP LOCKED left to the next round
        assertEquals(54, union.size());
        assertEquals(0, byC.census().orphans());
        assertEquals("GONE", state(leaving.epoch()), "a node none of whose runs is left to take over is not looked at again");
        assertInstanceOf(Place.Here.class, byB.locate(claimedByB.get().get(0)));
        assertInstanceOf(Place.Elsewhere.class, byB.locate(claimedByC.get().get(0)));
        assertInstanceOf(Place.Orphaned.class, byB.locate(runs.get(9)), "a finished run of the node that left: no owner");
        assertTrue(byB.claimOne(runs.get(9)), "a command may claim a finished orphan (retrying a task reopens it)");
        assertFalse(byC.claimOne(runs.get(9)), "but only once");
        assertInstanceOf(Place.Unknown.class, byB.locate("no-such-run"));
    }

    @Test
    void theUnfinishedRunsOfAJournalFromBeforeTheClusterAreTakenOnce() throws Exception {
        insertRun("legacy-running", 0, "RUNNING");
        insertRun("legacy-done", 0, "SUCCEEDED");
        try (Connection c = journal.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE baton_runs SET owner_epoch = NULL"); // as an upgraded single-server journal has them
        }
        NodeLease a = new NodeLease(journal.dataSource(), "a", Duration.ofMinutes(1));
        a.join("a:1");
        RunClaims claims = new RunClaims(journal.dataSource(), a);
        assertEquals(List.of("legacy-running"), claims.claimUnowned(100));
        assertEquals(List.of(), claims.claimUnowned(100));
        assertInstanceOf(Place.Here.class, claims.locate("legacy-running"));
        assertInstanceOf(Place.Orphaned.class, claims.locate("legacy-done"), "a finished one stays nobody's until a command needs it");
    }

    @Test
    void aFencedNodeClaimsNothing() throws Exception {
        NodeLease gone = new NodeLease(journal.dataSource(), "gone", Duration.ofMinutes(1));
        gone.join("a:1");
        insertRun("orphan", gone.epoch(), "RUNNING");
        gone.leave();
        NodeLease late = new NodeLease(journal.dataSource(), "late", SHORT);
        long lateEpoch = late.join("b:1");
        Await.until("its lease lapsed", Duration.ofSeconds(10), () -> lapsed(lateEpoch));
        RunClaims claims = new RunClaims(journal.dataSource(), late);
        assertThrows(WriteFence.Fenced.class, () -> claims.claimOrphans(10));
        assertThrows(WriteFence.Fenced.class, () -> claims.claimOne("orphan"));
        assertInstanceOf(Place.Orphaned.class, claims.locate("orphan"), "still nobody's");
    }

    // ------------------------------------------------------------------ helpers

    private interface InTransaction {
        void run(Connection c) throws SQLException;
    }

    private void inTransaction(InTransaction body) throws SQLException {
        try (Connection c = journal.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                body.run(c);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
    }

    private boolean lapsed(long epoch) {
        try (Connection c = journal.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT lease_until_ms < " + NodeLease.NOW_MS + " FROM baton_nodes WHERE epoch = ?")) {
            ps.setLong(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String state(long epoch) throws SQLException {
        try (Connection c = journal.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT state FROM baton_nodes WHERE epoch = ?")) {
            ps.setLong(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private boolean someoneWaitsForALock() {
        try (Connection c = journal.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")) {
            rs.next();
            return rs.getInt(1) > 0;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String insertRun(String id, long owner, String status) throws SQLException {
        try (Connection c = journal.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO baton_runs (id, goal, status, created_at_ms, updated_at_ms, owner_epoch)"
                     + " VALUES (?, 'g', ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, status);
            ps.setLong(3, System.currentTimeMillis());
            ps.setLong(4, System.currentTimeMillis());
            ps.setLong(5, owner);
            ps.executeUpdate();
        }
        return id;
    }

    private static List<String> claim(RunClaims claims, int limit) {
        try {
            return claims.claimOrphans(limit);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
