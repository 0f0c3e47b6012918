package dev.baton.server;

import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * H2 serves one server: a second server on the H2 file that another uses refuses to start,
 * naming the file and PostgreSQL as the way to run several (API.md "Cluster"), and the first
 * goes on serving.
 */
class H2SingleNodeTest {

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("h2-single-node");

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSecondServerOnTheSameH2FileRefusesToStartNamingTheFileAndPostgres() throws Exception {
        ServerProcess first = servers.start(null);
        String run = first.api().startRun("on the first server", "{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", "
                + "\"args\": {}, \"approval\": \"required\"}]}").path("id").asText();

        // ServerProcess.start fails when the child exits before it is ready, quoting the exit status.
        AssertionError refused = assertThrows(AssertionError.class, () -> servers.start(null));
        assertTrue(refused.getMessage().contains("exited with 2 before it was ready"), refused.getMessage());

        String log = Files.readString(servers.logDir().resolve("server-2.log"), StandardCharsets.UTF_8);
        Path file = servers.dataDir().toAbsolutePath().resolve("journal").resolve("baton.mv.db");
        String line = log.lines().filter(l -> l.startsWith("baton: cannot start: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no 'baton: cannot start' line in:\n" + log));
        assertTrue(line.contains(file.toString()), line);
        assertTrue(line.contains("in use by another process"), line);
        assertTrue(line.contains("jdbc:postgresql:"), line);
        assertTrue(line.contains("BATON_DB_URL"), line);

        // The first server was not disturbed.
        assertEquals(200, first.api().get("/api/health").status());
        first.api().awaitTaskStatus(run, "gate", "WAITING_APPROVAL");
    }
}
