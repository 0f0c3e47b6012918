package dev.baton.examples.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.BatonServer;
import dev.baton.server.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The example against a real Baton server (in this JVM, over real HTTP) with a token that may approve. */
class BatonMcpClientExampleTest {
    static final String TOKEN = "example-approver-token-0001";

    @TempDir
    Path dir;

    @Test
    void theRunStartedThroughMcpFinishesOnceItsApprovalIsAnsweredByElicitation() throws Exception {
        Config config = Config.load(new String[]{"--port", "0", "--db-url", "memory", "--data-dir", dir.toString(),
                "--tokens", "ann:approver+operator:" + TOKEN,
                "--triage-warm-up", "false"}, Map.of());
        try (BatonServer server = BatonServer.start(config)) {
            JsonNode run = BatonMcpClientExample.startAndApprove("http://127.0.0.1:" + server.port(), TOKEN);
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toPrettyString());
            JsonNode send = run.path("plan").path("tasks").get(1);
            assertEquals("send", send.path("id").asText());
            assertEquals("APPROVED", send.path("approval").path("status").asText(), send.toPrettyString());
            assertEquals("ann", send.path("approval").path("decidedBy").asText(), "recorded as the token's decision");
            assertEquals("approved from an MCP client", send.path("approval").path("comment").asText());
            assertEquals("the build is green", send.path("output").path("sent").asText());
        }
    }
}
