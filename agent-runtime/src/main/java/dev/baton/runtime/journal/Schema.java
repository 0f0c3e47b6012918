package dev.baton.runtime.journal;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The journal's tables, created and migrated by Flyway from {@code db/baton/V<n>__*.sql}
 * (resources of this module), with Flyway's history in {@code baton_schema_history}.
 *
 * <p>Flyway holds its database lock while it migrates (on PostgreSQL an advisory lock), so
 * any number of servers that open one empty or older database at the same moment create or
 * migrate it once; the others wait, then find nothing left to do.
 *
 * <p>A journal made before Flyway has Baton's tables but no history: Flyway records a baseline
 * at version 0 and runs every migration. V1 keeps its {@code IF NOT EXISTS} for that case, so
 * the old tables stay with their rows and get the columns they lack.
 *
 * <p>{@code baton_schema_version} is what a Baton before Flyway reads: it refuses a version
 * above 1 as written by a newer Baton. This code keeps it at Flyway's version, so that an older
 * server cannot open (and write to) a newer journal, and refuses it in turn when it is higher
 * than {@link #LATEST}, as it refuses a migration in the history that it does not know.
 */
final class Schema {

    /** Where the migrations are: a folder of Baton's own, so that Flyway scans nothing else. */
    static final String LOCATION = "classpath:db/baton";
    static final String HISTORY = "baton_schema_history";
    /** The highest {@code V<n>} in {@link #LOCATION}: bump it with every new migration (SchemaTest checks). */
    static final int LATEST = 4;

    private static final String LEGACY = "baton_schema_version";

    private Schema() {
    }

    /**
     * Creates the journal's tables or brings them to {@link #LATEST}.
     *
     * @throws JournalException                      if the schema was written by a newer Baton
     * @throws org.flywaydb.core.api.FlywayException if a migration fails
     */
    static void migrate(DataSource db, SqlDialect dialect) throws SQLException {
        // Most opens find the journal up to date: they learn it from three small queries, without Flyway's
        // start-up (loading it, resolving and checksumming the files, locking), which costs about 0.4 s
        // of CPU in a fresh JVM and 40 ms in a warm one.
        if (upToDate(db)) return;
        MigrateResult result;
        for (int attempt = 1; ; attempt++) {
            try {
                result = flyway(db, dialect).migrate();
                break;
            } catch (org.flywaydb.core.api.FlywayException e) {
                // Nodes opening one empty journal at once: Flyway's lock covers its migrations, not its look at
                // whether the schema is empty. One that looked while another was creating the history table
                // takes the schema for one from before Flyway and fails to baseline it ("already exists, and is
                // empty"). By the time it looks again the other has finished: nothing is left to do.
                if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("baseline")) throw e;
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                if (upToDate(db)) return;
            }
        }
        // Flyway leaves applied migrations it does not know alone (they are "future"): refuse them.
        String now = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
        if (now != null && MigrationVersion.fromVersion(now).isNewerThan(String.valueOf(LATEST))) throw newer(now);
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE " + LEGACY + " SET version = " + LATEST + " WHERE version < " + LATEST);
        }
    }

    private static Flyway flyway(DataSource db, SqlDialect dialect) {
        return Flyway.configure(Schema.class.getClassLoader())
                .dataSource(db)
                .locations(LOCATION)
                .table(HISTORY)
                .placeholders(Map.of("large_text", dialect.largeText()))
                // A journal from before Flyway (tables, no history): its history starts at 0, then V1 and up run.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .baselineDescription("journal made before Flyway")
                .skipDefaultCallbacks(true)
                // A schema the URL names (currentSchema=...) but that does not exist is a mistake to report,
                // not a new empty journal to start.
                .createSchemas(false)
                .loggers("slf4j")
                .load();
    }

    /**
     * True if Flyway's history says every migration up to {@link #LATEST} succeeded; false if
     * Flyway has work to do (or a failure to report).
     *
     * @throws JournalException if the history or {@code baton_schema_version} is from a newer Baton
     */
    private static boolean upToDate(DataSource db) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            Set<String> tables = new HashSet<>();
            // H2 keeps unquoted names in upper case (baton_schema_version), Flyway quotes its table's name.
            try (ResultSet rs = s.executeQuery("SELECT LOWER(table_name) FROM information_schema.tables WHERE table_schema = "
                    + "CURRENT_SCHEMA AND LOWER(table_name) IN ('" + LEGACY + "', '" + HISTORY + "')")) {
                while (rs.next()) tables.add(rs.getString(1));
            }
            int legacy = 0;
            if (tables.contains(LEGACY)) {
                try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM " + LEGACY)) {
                    if (rs.next()) legacy = rs.getInt(1);
                }
                if (legacy > LATEST) throw newer(legacy);
            }
            if (legacy < LATEST || !tables.contains(HISTORY)) return false;
            boolean latest = false;
            try (ResultSet rs = s.executeQuery("SELECT \"version\", \"success\" FROM \"" + HISTORY + "\"")) {
                while (rs.next()) {
                    if (!rs.getBoolean(2)) return false;
                    String version = rs.getString(1);
                    if (version == null) continue; // a repeatable migration or a schema creation marker
                    MigrationVersion v = MigrationVersion.fromVersion(version);
                    if (v.isNewerThan(String.valueOf(LATEST))) throw newer(version);
                    if (v.equals(MigrationVersion.fromVersion(String.valueOf(LATEST)))) latest = true;
                }
            }
            return latest;
        }
    }

    private static JournalException newer(Object version) {
        return new JournalException("the journal's schema is version " + version + " but this Baton knows only up to "
                + LATEST + ": it was written by a newer Baton; upgrade Baton or use another database");
    }
}
