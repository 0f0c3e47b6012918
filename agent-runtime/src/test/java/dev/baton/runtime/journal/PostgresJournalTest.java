package dev.baton.runtime.journal;

import dev.baton.runtime.testing.PostgresTestDatabase;

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
}
