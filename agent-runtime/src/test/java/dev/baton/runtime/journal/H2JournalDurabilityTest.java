package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData.TaskReady;
import dev.baton.runtime.event.RunEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.baton.runtime.journal.TestRun.created;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only a real H2 file can show: a killed process keeps what was acknowledged; schema versions. */
class H2JournalDurabilityTest {

    private static final int EVENTS = 2_000;

    @TempDir
    Path dataDir;

    /**
     * Appends in a child JVM that halts (no close, no shutdown hooks) the moment the last
     * future completes: every acknowledged event must be in the file.
     */
    @Test
    void whatWasAcknowledgedSurvivesAKilledProcess() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KilledAppender.class.getName(), dataDir.toString())
                .redirectErrorStream(true).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child finished");
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(output.contains("acknowledged " + EVENTS), output);
        assertEquals(KilledAppender.HALTED, child.exitValue(), output);

        try (Journal journal = Journals.open("", dataDir)) {
            assertEquals(EVENTS, journal.events("run-killed", 0).size());
            assertEquals("PLANNING", journal.run("run-killed").orElseThrow().status());
        }
    }

    /** The child: appends without waiting, halts the JVM from the last future's callback. */
    public static final class KilledAppender {
        static final int HALTED = 42;

        public static void main(String[] args) {
            Journal journal = Journals.open("", Path.of(args[0]));
            TestRun run = new TestRun("run-killed");
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            futures.add(journal.append(List.of(run.next(created("killed")))));
            for (int i = 1; i < EVENTS; i++) {
                RunEvent e = run.next(new TaskReady("t" + i));
                futures.add(journal.append(List.of(e)));
            }
            futures.get(futures.size() - 1).thenRun(() -> {
                System.out.println("acknowledged " + futures.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count());
                System.out.flush();
                Runtime.getRuntime().halt(HALTED);
            });
            futures.get(futures.size() - 1).join();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException ignored) {
                // halted long before
            }
        }
    }

    @Test
    void aSchemaFromANewerBatonIsRefused() throws Exception {
        Journals.open("", dataDir).close();
        String url = "jdbc:h2:file:" + dataDir.resolve("journal/baton");
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE baton_schema_version SET version = 99");
        }
        JournalException e = assertThrows(JournalException.class, () -> Journals.open("", dataDir));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
        assertTrue(e.getMessage().contains("newer Baton"), e.getMessage());
    }

    @Test
    void reopeningKeepsTheSchemaAndTheData() throws Exception {
        try (Journal journal = Journals.open("", dataDir)) {
            journal.append(List.of(new TestRun("run-1").next(created("one", "key-1")))).get(10, TimeUnit.SECONDS);
        }
        try (Journal journal = Journals.open("", dataDir)) {
            assertEquals("run-1", journal.runByIdempotencyKey("key-1").orElseThrow().id());
            journal.append(List.of(new TestRun("run-2").next(created("two")))).get(10, TimeUnit.SECONDS);
            assertEquals(2, journal.runs(new RunQuery(null, 10, null)).runs().size());
        }
    }
}
