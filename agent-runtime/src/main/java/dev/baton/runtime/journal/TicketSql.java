package dev.baton.runtime.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tickets table in SQL (created by {@code db/baton/V1__journal.sql}): the writes of {@link TicketProjection.Changes}, and the row reader. */
final class TicketSql {

    private TicketSql() {
    }

    static void write(Connection c, TicketProjection.Changes changes) throws SQLException {
        if (changes.isEmpty()) return;
        if (!changes.inserts().isEmpty()) {
            String sql = "INSERT INTO baton_tickets (" + String.join(", ", TicketProjection.COLUMNS) + ") VALUES ("
                    + "?, ".repeat(TicketProjection.COLUMNS.size() - 1) + "?)";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (Map<String, Object> row : changes.inserts()) {
                    int i = 1;
                    for (String col : TicketProjection.COLUMNS) set(ps, i++, col, row.get(col));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (!changes.reroutes().isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE baton_tickets SET run_id = ?, status = 'TRIAGING', error = NULL, "
                    + "routed_at_ms = NULL, delivery = NULL, review_reason = NULL, updated_at_ms = ? WHERE id = ?")) {
                for (TicketProjection.Reroute r : changes.reroutes()) {
                    ps.setString(1, r.runId());
                    ps.setLong(2, r.atMs());
                    ps.setString(3, r.ticketId());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        // Patches set different columns: one batched statement per column set.
        Map<String, List<TicketProjection.Patch>> bySql = new LinkedHashMap<>();
        for (TicketProjection.Patch p : changes.patches()) {
            String sql = "UPDATE baton_tickets SET " + String.join(" = ?, ", p.columns().keySet()) + " = ? WHERE run_id = ?";
            bySql.computeIfAbsent(sql, k -> new ArrayList<>()).add(p);
        }
        for (var e : bySql.entrySet()) {
            try (PreparedStatement ps = c.prepareStatement(e.getKey())) {
                for (TicketProjection.Patch p : e.getValue()) {
                    int i = 1;
                    for (var col : p.columns().entrySet()) set(ps, i++, col.getKey(), col.getValue());
                    ps.setString(i, p.runId());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    private static void set(PreparedStatement ps, int index, String column, Object v) throws SQLException {
        // PostgreSQL wants a NULL of the column's type.
        if (v == null) ps.setNull(index, column.endsWith("_ms") ? Types.BIGINT : column.equals("confidence") ? Types.DOUBLE : Types.VARCHAR);
        else if (v instanceof Long l) ps.setLong(index, l);
        else if (v instanceof Double d) ps.setDouble(index, d);
        else ps.setString(index, v.toString());
    }

    static final String SELECT = "SELECT " + String.join(", ", TicketProjection.COLUMNS) + " FROM baton_tickets";

    static TicketRecord read(ResultSet rs) throws SQLException {
        Map<String, Object> row = new LinkedHashMap<>();
        int i = 1;
        for (String col : TicketProjection.COLUMNS) {
            Object v;
            if (col.endsWith("_ms")) {
                long l = rs.getLong(i);
                v = rs.wasNull() ? null : l;
            } else if (col.equals("confidence")) {
                double d = rs.getDouble(i);
                v = rs.wasNull() ? null : d;
            } else {
                v = rs.getString(i);
            }
            row.put(col, v);
            i++;
        }
        return TicketProjection.record(row);
    }
}
