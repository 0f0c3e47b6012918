package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.tools.mcp.McpPeers;
import dev.baton.tools.mcp.McpServerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's /tools page in a real headless Chromium against a real server that takes tools
 * from two MCP servers: a tiny TypeScript-SDK peer over stdio (connected) and an HTTP server that
 * is not there (disconnected). The page groups the tools by source, shows each MCP server's state
 * and the approval flag MCP's annotations gave, follows a server's list_changed by its polling,
 * and shows a tool description that is markup as text. GET /api/mcp/servers says the same and
 * never shows how a server is started.
 */
class ToolsConsoleTest {
    static final String HOSTILE = "<img src=x onerror=\"window.pwned=1\">reads <b>everything</b>";
    static final LocatorAssertions.HasCountOptions POLLED = new LocatorAssertions.HasCountOptions().setTimeout(20_000);

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(ToolsConsoleTest::config);
    static final Api api = servers.api();

    static dev.baton.server.Config config() throws Exception {
        String dir = McpPeers.dir().toString(); // skips without BATON_TEST_MCP_DIR, fails on CI
        Path peer = McpPeers.peerScript();
        int closedPort = McpPeers.freePort(); // nothing listens there
        List<McpServerSpec> mcp = new ArrayList<>();
        mcp.add(McpServerSpec.stdio("peer", "node", List.of(peer.toString(), dir), Map.of("PEER_HOSTILE", HOSTILE)));
        mcp.add(McpServerSpec.http("down", URI.create("http://127.0.0.1:" + closedPort + "/mcp"), Map.of()));
        return TestServer.config().withMcpServers(mcp);
    }

    @Test
    void toolsAreGroupedBySourceWithTheMcpServersStatesAndFollowTheirChanges() {
        JsonNode states = api.get("/api/mcp/servers").json();
        assertEquals(2, states.size(), states.toPrettyString());
        JsonNode peer = states.get(0);
        assertEquals("peer", peer.path("name").asText());
        assertEquals("stdio", peer.path("transport").asText());
        assertEquals("connected", peer.path("state").asText(), peer.toPrettyString());
        assertTrue(peer.path("tools").toString().contains("\"peer.plain\""), peer.toPrettyString());
        JsonNode down = states.get(1);
        assertEquals("http", down.path("transport").asText());
        assertNotEquals("connected", down.path("state").asText());
        assertTrue(down.path("error").asText().startsWith("cannot reach 127.0.0.1:"), "a server that cannot be reached says why: " + down);
        for (JsonNode server : states) {
            for (String secret : List.of("command", "args", "env", "url", "headers")) {
                assertFalse(server.has(secret), "how a server is reached may hold secrets: " + server);
            }
        }

        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/");
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Tools")).click();
            page.waitForURL("**/tools");
            assertThat(page.locator("nav a[data-nav=tools]")).hasAttribute("aria-current", "page");

            Locator peerSection = page.locator("section.tool-source[data-source='mcp:peer']");
            assertThat(peerSection.locator("h2")).containsText("MCP server peer");
            assertThat(peerSection.locator(".mcp-server")).hasAttribute("data-state", "connected");
            // no annotations: MCP counts it destructive, so every call waits for a person
            assertThat(peerSection.locator("tr[data-tool='peer.plain'] .flag-approval")).hasText("approval");
            assertThat(peerSection.locator("tr[data-tool='peer.grow'] .flag-approval")).hasCount(0);
            assertThat(peerSection.locator("tr[data-tool='peer.odd'] .flag-idempotent")).hasText("idempotent");
            assertThat(page.locator("section.tool-source[data-source=builtin] tr[data-tool=echo]")).hasCount(1);

            Locator downSection = page.locator("section.tool-source[data-source='mcp:down']");
            assertThat(downSection.locator(".mcp-server")).not().hasAttribute("data-state", "connected");
            assertThat(downSection.locator(".empty")).hasText("No tools from this source right now.");

            // A description from an MCP server nobody here wrote is text, never markup.
            assertThat(peerSection.locator("tr[data-tool='peer.odd'] td.description")).hasText(HOSTILE);
            assertEquals(0, page.locator("#view img, #view b").count(), "a tool's description is never HTML");
            assertEquals(Boolean.TRUE, page.evaluate("() => window.pwned === undefined"));
            tab.screenshot("tools");

            // grow adds a tool and announces list_changed: the page shows it at its next poll.
            JsonNode run = api.post("/api/runs", TestTools.json("{\"goal\": \"grow the peer\", \"plan\": {\"tasks\": "
                    + "[{\"id\": \"g\", \"tool\": \"peer.grow\", \"args\": {}}]}}")).json();
            api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
            assertThat(peerSection.locator("tr[data-tool='peer.extra-1']")).hasCount(1, POLLED);
        }
    }
}
