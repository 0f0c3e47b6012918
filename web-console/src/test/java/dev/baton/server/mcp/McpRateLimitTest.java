package dev.baton.server.mcp;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.Tokens;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * start_run and create_ticket count against the API's per-caller limits on creating runs and
 * tickets (BATON_RATE_RUNS, BATON_RATE_TICKETS), in the same buckets as POST /api/runs and
 * POST /api/tickets: MCP is no way around them.
 */
class McpRateLimitTest {
    @TempDir
    static Path dir;
    static ServerProcess server;

    @BeforeAll
    static void start() {
        server = ServerProcess.start(dir.resolve("data"), null, dir.resolve("server.log"),
                List.of("--tokens", Tokens.SPEC, "--rate-runs", "2/h", "--rate-tickets", "1/h"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void runsAndTicketsThroughMcpCountAgainstTheCallersRate() {
        Api otto = server.api().as(Tokens.OPERATOR);
        otto.startRun("one through the API", McpServerApiTest.GATED_PLAN);
        try (McpSyncClient client = McpServerApiTest.client(server.api().base(), Tokens.OPERATOR, null, null)) {
            client.initialize();
            Map<String, Object> run = Map.of("goal", "through MCP", "plan", McpServerApiTest.json(McpServerApiTest.GATED_PLAN));
            McpServerApiTest.structured(McpServerApiTest.call(client, "start_run", run));
            McpSchema.CallToolResult third = McpServerApiTest.call(client, "start_run", run);
            assertEquals(Boolean.TRUE, third.isError());
            assertTrue(McpServerApiTest.text(third).startsWith("rate_limited: token 'otto' is over its rate of 2/h"), McpServerApiTest.text(third));
            assertEquals(429, otto.post("/api/runs", Map.of("goal", "g", "plan", McpServerApiTest.json(McpServerApiTest.GATED_PLAN))).status(),
                    "one bucket for both doors");
            assertEquals(2, server.api().as(Tokens.ADMIN).get("/api/runs").json().path("runs").size(), "the refused calls started nothing");

            Map<String, Object> ticket = Map.of("subject", "s", "body", "b");
            McpServerApiTest.structured(McpServerApiTest.call(client, "create_ticket", ticket));
            McpSchema.CallToolResult second = McpServerApiTest.call(client, "create_ticket", ticket);
            assertTrue(McpServerApiTest.text(second).startsWith("rate_limited"), McpServerApiTest.text(second));
        }
        assertTrue(server.api().get("/metrics").body().contains("baton_http_rate_limited_total{limit=\"runs\"} 2"),
                "counted as the API's refusals are");
    }
}
