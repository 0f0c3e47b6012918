package dev.baton.runtime.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which journal a BATON_DB_URL opens, and what a bad one says. */
class JournalsTest {

    @TempDir
    Path dataDir;

    @Test
    void memoryOpensAMemoryJournal() {
        try (Journal journal = Journals.open("memory", dataDir)) {
            assertInstanceOf(MemoryJournal.class, journal);
        }
    }

    @Test
    void noUrlOpensAnH2FileUnderTheDataDirectory() {
        for (String url : new String[]{null, "", "  "}) {
            try (Journal journal = Journals.open(url, dataDir.resolve("data"))) {
                assertInstanceOf(JdbcJournal.class, journal);
            }
            assertTrue(Files.isRegularFile(dataDir.resolve("data/journal/baton.mv.db")));
        }
    }

    @Test
    void anH2UrlIsUsedAsGiven() {
        String url = "jdbc:h2:file:" + dataDir.resolve("elsewhere/db") + ";USER=admin;PASSWORD=s3cret";
        try (Journal journal = Journals.open(url, dataDir)) {
            assertEquals(0, journal.stats().events());
        }
        assertTrue(Files.isRegularFile(dataDir.resolve("elsewhere/db.mv.db")));
    }

    @Test
    void anUnknownUrlNamesTheSettingAndTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Journals.open("jdbc:mysql://db/baton?password=hunter2", dataDir));
        assertTrue(e.getMessage().startsWith("BATON_DB_URL="), e.getMessage());
        for (String form : new String[]{"memory", "jdbc:postgresql://", "jdbc:h2:", "empty"}) {
            assertTrue(e.getMessage().contains(form), e.getMessage());
        }
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void anUnreachableDatabaseSaysWhyWithoutThePassword() {
        JournalException e = assertThrows(JournalException.class,
                () -> Journals.open("jdbc:postgresql://127.0.0.1:1/baton?user=baton&password=hunter2", dataDir));
        assertTrue(e.getMessage().startsWith("BATON_DB_URL: "), e.getMessage());
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());

        JournalException withParams = assertThrows(JournalException.class,
                () -> Journals.open("jdbc:postgresql://127.0.0.1:1/baton", "baton", "hunter2", dataDir));
        assertFalse(withParams.getMessage().contains("hunter2"), withParams.getMessage());
    }

    @Test
    void h2DefaultsAreAddedOnlyWhereTheUrlIsSilent() {
        assertEquals("jdbc:h2:file:/x;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0", JdbcJournal.withH2Defaults("jdbc:h2:file:/x"));
        assertEquals("jdbc:h2:file:/x;write_delay=100;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0",
                JdbcJournal.withH2Defaults("jdbc:h2:file:/x;write_delay=100"));
        assertEquals("jdbc:postgresql://h/db?user=u&password=***&ssl=true",
                JdbcJournal.redact("jdbc:postgresql://h/db?user=u&password=p@ss&ssl=true"));
        assertEquals("jdbc:h2:file:/x;USER=a;PASSWORD=***", JdbcJournal.redact("jdbc:h2:file:/x;USER=a;PASSWORD=b"));
    }

    /** H2 locks the file it serves: a second process gets a message that names the file and the way to run several servers. */
    @Test
    void anH2FileThatAnotherProcessHoldsIsRefusedNamingItAndPostgres() throws Exception {
        Journals.open("", dataDir).close();
        Path file = dataDir.resolve("journal").resolve("baton").toAbsolutePath();
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), H2Holder.class.getName(), "jdbc:h2:file:" + file)
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("holding", out.readLine());
            JournalException e = assertThrows(JournalException.class, () -> Journals.open("", dataDir));
            assertTrue(e.getMessage().startsWith("BATON_DB_URL: the H2 journal " + file + ".mv.db is in use by another process"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("several servers on one journal, give them all the same PostgreSQL BATON_DB_URL"),
                    e.getMessage());
        } finally {
            holder.destroyForcibly();
            holder.waitFor(20, TimeUnit.SECONDS);
        }
        Journals.open("", dataDir).close(); // free again once the other process is gone
    }

    @Test
    void theFileOfAnH2UrlIsTheOneH2Writes() {
        assertEquals("/d/journal/baton.mv.db", Journals.h2File("jdbc:h2:file:/d/journal/baton;MAX_LENGTH_INPLACE_LOB=4096"));
        assertEquals("/d/baton.mv.db", Journals.h2File("jdbc:h2:/d/baton"));
        assertEquals("~/baton.mv.db", Journals.h2File("jdbc:h2:~/baton;USER=sa"));
    }

    /** The other process: opens the H2 database at args[0], says "holding", keeps it open until killed or its input closes. */
    public static final class H2Holder {
        public static void main(String[] args) throws Exception {
            try (Connection c = DriverManager.getConnection(args[0])) {
                System.out.println("holding");
                System.out.flush();
                System.in.read(); // until the test kills it
            }
        }
    }
}
