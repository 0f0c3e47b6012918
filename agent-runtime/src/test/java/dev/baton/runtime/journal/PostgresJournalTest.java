package dev.baton.runtime.journal;

import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract, on PostgreSQL: each test in a fresh schema of the test server. */
class PostgresJournalTest extends JournalContractTest {

    private PostgresTestDatabase db;

    @Override
    Journal openFresh() {
        db = PostgresTestDatabase.create();
        return Journals.open(db.url(), null);
    }

    @Override
    Journal reopen() {
        return Journals.open(db.url(), null);
    }

    @Override
    void dropStore() {
        if (db != null) db.close();
    }

    @Test
    void aWrongPasswordIsReportedInPostgresWordsWithoutThePassword() {
        String url = db.url().replaceAll("password=[^&]*", "password=not-the-password");
        JournalException e = assertThrows(JournalException.class, () -> Journals.open(url, null));
        assertTrue(e.getMessage().startsWith("BATON_DB_URL: "), e.getMessage());
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-password"), e.getMessage());
    }
}
