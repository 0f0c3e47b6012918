package dev.baton.examples.embed;

import dev.baton.RunResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuickStartExampleTest {

    /** The example's source, as the build has it (the tests run in the examples module's folder). */
    static final Path SOURCE = Path.of("src/main/java/dev/baton/examples/embed/QuickStartExample.java");

    @Test
    void theListenerApprovesAndTheOrderIsPlaced() {
        RunResult result = QuickStartExample.orderTwoUnits();
        assertTrue(result.succeeded(), result.run().toPrettyString());
        assertEquals("2 x SKU-1 = 25.0 EUR", result.output("order").asText());
        assertEquals(10, result.output("stock").asInt());
        assertEquals("APPROVED", result.run().at("/plan/tasks/2/approval/status").asText());
        assertEquals("example-approver", result.run().at("/plan/tasks/2/approval/decidedBy").asText());
        assertEquals(3, result.run().path("plan").path("tasks").size());
    }

    /**
     * Fewer than 30 lines of code, counted as every line of the file that is not blank and not a
     * comment (a line starting with {@code //}, {@code /*} or {@code *}); package and import lines count.
     */
    @Test
    void theExampleIsUnderThirtyLinesOfCode() throws Exception {
        List<String> code = Files.readAllLines(SOURCE).stream()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("//") && !line.startsWith("/*") && !line.startsWith("*"))
                .toList();
        assertTrue(code.size() < 30, code.size() + " lines of code:\n" + String.join("\n", code));
    }
}
