package dev.baton;

import dev.baton.plan.Plan;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A program whose main throws before it closes its Baton still ends: Baton's threads are
 * daemons, and its shutdown hook closes it on the way out. Run as a child JVM, since the
 * question is whether that JVM exits.
 */
class BatonExitTest {

    /** The child: starts a Baton and a run that waits for an approval nobody gives, then throws. */
    public static final class ThrowingMain {
        public static void main(String[] args) {
            Baton baton = Baton.builder().tool(new BatonTest.AddTool()).journal(Path.of(args[0])).start();
            RunHandle run = baton.run("wait for a person", Plan.builder()
                    .tool("gated", "math.add", Map.of("a", 1, "b", 2)).requireApproval().build());
            baton.onApprovalRequested(request -> System.out.println("waiting for approval of " + request.runId()));
            System.out.println("started " + run.id());
            throw new IllegalStateException("the program failed before it closed Baton");
        }
    }

    @Test
    void aMainThatThrowsWithoutClosingStillExits(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path output = dir.resolve("child.log");
        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ThrowingMain.class.getName(), dir.resolve("data").toString()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean exited = child.waitFor(60, TimeUnit.SECONDS);
        String log = Files.readString(output, StandardCharsets.UTF_8);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(exited, "the child JVM is still running 60 s after its main threw:\n" + log);
        assertEquals(1, child.exitValue(), log);
        assertTrue(log.contains("started r"), log);
        assertTrue(log.contains("the program failed before it closed Baton"), log);
        // The shutdown hook closed the journal: the H2 file exists and is not locked by a live process.
        assertTrue(new File(dir.resolve("data").toFile(), "journal").isDirectory(), log);
    }
}
