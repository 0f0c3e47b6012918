package dev.baton.runtime.journal;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The outbox in the journal's database ({@code baton_notifications}); one auto-committed statement per call. */
final class JdbcNotificationOutbox implements NotificationOutbox {
    private static final String COLUMNS = "rule, event_key, url, body, status, attempts, created_at_ms, next_at_ms, sent_at_ms, last_error";
    private final DataSource pool;

    JdbcNotificationOutbox(DataSource pool) {
        this.pool = pool;
    }

    @Override
    public boolean add(String rule, String eventKey, String url, String body, Instant now) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(true);
            // Look first, so that the usual repeat (recovery seeing an event again) costs no failed statement.
            if (find(c, rule, eventKey).isPresent()) return false;
            try (PreparedStatement s = c.prepareStatement("INSERT INTO baton_notifications (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL)")) {
                s.setString(1, rule);
                s.setString(2, eventKey);
                s.setString(3, url);
                s.setString(4, body);
                s.setString(5, PENDING);
                s.setLong(6, now.toEpochMilli());
                s.setLong(7, now.toEpochMilli());
                s.executeUpdate();
                return true;
            } catch (SQLException e) {
                // Two adders at once: the primary key keeps one, and the other is a repeat.
                if (e.getSQLState() != null && e.getSQLState().startsWith("23")) return false;
                throw e;
            }
        } catch (SQLException e) {
            throw new JournalException("cannot store a notification: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Message> due(Instant now, int limit) {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM baton_notifications"
                     + " WHERE status = ? AND next_at_ms <= ? ORDER BY next_at_ms, created_at_ms LIMIT " + Math.max(1, limit))) {
            s.setString(1, PENDING);
            s.setLong(2, now.toEpochMilli());
            List<Message> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) out.add(message(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new JournalException("cannot read due notifications: " + e.getMessage(), e);
        }
    }

    @Override
    public int dueNow(Instant now) {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE baton_notifications SET next_at_ms = ? WHERE status = ? AND next_at_ms > ?")) {
            c.setAutoCommit(true);
            s.setLong(1, now.toEpochMilli());
            s.setString(2, PENDING);
            s.setLong(3, now.toEpochMilli());
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new JournalException("cannot make the pending notifications due: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean claim(Message seen, Instant until) {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE baton_notifications SET next_at_ms = ? WHERE rule = ? AND event_key = ?"
                     + " AND status = ? AND next_at_ms = ? AND attempts = ?")) {
            c.setAutoCommit(true);
            s.setLong(1, until.toEpochMilli());
            s.setString(2, seen.rule());
            s.setString(3, seen.eventKey());
            s.setString(4, PENDING);
            s.setLong(5, seen.nextAt().toEpochMilli());
            s.setInt(6, seen.attempts());
            // Two senders at once: the second waits for the first's row lock, then finds next_at_ms moved.
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new JournalException("cannot claim a notification: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Message> find(String rule, String eventKey) {
        try (Connection c = pool.getConnection()) {
            return find(c, rule, eventKey);
        } catch (SQLException e) {
            throw new JournalException("cannot read a notification: " + e.getMessage(), e);
        }
    }

    private static Optional<Message> find(Connection c, String rule, String eventKey) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM baton_notifications WHERE rule = ? AND event_key = ?")) {
            s.setString(1, rule);
            s.setString(2, eventKey);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(message(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public void sent(String rule, String eventKey, int attempts, Instant at) {
        update("UPDATE baton_notifications SET status = ?, attempts = ?, sent_at_ms = ?, last_error = NULL WHERE rule = ? AND event_key = ?",
                SENT, attempts, at.toEpochMilli(), rule, eventKey);
    }

    @Override
    public void retryLater(String rule, String eventKey, int attempts, Instant nextAt, String error) {
        update("UPDATE baton_notifications SET attempts = ?, next_at_ms = ?, last_error = ? WHERE rule = ? AND event_key = ?",
                attempts, nextAt.toEpochMilli(), truncate(error), rule, eventKey);
    }

    @Override
    public void failed(String rule, String eventKey, int attempts, String error) {
        update("UPDATE baton_notifications SET status = ?, attempts = ?, last_error = ? WHERE rule = ? AND event_key = ?",
                FAILED, attempts, truncate(error), rule, eventKey);
    }

    @Override
    public Map<String, Long> counts() {
        Map<String, Long> counts = new HashMap<>();
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT status, COUNT(*) FROM baton_notifications GROUP BY status");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
            return counts;
        } catch (SQLException e) {
            throw new JournalException("cannot count notifications: " + e.getMessage(), e);
        }
    }

    private void update(String sql, Object... params) {
        try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            for (int i = 0; i < params.length; i++) s.setObject(i + 1, params[i]);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new JournalException("cannot update a notification: " + e.getMessage(), e);
        }
    }

    private static String truncate(String text) {
        return text == null || text.length() <= 2000 ? text : text.substring(0, 2000);
    }

    private static Message message(ResultSet rs) throws SQLException {
        long sent = rs.getLong(9);
        Instant sentAt = rs.wasNull() ? null : Instant.ofEpochMilli(sent);
        return new Message(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6),
                Instant.ofEpochMilli(rs.getLong(7)), Instant.ofEpochMilli(rs.getLong(8)), sentAt, rs.getString(10));
    }
}
