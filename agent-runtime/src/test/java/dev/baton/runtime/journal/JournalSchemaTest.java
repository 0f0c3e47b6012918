package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal's schema by Flyway, on H2 and PostgreSQL: fresh, upgraded from before Flyway, refused when newer. */
class JournalSchemaTest {
    /** Flyway's history of a journal made by this Baton: every migration, applied once, in order (as {@link #history} writes it). */
    static final List<String> MIGRATIONS = List.of("1 journal true", "2 cluster true", "3 trigger changes true", "4 run triggers true");
    /** The same for a journal made before Flyway: a baseline, then every migration. */
    static final List<String> UPGRADED_FROM_BEFORE_FLYWAY = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("0 journal made before Flyway true"), MIGRATIONS.stream()).toList();


    @TempDir
    Path dir;

    private PostgresTestDatabase pg;

    @AfterEach
    void dropDatabase() {
        if (pg != null) pg.close();
    }

    /** A fresh, empty database of the dialect: "h2" or "postgresql". */
    private String fresh(String dialect) {
        if (dialect.equals("h2")) return "jdbc:h2:file:" + dir.resolve("journal").toAbsolutePath();
        pg = PostgresTestDatabase.create();
        return pg.url();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void aFreshDatabaseGetsEveryMigrationOnce(String dialect) throws Exception {
        String url = fresh(dialect);
        JdbcJournal.open(url).close();
        JdbcJournal.open(url).close();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            assertEquals(MIGRATIONS, history(s));
            assertEquals(0, count(s, "SELECT COUNT(*) FROM baton_nodes"));
            assertEquals(0, count(s, "SELECT COUNT(owner_epoch) FROM baton_runs"));
            // A Baton from before Flyway reads this and refuses anything above 1 as "written by a newer Baton".
            assertEquals(Schema.LATEST, count(s, "SELECT MAX(version) FROM baton_schema_version"));
        }
    }

    /** Both shapes a journal from before Flyway can have: with and without the columns added by ALTER ... IF NOT EXISTS. */
    @ParameterizedTest
    @CsvSource({"h2, false", "h2, true", "postgresql, false", "postgresql, true"})
    void aJournalFromBeforeFlywayIsUpgradedInPlaceWithItsRows(String dialect, boolean laterColumns) throws Exception {
        String url = fresh(dialect);
        try (Connection c = DriverManager.getConnection(url)) {
            PreFlywaySchema.create(c, dialect.equals("h2") ? SqlDialect.H2 : SqlDialect.POSTGRES, laterColumns);
        }

        try (JdbcJournal journal = JdbcJournal.open(url)) {
            RunRecord old = journal.run(PreFlywaySchema.RUN).orElseThrow();
            assertEquals("from before", old.goal());
            assertEquals(PreFlywaySchema.RUN, journal.runByIdempotencyKey("old-key").orElseThrow().id());
            assertEquals(List.of(0L, 0L, 0L), List.of(old.llmCalls(), old.promptTokens(), old.completionTokens()));
            assertEquals(List.of("RunCreated", "TaskReady"), journal.events(PreFlywaySchema.RUN, 0).stream()
                    .map(e -> e.data().getClass().getSimpleName()).toList());
            assertEquals(1, journal.approvals("PENDING").size());
            // The upgraded tables take the writes of this Baton.
            TestRun run = new TestRun(PreFlywaySchema.RUN);
            run.next(new EventData.TaskReady("skip"));
            run.next(new EventData.TaskReady("skip"));
            journal.append(List.of(run.next(new EventData.ModelUsed("replan", "m", 10, 2, 1, false, null)))).get(10, TimeUnit.SECONDS);
            RunRecord after = journal.run(PreFlywaySchema.RUN).orElseThrow();
            assertEquals(List.of(1L, 10L, 2L), List.of(after.llmCalls(), after.promptTokens(), after.completionTokens()));
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            assertEquals(UPGRADED_FROM_BEFORE_FLYWAY, history(s));
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_tickets WHERE id = 'tk-1'"));
            // Runs from before version 4 name no trigger (their origin is only in their events): not counted as a trigger's.
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_runs WHERE trigger_name IS NULL"));
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_notifications WHERE status = 'SENT'"));
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_triggers WHERE name = 'nightly' AND pending IS NULL"));
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_runs WHERE owner_epoch IS NULL"));
            assertEquals(1, count(s, "SELECT COUNT(*) FROM baton_schema_version"));
            assertEquals(Schema.LATEST, count(s, "SELECT MAX(version) FROM baton_schema_version"));
        }
        JdbcJournal.open(url).close(); // and it opens again as it is
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void aMigrationFromANewerBatonIsRefused(String dialect) throws Exception {
        String url = fresh(dialect);
        JdbcJournal.open(url).close();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO \"" + Schema.HISTORY + "\" (\"installed_rank\", \"version\", \"description\", \"type\", "
                    + "\"script\", \"checksum\", \"installed_by\", \"execution_time\", \"success\") "
                    + "VALUES (99, '" + (Schema.LATEST + 1) + "', 'from a newer Baton', 'SQL', 'V" + (Schema.LATEST + 1)
                    + "__newer.sql', 0, 'test', 1, TRUE)");
        }
        JournalException e = assertThrows(JournalException.class, () -> JdbcJournal.open(url));
        assertTrue(e.getMessage().contains("version " + (Schema.LATEST + 1) + " but this Baton knows only up to " + Schema.LATEST),
                e.getMessage());
        assertTrue(e.getMessage().contains("written by a newer Baton; upgrade Baton or use another database"), e.getMessage());
    }

    /** A currentSchema that does not exist is a mistake in the URL: said so, and no new empty journal is made there. */
    @Test
    void aPostgresSchemaThatDoesNotExistIsReportedNotCreated() throws Exception {
        pg = PostgresTestDatabase.create();
        String missing = pg.schema() + "_missing";
        String url = pg.url().replace("currentSchema=" + pg.schema(), "currentSchema=" + missing);
        try (Connection c = DriverManager.getConnection(pg.url()); Statement s = c.createStatement()) {
            try {
                JournalException e = assertThrows(JournalException.class, () -> JdbcJournal.open(url));
                assertTrue(e.getMessage().contains("schema \"" + missing + "\" does not exist"), e.getMessage());
                assertEquals(0, count(s, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '" + missing + "'"));
            } finally {
                s.execute("DROP SCHEMA IF EXISTS " + missing + " CASCADE"); // should the test fail because it was made
            }
        }
    }

    @Test
    void latestIsTheHighestMigrationInTheResources() throws Exception {
        URL folder = Schema.class.getClassLoader().getResource(Schema.LOCATION.substring("classpath:".length()));
        Pattern name = Pattern.compile("V(\\d+)__\\w+\\.sql");
        List<Integer> versions = new ArrayList<>();
        try (var files = Files.list(Path.of(folder.toURI()))) {
            for (Path f : files.toList()) {
                Matcher m = name.matcher(f.getFileName().toString());
                assertTrue(m.matches(), "not a migration's name: " + f);
                versions.add(Integer.parseInt(m.group(1)));
            }
        }
        assertEquals(Schema.LATEST, versions.stream().mapToInt(Integer::intValue).max().orElseThrow(), "versions " + versions);
    }

    /** Flyway's history of versions (not its markers, e.g. H2's "history table created"), "version description success" in order. */
    static List<String> history(Statement s) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT \"version\", \"description\", \"success\" FROM \"" + Schema.HISTORY
                + "\" WHERE \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
            while (rs.next()) rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getBoolean(3));
        }
        return rows;
    }

    private static int count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
