package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.EventData;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A journal as a Baton before Flyway left it: the DDL of {@code Schema.java} and
 * {@code TicketSql.ddl} at f650b0f, copied verbatim, with a row in each table.
 */
final class PreFlywaySchema {

    static final String RUN = "old-run";

    private PreFlywaySchema() {
    }

    /**
     * @param laterColumns false for a journal from before the usage columns of {@code baton_runs}
     *                     and {@code baton_triggers.pending} were added by {@code ALTER ... IF NOT EXISTS}
     */
    static void create(Connection c, SqlDialect dialect, boolean laterColumns) throws SQLException {
        String text = dialect.largeText();
        List<String> ddl = new ArrayList<>(List.of(
                "CREATE TABLE IF NOT EXISTS baton_schema_version (version INT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS baton_events ("
                        + "run_id VARCHAR(255) NOT NULL, seq BIGINT NOT NULL, type VARCHAR(100) NOT NULL, "
                        + "task_id VARCHAR(255), at_ms BIGINT NOT NULL, data " + text + " NOT NULL, "
                        + "PRIMARY KEY (run_id, seq))",
                "CREATE TABLE IF NOT EXISTS baton_runs ("
                        + "id VARCHAR(255) NOT NULL PRIMARY KEY, goal VARCHAR, status VARCHAR(40) NOT NULL, "
                        + "created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, "
                        + "idempotency_key VARCHAR(1000) UNIQUE, request_hash VARCHAR(255))",
                "CREATE INDEX IF NOT EXISTS baton_runs_newest ON baton_runs (created_at_ms DESC, id DESC)",
                "CREATE INDEX IF NOT EXISTS baton_runs_status ON baton_runs (status, created_at_ms DESC, id DESC)",
                "CREATE TABLE IF NOT EXISTS baton_approvals ("
                        + "run_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, title VARCHAR, tool VARCHAR(255), "
                        + "args " + text + ", requested_at_ms BIGINT NOT NULL, expires_at_ms BIGINT, "
                        + "escalated BOOLEAN NOT NULL, status VARCHAR(40) NOT NULL, PRIMARY KEY (run_id, task_id))",
                "CREATE INDEX IF NOT EXISTS baton_approvals_inbox ON baton_approvals (status, requested_at_ms)",
                "CREATE TABLE IF NOT EXISTS baton_notifications ("
                        + "rule VARCHAR(255) NOT NULL, event_key VARCHAR(1000) NOT NULL, url VARCHAR(4000) NOT NULL, "
                        + "body " + text + " NOT NULL, status VARCHAR(20) NOT NULL, attempts INT NOT NULL, "
                        + "created_at_ms BIGINT NOT NULL, next_at_ms BIGINT NOT NULL, sent_at_ms BIGINT, last_error VARCHAR(2000), "
                        + "PRIMARY KEY (rule, event_key))",
                "CREATE INDEX IF NOT EXISTS baton_notifications_due ON baton_notifications (status, next_at_ms)",
                "CREATE TABLE IF NOT EXISTS baton_triggers ("
                        + "name VARCHAR(100) NOT NULL PRIMARY KEY, definition " + text + " NOT NULL, paused BOOLEAN NOT NULL, "
                        + "next_fire_at_ms BIGINT, last_fired_at_ms BIGINT, last_run_id VARCHAR(255), created_at_ms BIGINT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS baton_tickets ("
                        + "id VARCHAR(255) NOT NULL PRIMARY KEY, run_id VARCHAR(255) NOT NULL, external_id VARCHAR(1000), "
                        + "subject VARCHAR, body " + text + ", customer " + text + ", channel VARCHAR(255), "
                        + "status VARCHAR(40) NOT NULL, category VARCHAR(255), confidence DOUBLE PRECISION, method VARCHAR(40), "
                        + "rationale VARCHAR, queue VARCHAR(255), priority VARCHAR(10), sla_due_at_ms BIGINT, review_reason VARCHAR, "
                        + "confirmed_category VARCHAR(255), delivery VARCHAR(40), error VARCHAR, "
                        + "created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, routed_at_ms BIGINT)",
                "CREATE INDEX IF NOT EXISTS baton_tickets_run ON baton_tickets (run_id)",
                "CREATE INDEX IF NOT EXISTS baton_tickets_newest ON baton_tickets (created_at_ms DESC, id DESC)",
                "CREATE INDEX IF NOT EXISTS baton_tickets_status ON baton_tickets (status, created_at_ms DESC, id DESC)",
                "CREATE INDEX IF NOT EXISTS baton_tickets_queue ON baton_tickets (queue, created_at_ms DESC, id DESC)",
                "CREATE INDEX IF NOT EXISTS baton_tickets_confirmed ON baton_tickets (confirmed_category)",
                "INSERT INTO baton_schema_version (version) VALUES (1)"));
        if (laterColumns) {
            ddl.addAll(List.of(
                    "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS llm_calls BIGINT DEFAULT 0 NOT NULL",
                    "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT DEFAULT 0 NOT NULL",
                    "ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS completion_tokens BIGINT DEFAULT 0 NOT NULL",
                    "ALTER TABLE baton_triggers ADD COLUMN IF NOT EXISTS pending VARCHAR"));
        }
        try (Statement s = c.createStatement()) {
            for (String sql : ddl) s.execute(sql);
            s.execute("INSERT INTO baton_runs (id, goal, status, created_at_ms, updated_at_ms, idempotency_key, request_hash) "
                    + "VALUES ('" + RUN + "', 'from before', 'PLANNING', 1000, 2000, 'old-key', NULL)");
            s.execute("INSERT INTO baton_approvals VALUES ('" + RUN + "', 't1', 'Pay?', 'http', '{}', 1500, NULL, FALSE, 'PENDING')");
            s.execute("INSERT INTO baton_notifications VALUES ('ops', 'k1', 'http://127.0.0.1/x', '{}', 'SENT', 1, 1000, 1000, 1001, NULL)");
            s.execute("INSERT INTO baton_triggers (name, definition, paused, next_fire_at_ms, last_fired_at_ms, last_run_id, created_at_ms) "
                    + "VALUES ('nightly', '{}', FALSE, 5000, NULL, NULL, 900)");
            s.execute("INSERT INTO baton_tickets (id, run_id, status, created_at_ms, updated_at_ms) "
                    + "VALUES ('tk-1', '" + RUN + "', 'TRIAGING', 1000, 1000)");
        }
        TestRun run = new TestRun(RUN);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO baton_events (run_id, seq, type, task_id, at_ms, data) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (var e : run.next(TestRun.created("from before", "old-key"), new EventData.TaskReady("t1"))) {
                ps.setString(1, e.runId());
                ps.setLong(2, e.seq());
                ps.setString(3, e.type());
                ps.setString(4, e.taskId());
                ps.setLong(5, e.at().toEpochMilli());
                ps.setString(6, EventCodec.dataToJson(e.data()));
                ps.executeUpdate();
            }
        }
    }
}
