package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What an MCP session holds on the server is let go when it ends: its place among the sessions,
 * the runs it started or subscribed to (and, on a cluster, the relay's watch of them). In process,
 * to see the server's side; the client is the Java SDK's, over real HTTP.
 */
class McpSessionsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Tokens.config(), registry -> {
        });
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void nothingOfASessionIsKeptOnceItEnds() {
        McpEndpoint mcp = server.server().mcpEndpoint();
        String base = server.api().base();
        McpSyncClient otto = McpServerApiTest.client(base, Tokens.OPERATOR, null, updates -> { });
        otto.initialize();
        JsonNode run = McpServerApiTest.structured(McpServerApiTest.call(otto, "start_run",
                Map.of("goal", "held by a session", "plan", McpServerApiTest.json(McpServerApiTest.GATED_PLAN))));
        String runId = run.path("id").asText();
        McpSyncClient otto2 = McpServerApiTest.client(base, Tokens.OPERATOR, null, updates -> { });
        otto2.initialize();
        otto2.subscribeResource(new McpSchema.SubscribeRequest("baton://runs/" + runId));
        assertEquals(2, mcp.sessions());
        Api.await(mcp::followedRuns, n -> n == 1, Duration.ofSeconds(10), "the run followed by both sessions");

        otto.closeGracefully(); // DELETE /mcp
        Api.await(mcp::sessions, n -> n == 1, Duration.ofSeconds(10), "one session left");
        assertEquals(1, mcp.followedRuns(), "still subscribed to by the other session");
        otto2.closeGracefully();
        Api.await(mcp::sessions, n -> n == 0, Duration.ofSeconds(10), "no session left");
        Api.await(mcp::followedRuns, n -> n == 0, Duration.ofSeconds(10), "no run followed any more");
    }

    @Test
    void aServerThatStopsEndsItsSessionsStreamsAndStopsPromptly() {
        TestServer own = TestServer.start(Tokens.config(), registry -> {
        });
        McpSyncClient root = McpServerApiTest.client(own.api().base(), Tokens.ADMIN, null, updates -> { });
        try {
            root.initialize(); // the client holds its GET stream open from here on
            Api.await(() -> own.server().mcpEndpoint().sessions(), n -> n == 1, Duration.ofSeconds(10), "the session");
            long started = System.nanoTime();
            own.close();
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(0, own.server().mcpEndpoint().sessions(), "every session ended");
            org.junit.jupiter.api.Assertions.assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "the server stopped in " + took);
        } finally {
            root.close();
        }
    }

    @Test
    void oneCallerHoldsAtMostAHundredSessionsAndAnotherCallerIsNotHeldBack() throws Exception {
        TestServer own = TestServer.start(Tokens.config(), registry -> {
        });
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.util.function.Function<String, java.net.http.HttpResponse<String>> initialize = token -> {
                try {
                    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(own.api().base() + "/mcp"))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .header("Accept", "application/json, text/event-stream")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
                                    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
                                     "capabilities": {}, "clientInfo": {"name": "many", "version": "1"}}}"""))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            for (int i = 0; i < VertxMcpTransport.MAX_SESSIONS_PER_CALLER; i++) {
                var answer = initialize.apply(Tokens.OPERATOR);
                assertEquals(200, answer.statusCode(), answer.body());
            }
            var refused = initialize.apply(Tokens.OPERATOR);
            assertEquals(429, refused.statusCode(), refused.body());
            org.junit.jupiter.api.Assertions.assertTrue(refused.body().contains("too_many_sessions"), refused.body());
            assertEquals("60", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals(VertxMcpTransport.MAX_SESSIONS_PER_CALLER, own.server().mcpEndpoint().sessions(), "the refused one holds nothing");
            assertEquals(200, initialize.apply(Tokens.ADMIN).statusCode(), "another caller still gets a session");
        } finally {
            own.close();
        }
    }
}
