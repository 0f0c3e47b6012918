package dev.baton.runtime.journal;

import dev.baton.json.Json;
import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.RowChanges.ApprovalPatch;
import dev.baton.runtime.journal.RowChanges.RunUpdate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;

/**
 * Writes one batch of events and its {@link RowChanges} on a connection, as JDBC batches:
 * one round trip per statement kind however many events the batch holds. The caller owns
 * the transaction.
 */
final class SqlBatch {

    private static final List<String> APPROVAL_COLUMNS = List.of("run_id", "task_id", "title", "tool", "args",
            "requested_at_ms", "expires_at_ms", "escalated", "status");

    private final String upsertApproval;

    SqlBatch(SqlDialect dialect) {
        this.upsertApproval = dialect.upsert("baton_approvals", List.of("run_id", "task_id"), APPROVAL_COLUMNS);
    }

    /** Serializes each event's data to JSON, ahead of the transaction so that it stays short. */
    static String[] dataJson(List<RunEvent> events) {
        String[] json = new String[events.size()];
        for (int i = 0; i < json.length; i++) json[i] = EventCodec.dataToJson(events.get(i).data());
        return json;
    }

    /** @param owner the epoch of the node that owns the runs created here, or null on a single node */
    void write(Connection c, List<RunEvent> events, String[] dataJson, RowChanges changes, Long owner) throws SQLException {
        insertEvents(c, events, dataJson);
        insertRuns(c, changes.newRuns(), owner);
        updateRuns(c, changes.runUpdates());
        cancelPendingApprovals(c, changes.runsCancellingApprovals());
        upsertApprovals(c, changes.approvalUpserts());
        patchApprovals(c, changes.approvalPatches());
    }

    private static void insertEvents(Connection c, List<RunEvent> events, String[] dataJson) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO baton_events (run_id, seq, type, task_id, at_ms, data) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < dataJson.length; i++) {
                RunEvent e = events.get(i);
                ps.setString(1, e.runId());
                ps.setLong(2, e.seq());
                ps.setString(3, e.type());
                ps.setString(4, e.taskId());
                ps.setLong(5, e.at().toEpochMilli());
                ps.setString(6, dataJson[i]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertRuns(Connection c, List<RunRecord> runs, Long owner) throws SQLException {
        if (runs.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO baton_runs "
                + "(id, goal, status, created_at_ms, updated_at_ms, idempotency_key, request_hash, llm_calls, prompt_tokens, "
                + "completion_tokens, owner_epoch, trigger_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (RunRecord r : runs) {
                ps.setString(1, r.id());
                ps.setString(2, r.goal());
                ps.setString(3, r.status());
                ps.setLong(4, r.createdAt().toEpochMilli());
                ps.setLong(5, r.updatedAt().toEpochMilli());
                ps.setString(6, r.idempotencyKey());
                ps.setString(7, r.requestHash());
                ps.setLong(8, r.llmCalls());
                ps.setLong(9, r.promptTokens());
                ps.setLong(10, r.completionTokens());
                if (owner == null) ps.setNull(11, Types.BIGINT);
                else ps.setLong(11, owner);
                ps.setString(12, r.trigger());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void updateRuns(Connection c, List<RunUpdate> updates) throws SQLException {
        if (updates.isEmpty()) return;
        // Usage is added in SQL (not read, added and written back) so that it stays right whatever
        // the row holds; runs without a model call this batch (most) take the shorter statements.
        try (PreparedStatement withStatus = c.prepareStatement("UPDATE baton_runs SET status = ?, updated_at_ms = ? WHERE id = ?");
             PreparedStatement touch = c.prepareStatement("UPDATE baton_runs SET updated_at_ms = ? WHERE id = ?");
             PreparedStatement usage = c.prepareStatement("UPDATE baton_runs SET llm_calls = llm_calls + ?, "
                     + "prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ? WHERE id = ?")) {
            boolean statuses = false, touches = false, usages = false;
            for (RunUpdate u : updates) {
                if (u.status() != null) {
                    withStatus.setString(1, u.status());
                    withStatus.setLong(2, u.updatedAt().toEpochMilli());
                    withStatus.setString(3, u.runId());
                    withStatus.addBatch();
                    statuses = true;
                } else {
                    touch.setLong(1, u.updatedAt().toEpochMilli());
                    touch.setString(2, u.runId());
                    touch.addBatch();
                    touches = true;
                }
                if (u.addsUsage()) {
                    usage.setLong(1, u.llmCalls());
                    usage.setLong(2, u.promptTokens());
                    usage.setLong(3, u.completionTokens());
                    usage.setString(4, u.runId());
                    usage.addBatch();
                    usages = true;
                }
            }
            if (statuses) withStatus.executeBatch();
            if (touches) touch.executeBatch();
            if (usages) usage.executeBatch();
        }
    }

    private static void cancelPendingApprovals(Connection c, List<String> runIds) throws SQLException {
        if (runIds.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE baton_approvals SET status = 'CANCELLED' WHERE run_id = ? AND status = 'PENDING'")) {
            for (String runId : runIds) {
                ps.setString(1, runId);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void upsertApprovals(Connection c, List<ApprovalRecord> approvals) throws SQLException {
        if (approvals.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(upsertApproval)) {
            for (ApprovalRecord a : approvals) {
                ps.setString(1, a.runId());
                ps.setString(2, a.taskId());
                ps.setString(3, a.title());
                ps.setString(4, a.tool());
                ps.setString(5, a.args() == null ? null : Json.write(a.args()));
                ps.setLong(6, a.requestedAt().toEpochMilli());
                setMillis(ps, 7, a.expiresAt());
                ps.setBoolean(8, a.escalated());
                ps.setString(9, a.status());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void patchApprovals(Connection c, List<ApprovalPatch> patches) throws SQLException {
        if (patches.isEmpty()) return;
        try (PreparedStatement status = c.prepareStatement(
                "UPDATE baton_approvals SET status = ? WHERE run_id = ? AND task_id = ?");
             PreparedStatement cancel = c.prepareStatement(
                     "UPDATE baton_approvals SET status = 'CANCELLED' WHERE run_id = ? AND task_id = ? AND status = 'PENDING'");
             PreparedStatement escalate = c.prepareStatement(
                     "UPDATE baton_approvals SET escalated = TRUE WHERE run_id = ? AND task_id = ?")) {
            boolean statuses = false, cancels = false, escalations = false;
            for (ApprovalPatch p : patches) {
                if (p.status() != null) {
                    status.setString(1, p.status());
                    status.setString(2, p.runId());
                    status.setString(3, p.taskId());
                    status.addBatch();
                    statuses = true;
                } else if (p.cancelIfPending()) {
                    cancel.setString(1, p.runId());
                    cancel.setString(2, p.taskId());
                    cancel.addBatch();
                    cancels = true;
                }
                if (p.escalate()) {
                    escalate.setString(1, p.runId());
                    escalate.setString(2, p.taskId());
                    escalate.addBatch();
                    escalations = true;
                }
            }
            // Each approval has at most one patch, so the order of these three does not matter.
            if (statuses) status.executeBatch();
            if (cancels) cancel.executeBatch();
            if (escalations) escalate.executeBatch();
        }
    }

    private static void setMillis(PreparedStatement ps, int index, Instant at) throws SQLException {
        if (at == null) ps.setNull(index, Types.BIGINT);
        else ps.setLong(index, at.toEpochMilli());
    }
}
