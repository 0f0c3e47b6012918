package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A journal written before the runs list had model usage gets the new columns, its runs at 0, and counts from then on. */
class H2JournalUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void anOlderJournalGetsTheUsageColumnsAndKeepsItsRuns() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("old").toAbsolutePath();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            // the version-1 tables as the first Baton created them
            s.execute("CREATE TABLE baton_schema_version (version INT NOT NULL)");
            s.execute("INSERT INTO baton_schema_version (version) VALUES (1)");
            s.execute("CREATE TABLE baton_runs (id VARCHAR(255) NOT NULL PRIMARY KEY, goal VARCHAR, status VARCHAR(40) NOT NULL, "
                    + "created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, idempotency_key VARCHAR(1000) UNIQUE, "
                    + "request_hash VARCHAR(255))");
            s.execute("INSERT INTO baton_runs VALUES ('old-run', 'from before', 'RUNNING', 1000, 2000, NULL, NULL)");
        }
        try (Journal journal = Journals.open(url, dir)) {
            RunRecord old = journal.run("old-run").orElseThrow();
            assertEquals("from before", old.goal());
            assertEquals(List.of(0L, 0L, 0L), List.of(old.llmCalls(), old.promptTokens(), old.completionTokens()));
            TestRun run = new TestRun("old-run");
            journal.append(List.of(run.next(new EventData.ModelUsed("replan", "m", 10, 2, 1, false, null)))).get();
            RunRecord after = journal.run("old-run").orElseThrow();
            assertEquals(List.of(1L, 10L, 2L), List.of(after.llmCalls(), after.promptTokens(), after.completionTokens()));
            assertEquals("RUNNING", after.status());
        }
    }
}
