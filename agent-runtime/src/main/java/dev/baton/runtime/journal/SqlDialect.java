package dev.baton.runtime.journal;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The few places where H2 and PostgreSQL need different SQL for the same schema.
 *
 * @param name      for messages
 * @param largeText the type of columns that may hold megabytes of JSON (event data, approval
 *                  arguments): H2's {@code CLOB} (values up to {@code MAX_LENGTH_INPLACE_LOB}
 *                  stay in the row, so small events cost no more than a VARCHAR), PostgreSQL's
 *                  {@code TEXT}
 * @param mergeKey  true for H2's {@code MERGE INTO ... KEY (...)}, false for PostgreSQL's
 *                  {@code INSERT ... ON CONFLICT ... DO UPDATE}
 */
record SqlDialect(String name, String largeText, boolean mergeKey) {

    static final SqlDialect H2 = new SqlDialect("H2", "CLOB", true);
    static final SqlDialect POSTGRES = new SqlDialect("PostgreSQL", "TEXT", false);

    /** The dialect of a JDBC URL, or null if it is neither H2 nor PostgreSQL. */
    static SqlDialect of(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:h2:")) return H2;
        if (jdbcUrl.startsWith("jdbc:postgresql:")) return POSTGRES;
        return null;
    }

    /** An insert-or-replace of one row, with a {@code ?} per column in the order given. */
    String upsert(String table, List<String> keyColumns, List<String> columns) {
        String names = String.join(", ", columns);
        String params = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
        if (mergeKey) {
            return "MERGE INTO " + table + " (" + names + ") KEY (" + String.join(", ", keyColumns) + ") VALUES (" + params + ")";
        }
        String updates = columns.stream().filter(c -> !keyColumns.contains(c))
                .map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
        return "INSERT INTO " + table + " (" + names + ") VALUES (" + params + ") ON CONFLICT ("
                + String.join(", ", keyColumns) + ") DO UPDATE SET " + updates;
    }
}
