package dev.baton.server.mcp;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.RawHttp;
import dev.baton.server.testing.ServerProcess;
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
 * /mcp on a server without tokens (loopback only) keeps other web sites out as the API does:
 * a page whose name was rebound to 127.0.0.1 (its Host) and a page of another origin (its
 * Origin) are refused, as the MCP specification asks of local servers; the server's own
 * address and non-browser clients (no Origin) get in.
 */
class McpHostGuardTest {
    @TempDir
    static Path dir;
    static ServerProcess server;

    @BeforeAll
    static void start() {
        server = ServerProcess.start(dir.resolve("data"), null, dir.resolve("server.log"), List.of());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static Api.Response initialize(String host, Map<String, String> headers) {
        var all = new java.util.LinkedHashMap<String, String>(Map.of("Content-Type", "application/json",
                "Accept", "application/json, text/event-stream"));
        all.putAll(headers);
        return RawHttp.exchange(server.port(), RawHttp.request("POST", "/mcp", host, all, McpServerApiTest.initializeBody()));
    }

    @Test
    void aRequestUnderAReboundNameIsRefused() {
        Api.Response rebound = initialize("attacker.example:" + server.port(), Map.of());
        assertEquals(403, rebound.status(), rebound.body());
        assertEquals("host_header_refused", rebound.errorCode());
    }

    @Test
    void aPageOfAnotherOriginIsRefused() {
        Api.Response crossSite = initialize("127.0.0.1:" + server.port(), Map.of("Origin", "http://attacker.example"));
        assertEquals(403, crossSite.status(), crossSite.body());
        assertEquals("cross_origin", crossSite.errorCode());
    }

    @Test
    void theLocalClientGetsIn() {
        Api.Response local = initialize("localhost:" + server.port(), Map.of());
        assertEquals(200, local.status(), local.body());
        assertTrue(local.header("Mcp-Session-Id") != null && !local.header("Mcp-Session-Id").isBlank());
        Api.Response sameOrigin = initialize("127.0.0.1:" + server.port(), Map.of("Origin", "http://127.0.0.1:" + server.port()));
        assertEquals(200, sameOrigin.status(), sameOrigin.body());
    }
}
