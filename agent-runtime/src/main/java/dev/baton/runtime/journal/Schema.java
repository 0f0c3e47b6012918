package dev.baton.runtime.journal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The journal's tables, created when missing. {@code baton_schema_version} records the
 * version so that a later Baton can migrate, and an older one refuses a newer schema.
 */
final class Schema {

    /** The version this code writes. Bump it with a migration step in {@link #migrate}. */
    static final int VERSION = 1;

    private Schema() {
    }

    static void createOrCheck(Connection c, SqlDialect dialect) throws SQLException {
        String text = dialect.largeText();
        List<String> ddl = List.of(
                "CREATE TABLE IF NOT EXISTS baton_schema_version (version INT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS baton_events ("
                        + "run_id VARCHAR(255) NOT NULL, seq BIGINT NOT NULL, type VARCHAR(100) NOT NULL, "
                        + "task_id VARCHAR(255), at_ms BIGINT NOT NULL, data " + text + " NOT NULL, "
                        + "PRIMARY KEY (run_id, seq))",
                "CREATE TABLE IF NOT EXISTS baton_runs ("
                        + "id VARCHAR(255) NOT NULL PRIMARY KEY, goal VARCHAR, status VARCHAR(40) NOT NULL, "
                        + "created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, "
                        + "idempotency_key VARCHAR(1000) UNIQUE, request_hash VARCHAR(255))",
                // The runs list: newest first, all or of one status, paged by (created_at_ms, id).
                "CREATE INDEX IF NOT EXISTS baton_runs_newest ON baton_runs (created_at_ms DESC, id DESC)",
                "CREATE INDEX IF NOT EXISTS baton_runs_status ON baton_runs (status, created_at_ms DESC, id DESC)",
                "CREATE TABLE IF NOT EXISTS baton_approvals ("
                        + "run_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, title VARCHAR, tool VARCHAR(255), "
                        + "args " + text + ", requested_at_ms BIGINT NOT NULL, expires_at_ms BIGINT, "
                        + "escalated BOOLEAN NOT NULL, status VARCHAR(40) NOT NULL, PRIMARY KEY (run_id, task_id))",
                "CREATE INDEX IF NOT EXISTS baton_approvals_inbox ON baton_approvals (status, requested_at_ms)",
                // The notification outbox: one row per rule and event, so a notification is stored once
                // however often its event is seen (live, then again by the catch-up after a restart).
                "CREATE TABLE IF NOT EXISTS baton_notifications ("
                        + "rule VARCHAR(255) NOT NULL, event_key VARCHAR(1000) NOT NULL, url VARCHAR(4000) NOT NULL, "
                        + "body " + text + " NOT NULL, status VARCHAR(20) NOT NULL, attempts INT NOT NULL, "
                        + "created_at_ms BIGINT NOT NULL, next_at_ms BIGINT NOT NULL, sent_at_ms BIGINT, last_error VARCHAR(2000), "
                        + "PRIMARY KEY (rule, event_key))",
                "CREATE INDEX IF NOT EXISTS baton_notifications_due ON baton_notifications (status, next_at_ms)",

                // Triggers (dev.baton.runtime.trigger.JdbcTriggerStore): the definition as JSON, the firing state in columns.
                "CREATE TABLE IF NOT EXISTS baton_triggers ("
                        + "name VARCHAR(100) NOT NULL PRIMARY KEY, definition " + text + " NOT NULL, paused BOOLEAN NOT NULL, "
                        + "next_fire_at_ms BIGINT, last_fired_at_ms BIGINT, last_run_id VARCHAR(255), created_at_ms BIGINT NOT NULL)",

                // Model usage for the runs list (added after version 1; a journal without them gets them,
                // with 0 for runs projected before: their usage stays in their events).
                "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS llm_calls BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS completion_tokens BIGINT DEFAULT 0 NOT NULL",
                // Claimed firings not finished yet, a JSON array of ISO instants or null for none (added after
                // version 1; a trigger table without it gets it, and its triggers start with nothing pending).
                "ALTER TABLE baton_triggers ADD COLUMN IF NOT EXISTS pending VARCHAR",
                // The cluster (dev.baton.runtime.cluster): nodes with their leases, and each run's owner.
                "CREATE SEQUENCE IF NOT EXISTS baton_node_epochs START WITH 1",
                "CREATE TABLE IF NOT EXISTS baton_nodes (epoch BIGINT NOT NULL PRIMARY KEY, node_id VARCHAR(255) NOT NULL, "
                        + "address VARCHAR(255), started_at_ms BIGINT NOT NULL, lease_until_ms BIGINT NOT NULL, state VARCHAR(20) NOT NULL)",
                "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS owner_epoch BIGINT",
                "CREATE INDEX IF NOT EXISTS baton_runs_owner ON baton_runs (owner_epoch)");
        try (Statement s = c.createStatement()) {
            for (String sql : ddl) s.execute(sql);
            for (String sql : TicketSql.ddl(dialect)) s.execute(sql);
            int version = 0;
            try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM baton_schema_version")) {
                if (rs.next()) version = rs.getInt(1);
            }
            if (version == 0) {
                s.executeUpdate("INSERT INTO baton_schema_version (version) VALUES (" + VERSION + ")");
            } else if (version > VERSION) {
                throw new JournalException("the journal's schema is version " + version + " but this Baton knows only up to "
                        + VERSION + ": it was written by a newer Baton; upgrade Baton or use another database");
            } else if (version < VERSION) {
                migrate(c, version);
            }
        }
    }

    /** Brings an older schema up to {@link #VERSION}. There is no older schema yet. */
    private static void migrate(Connection c, int from) throws SQLException {
        throw new JournalException("no migration from journal schema version " + from + " to " + VERSION);
    }
}
