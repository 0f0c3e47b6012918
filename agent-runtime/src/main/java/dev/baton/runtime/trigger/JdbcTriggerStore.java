package dev.baton.runtime.trigger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.List;
import java.util.Map;

/**
 * Triggers in the journal's database (H2 or PostgreSQL), table {@code baton_triggers}, created
 * with the journal's other tables. The definition is stored as JSON (its secret included: it is
 * needed to check signatures); the firing state in columns, its pending firing times as a JSON
 * array of ISO instants.
 */
public final class JdbcTriggerStore implements TriggerStore {
    private final DataSource db;

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
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new JournalException("cannot update the trigger '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(String name) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM baton_triggers WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
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

    /** The four state columns, from {@code next_fire_at_ms} to {@code pending}. */
    private static void setState(PreparedStatement ps, int from, FiringState state) throws SQLException {
        setInstant(ps, from, state.nextFireAt());
        setInstant(ps, from + 1, state.lastFiredAt());
        ps.setString(from + 2, state.lastRunId());
        ps.setString(from + 3, pendingJson(state.pending()));
    }

    /** The pending times as a JSON array of ISO instants; null (not {@code []}) for none, the common case. */
    static String pendingJson(List<Instant> pending) {
        if (pending.isEmpty()) return null;
        ArrayNode array = Json.array();
        for (Instant at : pending) array.add(at.toString());
        return array.toString();
    }

    static List<Instant> pending(String json) throws JsonProcessingException {
        if (json == null || json.isBlank()) return List.of();
        List<Instant> times = new ArrayList<>();
        for (JsonNode at : Json.parse(json)) times.add(Instant.parse(at.asText()));
        return times;
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
