package dev.baton.runtime.trigger;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.baton.json.Json;
import dev.baton.runtime.journal.JournalException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Triggers in the journal's database (H2 or PostgreSQL), table {@code baton_triggers}, created
 * with the journal's other tables. The definition is stored as JSON (its secret included: it is
 * needed to check signatures); the firing state in columns, its pending firing times as a JSON
 * array ({@link PendingClaims}: each time with the scheduler that holds it).
 *
 * <p>Several schedulers (nodes on one PostgreSQL database) share the table: a claim, a progress save,
 * a pause and a takeover each read the rows they change with {@code SELECT ... FOR UPDATE}, in name
 * order, and write them in the same transaction, so that two never interleave on one trigger.
 * {@code baton_trigger_changes} holds one counter that every definition change increases in its
 * own transaction, so that a scheduler finds out with one read whether it must reload the definitions.
 */
public final class JdbcTriggerStore implements TriggerStore {
    /** Rows locked per statement: an IN list this long is fine for both databases. */
    private static final int CHUNK = 500;
    private final DataSource db;
    private volatile Boolean shared;

    public JdbcTriggerStore(DataSource db) {
        this.db = db;
    }

    @Override
    public List<StoredTrigger> all() {
        List<StoredTrigger> list = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT definition, paused, next_fire_at_ms, last_fired_at_ms, last_run_id, "
                     + "pending FROM baton_triggers ORDER BY name");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                TriggerSpec spec = TriggerSpec.fromStored(Json.parse(rs.getString(1)));
                FiringState state = new FiringState(instant(rs, 3), instant(rs, 4), rs.getString(5), pending(rs.getString(6)));
                list.add(new StoredTrigger(spec, rs.getBoolean(2), state));
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new JournalException("cannot read the triggers: " + e.getMessage(), e);
        }
        return list;
    }

    @Override
    public boolean insert(StoredTrigger t) {
        try (Connection c = db.getConnection()) {
            try (PreparedStatement check = c.prepareStatement("SELECT 1 FROM baton_triggers WHERE name = ?")) {
                check.setString(1, t.spec().name());
                try (ResultSet rs = check.executeQuery()) {
                    if (rs.next()) return false;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO baton_triggers (name, definition, paused, next_fire_at_ms, "
                    + "last_fired_at_ms, last_run_id, pending, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, t.spec().name());
                ps.setString(2, t.spec().toJson(true).toString());
                ps.setBoolean(3, t.paused());
                setState(ps, 4, t.state());
                ps.setLong(8, t.spec().createdAt().toEpochMilli());
                ps.executeUpdate();
                changed(c);
                return true;
            } catch (SQLException e) {
                // Two creators raced past the check: the primary key let one through.
                if (e.getSQLState() != null && e.getSQLState().startsWith("23")) return false;
                throw e;
            }
        } catch (SQLException e) {
            throw new JournalException("cannot store the trigger '" + t.spec().name() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public boolean setPaused(String name, boolean paused, FiringState state) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE baton_triggers SET paused = ?, next_fire_at_ms = ?, "
                     + "last_fired_at_ms = ?, last_run_id = ?, pending = ? WHERE name = ?")) {
            ps.setBoolean(1, paused);
            setState(ps, 2, state);
            ps.setString(6, name);
            boolean found = ps.executeUpdate() == 1;
            if (found) changed(c);
            return found;
        } catch (SQLException e) {
            throw new JournalException("cannot update the trigger '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(String name) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM baton_triggers WHERE name = ?")) {
            ps.setString(1, name);
            boolean found = ps.executeUpdate() == 1;
            if (found) changed(c);
            return found;
        } catch (SQLException e) {
            throw new JournalException("cannot delete the trigger '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void saveStates(Map<String, FiringState> states) {
        if (states.isEmpty()) return;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE baton_triggers SET next_fire_at_ms = ?, last_fired_at_ms = ?, "
                    + "last_run_id = ?, pending = ? WHERE name = ?")) {
                // In name order, so that two writers never lock the same rows in opposite orders.
                for (Map.Entry<String, FiringState> e : new java.util.TreeMap<>(states).entrySet()) {
                    setState(ps, 1, e.getValue());
                    ps.setString(5, e.getKey());
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new JournalException("cannot save the triggers' state: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ several schedulers

    @Override
    public boolean shared() {
        Boolean known = shared;
        if (known == null) {
            try (Connection c = db.getConnection()) {
                // H2 is single-process by nature (its file is locked); PostgreSQL is shared by the nodes.
                known = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            } catch (SQLException e) {
                throw new JournalException("cannot read the database's name: " + e.getMessage(), e);
            }
            shared = known;
        }
        return known;
    }

    @Override
    public long changes() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT seq FROM baton_trigger_changes WHERE id = 0");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new JournalException("cannot read the triggers' change counter: " + e.getMessage(), e);
        }
    }

    /**
     * Increases the change counter; auto-committed on its own (a reader that sees the new count reloads
     * after the change committed, and one that sees the old count reloads at its next look).
     */
    private static void changed(Connection c) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement up = c.prepareStatement("UPDATE baton_trigger_changes SET seq = seq + 1 WHERE id = 0")) {
                if (up.executeUpdate() == 1) return;
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO baton_trigger_changes (id, seq) VALUES (0, 1)")) {
                ins.executeUpdate();
                return;
            } catch (SQLException e) {
                // Another node inserted the row first: increase it.
                if (attempt > 0 || e.getSQLState() == null || !e.getSQLState().startsWith("23")) throw e;
            }
        }
    }

    /** A row as locked for a read-modify-write. */
    private record Locked(boolean paused, Instant next, Instant lastFiredAt, String lastRunId, PendingClaims pending) {
    }

    @Override
    public List<ClaimResult> claim(List<ClaimRequest> requests, String node, long untilMs) {
        if (requests.isEmpty()) return List.of();
        if (!shared()) return claimAlone(requests, node, untilMs);
        return claimLocked(requests, node, untilMs);
    }

    /**
     * One process (H2): the usual claim, of a trigger with nothing pending, is one compare-and-set
     * {@code UPDATE} per trigger, batched, as cheap as a plain save; the others take the locked path.
     * (On a shared store the locked path always runs: it also reads the last run for overlap.)
     */
    private List<ClaimResult> claimAlone(List<ClaimRequest> requests, String node, long untilMs) {
        Map<String, Integer> perName = new HashMap<>();
        for (ClaimRequest r : requests) perName.merge(r.name(), 1, Integer::sum);
        List<Integer> fast = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            ClaimRequest r = requests.get(i);
            if (perName.get(r.name()) == 1 && r.seenNext() != null) fast.add(i);
        }
        ClaimResult[] results = new ClaimResult[requests.size()];
        if (!fast.isEmpty()) {
            int[] counts = inTransaction("claim trigger firings", c -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE baton_triggers SET next_fire_at_ms = ?, pending = ? "
                        + "WHERE name = ? AND next_fire_at_ms = ? AND paused = FALSE AND pending IS NULL")) {
                    for (int i : fast) {
                        ClaimRequest r = requests.get(i);
                        PendingClaims pending = new PendingClaims();
                        pending.add(r.times(), node, untilMs);
                        setInstant(ps, 1, r.newNext());
                        ps.setString(2, pending.json());
                        ps.setString(3, r.name());
                        ps.setLong(4, r.seenNext().toEpochMilli());
                        ps.addBatch();
                    }
                    return ps.executeBatch();
                }
            });
            for (int k = 0; k < fast.size(); k++) {
                if (counts[k] > 0 || counts[k] == java.sql.Statement.SUCCESS_NO_INFO) {
                    results[fast.get(k)] = new ClaimResult(true, true, false, requests.get(fast.get(k)).newNext(), null);
                }
            }
        }
        List<ClaimRequest> rest = new ArrayList<>();
        List<Integer> restAt = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (results[i] == null) {
                rest.add(requests.get(i));
                restAt.add(i);
            }
        }
        if (!rest.isEmpty()) {
            List<ClaimResult> locked = claimLocked(rest, node, untilMs);
            for (int k = 0; k < rest.size(); k++) results[restAt.get(k)] = locked.get(k);
        }
        return List.of(results);
    }

    private List<ClaimResult> claimLocked(List<ClaimRequest> requests, String node, long untilMs) {
        return inTransaction("claim trigger firings", c -> {
            Map<String, Locked> rows = lock(c, requests.stream().map(ClaimRequest::name).toList());
            Map<String, Locked> changed = new LinkedHashMap<>();
            List<ClaimResult> results = new ArrayList<>(requests.size());
            for (ClaimRequest r : requests) {
                Locked row = rows.get(r.name());
                if (row == null) {
                    results.add(new ClaimResult(false, false, false, null, null));
                } else if (row.paused() || !TriggerStore.sameMillis(row.next(), r.seenNext())) {
                    results.add(new ClaimResult(false, true, row.paused(), row.next(), row.lastRunId()));
                } else {
                    row.pending().add(r.times(), node, untilMs);
                    row = new Locked(false, r.newNext(), row.lastFiredAt(), row.lastRunId(), row.pending());
                    rows.put(r.name(), row);
                    changed.put(r.name(), row);
                    results.add(new ClaimResult(true, true, false, row.next(), row.lastRunId()));
                }
            }
            write(c, changed);
            return results;
        });
    }

    @Override
    public void progress(Map<String, Progress> progress) {
        if (progress.isEmpty()) return;
        inTransaction("save the triggers' state", c -> {
            Map<String, Locked> rows = lock(c, progress.keySet());
            Map<String, Locked> changed = new LinkedHashMap<>();
            rows.forEach((name, row) -> {
                Progress p = progress.get(name);
                row.pending().removeAll(p.done());
                boolean newer = p.lastFiredAt() != null && (row.lastFiredAt() == null || !p.lastFiredAt().isBefore(row.lastFiredAt()));
                changed.put(name, newer ? new Locked(row.paused(), row.next(), p.lastFiredAt(), p.lastRunId(), row.pending()) : row);
            });
            write(c, changed);
            return null;
        });
    }

    @Override
    public boolean pause(String name, boolean paused, Instant next, Collection<Instant> dropped) {
        return inTransaction("update the trigger '" + name + "'", c -> {
            Locked row = lock(c, List.of(name)).get(name);
            if (row == null) return false;
            row.pending().removeAll(dropped);
            try (PreparedStatement ps = c.prepareStatement("UPDATE baton_triggers SET paused = ?, next_fire_at_ms = ?, pending = ? WHERE name = ?")) {
                ps.setBoolean(1, paused);
                setInstant(ps, 2, next);
                ps.setString(3, row.pending().json());
                ps.setString(4, name);
                ps.executeUpdate();
            }
            changed(c);
            return true;
        });
    }

    @Override
    public Map<String, List<Instant>> renewAndTakeOver(String node, Map<String, Set<Instant>> held, long untilMs, long nowMs) {
        // A look without locks first: usually no trigger has anything pending, or nothing to renew or take.
        List<String> candidates = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT name, pending FROM baton_triggers WHERE pending IS NOT NULL");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (PendingClaims.parse(rs.getString(2)).wants(node, nowMs)) candidates.add(rs.getString(1));
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new JournalException("cannot read the triggers' pending firings: " + e.getMessage(), e);
        }
        if (candidates.isEmpty()) return Map.of();
        return inTransaction("renew or take over trigger firings", c -> {
            Map<String, Locked> rows = lock(c, candidates);
            Map<String, Locked> changed = new LinkedHashMap<>();
            Map<String, List<Instant>> taken = new HashMap<>();
            rows.forEach((name, row) -> {
                if (!row.pending().wants(node, nowMs)) return;
                List<Instant> times = row.pending().renewOrTake(node, held.getOrDefault(name, Set.of()), untilMs, nowMs);
                if (!times.isEmpty()) taken.put(name, times);
                changed.put(name, row);
            });
            write(c, changed);
            return taken;
        });
    }

    @Override
    public void release(String node) {
        inTransaction("let go of trigger firings", c -> {
            List<String> names = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM baton_triggers WHERE pending IS NOT NULL");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) names.add(rs.getString(1));
            }
            Map<String, Locked> changed = new LinkedHashMap<>();
            lock(c, names).forEach((name, row) -> {
                if (row.pending().release(node)) changed.put(name, row);
            });
            write(c, changed);
            return null;
        });
    }

    /** Reads and locks the named rows, in name order (two writers never lock in opposite orders); missing names are absent. */
    private static Map<String, Locked> lock(Connection c, Collection<String> names) throws SQLException {
        List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(names));
        Map<String, Locked> rows = new TreeMap<>();
        for (int from = 0; from < sorted.size(); from += CHUNK) {
            List<String> chunk = sorted.subList(from, Math.min(sorted.size(), from + CHUNK));
            try (PreparedStatement ps = c.prepareStatement("SELECT name, paused, next_fire_at_ms, last_fired_at_ms, last_run_id, pending "
                    + "FROM baton_triggers WHERE name IN (" + "?, ".repeat(chunk.size() - 1) + "?) ORDER BY name FOR UPDATE")) {
                for (int i = 0; i < chunk.size(); i++) ps.setString(i + 1, chunk.get(i));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.put(rs.getString(1), new Locked(rs.getBoolean(2), instant(rs, 3), instant(rs, 4), rs.getString(5),
                                PendingClaims.parse(rs.getString(6))));
                    }
                }
            } catch (JsonProcessingException e) {
                throw new SQLException("a trigger's pending firings are not readable: " + e.getOriginalMessage(), e);
            }
        }
        return rows;
    }

    /** Writes the firing state of locked rows back. */
    private static void write(Connection c, Map<String, Locked> rows) throws SQLException {
        if (rows.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement("UPDATE baton_triggers SET next_fire_at_ms = ?, last_fired_at_ms = ?, "
                + "last_run_id = ?, pending = ? WHERE name = ?")) {
            for (Map.Entry<String, Locked> e : rows.entrySet()) {
                setInstant(ps, 1, e.getValue().next());
                setInstant(ps, 2, e.getValue().lastFiredAt());
                ps.setString(3, e.getValue().lastRunId());
                ps.setString(4, e.getValue().pending().json());
                ps.setString(5, e.getKey());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(String what, Work<T> work) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new JournalException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    /** The four state columns, from {@code next_fire_at_ms} to {@code pending}. */
    private static void setState(PreparedStatement ps, int from, FiringState state) throws SQLException {
        setInstant(ps, from, state.nextFireAt());
        setInstant(ps, from + 1, state.lastFiredAt());
        ps.setString(from + 2, state.lastRunId());
        ps.setString(from + 3, pendingJson(state.pending()));
    }

    /** The pending times as a JSON array of ISO instants; null (not {@code []}) for none, the common case. */
    static String pendingJson(List<Instant> pending) {
        return PendingClaims.of(pending).json();
    }

    static List<Instant> pending(String json) throws JsonProcessingException {
        return PendingClaims.parse(json).times();
    }

    private static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) ps.setNull(index, Types.BIGINT);
        else ps.setLong(index, value.toEpochMilli());
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
    }
}
