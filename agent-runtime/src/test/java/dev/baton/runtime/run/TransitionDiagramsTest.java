package dev.baton.runtime.run;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docs/state-machines.md} is what {@link TransitionDiagrams} makes of the tables. After a
 * change of {@link Transitions}, regenerate it:
 * {@code mvn -o -q -pl agent-runtime -am test -Dtest=TransitionDiagramsTest -Dsurefire.failIfNoSpecifiedTests=false -Dbaton.regenerateDocs=true}
 */
class TransitionDiagramsTest {

    @Test
    void theCommittedDiagramsAreTheTables() throws IOException {
        Path doc = docs().resolve("state-machines.md");
        String generated = TransitionDiagrams.markdown();
        if (Boolean.getBoolean("baton.regenerateDocs")) Files.writeString(doc, generated, StandardCharsets.UTF_8);
        String committed = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "";
        assertEquals(generated, committed, doc + " differs from the transition tables; regenerate it with"
                + " mvn -o -q -pl agent-runtime -am test -Dtest=TransitionDiagramsTest -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Dbaton.regenerateDocs=true");
    }

    @Test
    void everyRowThatChangesAStatusIsAnEdge() {
        String page = TransitionDiagrams.markdown();
        for (TransitionTable<?> table : Transitions.ALL) {
            for (TransitionTable.Row<?> row : table.rows()) {
                String from = row.from() == null ? "[*]" : row.from().name();
                if (row.from() == row.to()) {
                    assertTrue(page.contains("`" + row.label() + "`"), row + " is listed as allowed without a change");
                } else {
                    assertTrue(page.lines().anyMatch(l -> l.startsWith("    " + from + " --> " + row.to().name() + " : ")
                            && l.contains(row.label())), row + " is an edge");
                }
            }
        }
    }

    /** The repository's docs folder: the test runs in the module's folder, or in the repository's. */
    private static Path docs() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isDirectory(dir.resolve("docs")) && Files.isDirectory(dir.resolve("agent-runtime")))) {
            dir = dir.getParent();
        }
        if (dir == null) throw new IllegalStateException("no docs folder above " + Path.of("").toAbsolutePath());
        return dir.resolve("docs");
    }
}
