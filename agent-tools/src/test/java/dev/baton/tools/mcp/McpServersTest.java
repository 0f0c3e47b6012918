package dev.baton.tools.mcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class McpServersTest {

    private static final Map<String, String> ENV = Map.of("GITHUB_TOKEN", "ghp_secret", "LEVEL", "debug");

    private static List<McpServerSpec> parse(String json) {
        return McpServers.parse(json, "mcp.json", ENV);
    }

    @Test
    void readsTheDesktopAppsFormatWithBatonsKeys() {
        List<McpServerSpec> specs = parse("""
                {"globalShortcut": "Ctrl+Space",
                 "mcpServers": {
                   "everything": {"command": "node", "args": ["dist/index.js", "stdio"], "env": {"LOG": "${LEVEL}"},
                                  "allow": ["echo", "get-sum"], "deny": ["get-sum"], "approvalNotRequired": ["echo"]},
                   "github": {"type": "http", "url": "https://api.example.com/mcp?x=1",
                              "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"},
                              "approvalRequired": ["get_me"], "timeout": "PT1M"}}}""");

        assertEquals(2, specs.size());
        McpServerSpec everything = specs.get(0);
        assertEquals("everything", everything.name());
        assertEquals(new McpServerSpec.Stdio("node", List.of("dist/index.js", "stdio"), Map.of("LOG", "debug")), everything.transport());
        assertEquals(Set.of("echo", "get-sum"), everything.allow());
        assertTrue(everything.takes("echo"));
        assertTrue(!everything.takes("get-sum") && !everything.takes("get-env"), "deny wins; allow limits");
        assertEquals(Set.of("echo"), everything.approvalNotRequired());
        assertNull(everything.timeout());
        assertEquals("mcp:everything", everything.source());

        McpServerSpec github = specs.get(1);
        assertEquals(new McpServerSpec.StreamableHttp(URI.create("https://api.example.com/mcp?x=1"),
                Map.of("Authorization", "Bearer ghp_secret")), github.transport());
        assertEquals(Set.of("get_me"), github.approvalRequired());
        assertEquals(Duration.ofMinutes(1), github.timeout());
        assertTrue(github.takes("anything"), "no allow list: every tool");
    }

    @Test
    void takesTheServersKeyAndAnEmptyList() {
        assertEquals(List.of("a"), parse("{\"servers\": {\"a\": {\"url\": \"http://127.0.0.1:1/mcp\"}}}").stream().map(McpServerSpec::name).toList());
        assertEquals(List.of(), parse("{\"mcpServers\": {}}"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not JSON                     | {"mcpServers": {                                                     | mcp.json is not valid JSON
            not an object                | []                                                                   | mcp.json must hold a JSON object
            no servers key               | {"mcpservers": {}}                                                   | mcp.json has no "mcpServers" key (nor "servers")
            both keys                    | {"mcpServers": {}, "servers": {}}                                    | has both "mcpServers" and "servers"
            servers not an object        | {"mcpServers": []}                                                   | "mcpServers" must be an object
            server not an object         | {"mcpServers": {"a": "node"}}                                        | MCP server 'a' must be an object
            unknown key                  | {"mcpServers": {"a": {"command": "node", "agrs": []}}}               | MCP server 'a' has the unknown key 'agrs'
            neither command nor url      | {"mcpServers": {"a": {"args": []}}}                                  | MCP server 'a' has neither 'command' nor 'url'
            both command and url         | {"mcpServers": {"a": {"command": "node", "url": "http://h/mcp"}}}    | MCP server 'a' has both 'command' and 'url'
            bad name                     | {"mcpServers": {"my server": {"command": "node"}}}                   | MCP server 'my server': MCP server name 'my server' must start with a letter
            name starting with a digit   | {"mcpServers": {"1st": {"command": "node"}}}                         | MCP server name '1st' must start with a letter
            name too long                | {"mcpServers": {"abcdefghijklmnopqrstuvwxyz0123456": {"command": "x"}}} | (at most 32)
            missing variable             | {"mcpServers": {"gh": {"url": "http://h/mcp", "headers": {"Authorization": "Bearer ${NOPE}"}}}} | MCP server 'gh', 'headers.Authorization' refers to the environment variable NOPE, which is not set
            missing variable in env      | {"mcpServers": {"a": {"command": "node", "env": {"K": "${NOPE}"}}}}  | MCP server 'a', 'env.K' refers to the environment variable NOPE
            args not strings             | {"mcpServers": {"a": {"command": "node", "args": [1]}}}              | MCP server 'a': 'args' must be an array of strings
            header not a string          | {"mcpServers": {"a": {"url": "http://h/mcp", "headers": {"X": 1}}}}  | MCP server 'a': 'headers.X' must be a string
            empty command                | {"mcpServers": {"a": {"command": " "}}}                              | MCP server 'a': 'command' must be a non-empty string
            url not http                 | {"mcpServers": {"a": {"url": "file:///etc/passwd"}}}                 | MCP server 'a': url must be an http:// or https:// URL
            sse type                     | {"mcpServers": {"a": {"type": "sse", "url": "http://h/sse"}}}        | the older SSE transport is not supported
            type against url             | {"mcpServers": {"a": {"type": "stdio", "url": "http://h/mcp"}}}      | 'type' is 'stdio' but the server has 'url'
            headers on stdio             | {"mcpServers": {"a": {"command": "node", "headers": {}}}}            | 'headers' is for a server with 'url'
            env on http                  | {"mcpServers": {"a": {"url": "http://h/mcp", "env": {}}}}            | 'env' is for a server with 'command'
            bad timeout                  | {"mcpServers": {"a": {"command": "node", "timeout": "30s"}}}         | MCP server 'a': 'timeout' must be an ISO-8601 duration
            zero timeout                 | {"mcpServers": {"a": {"command": "node", "timeout": "PT0S"}}}        | 'timeout' must be an ISO-8601 duration from PT0.001S to P1D
            allow not a list             | {"mcpServers": {"a": {"command": "node", "allow": "echo"}}}          | MCP server 'a': 'allow' must be an array of strings
            """)
    void refusesWithAMessageNamingServerAndKey(String name, String json, String expected) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> parse(json));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
        assertTrue(error.getMessage().startsWith("mcp.json"), error.getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> McpServers.load(Path.of("/nonexistent/mcp.json"), ENV));
        assertTrue(error.getMessage().startsWith("/nonexistent/mcp.json cannot be read"), error.getMessage());
    }

    @Test
    void loadsAFile() throws Exception {
        Path file = Files.createTempFile("mcp", ".json");
        try {
            Files.writeString(file, "{\"mcpServers\": {\"a\": {\"command\": \"node\"}}}");
            assertEquals("node", ((McpServerSpec.Stdio) McpServers.load(file, ENV).get(0).transport()).command());
        } finally {
            Files.delete(file);
        }
    }
}
