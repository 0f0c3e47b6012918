package dev.baton.runtime.journal;

/** The contract, in memory. */
class MemoryJournalTest extends JournalContractTest {

    @Override
    Journal openFresh() {
        return new MemoryJournal();
    }

    @Override
    Journal reopen() {
        return null;
    }

    @Override
    boolean groupCommits() {
        return false;
    }
}
