package dev.baton.runtime.journal;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The contract, on an H2 file as Baton opens it by default. */
class H2JournalTest extends JournalContractTest {

    @TempDir
    Path dataDir;

    @Override
    Journal openFresh() {
        return Journals.open("", dataDir);
    }

    @Override
    Journal reopen() {
        return Journals.open("", dataDir);
    }
}
