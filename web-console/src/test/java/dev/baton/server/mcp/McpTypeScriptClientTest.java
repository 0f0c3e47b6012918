package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.Tokens;
import dev.baton.tools.mcp.McpPeers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Baton's /mcp driven by a client nobody here wrote: the official MCP TypeScript SDK (1.32.2,
 * installed by {@code .ci/mcp.sh} into {@code $BATON_TEST_MCP_DIR}), through a small driver script
 * ({@code src/test/resources/mcp/ts-client.mjs}) that prints what it saw as JSON lines. It checks
 * the tools' output schemas itself (ajv) on every call.
 */
class McpTypeScriptClientTest {

    @TempDir
    static Path dir;
    static ServerProcess server;
    static Path mcpDir;

    /** In the test, not before all: a skip is then reported with its reason (an assumption in @BeforeAll reports no test at all). */
    static void start() {
        mcpDir = McpPeers.dir(); // skips without BATON_TEST_MCP_DIR (fails on CI), as the PostgreSQL tests do
        server = ServerProcess.start(dir.resolve("data"), null, dir.resolve("server.log"), List.of("--tokens", Tokens.SPEC));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void theTypeScriptClientListsToolsStartsARunHearsItsUpdatesAndApprovesByElicitation() throws Exception {
        start();
        List<JsonNode> lines = drive(Tokens.ADMIN, McpServerApiTest.GATED_PLAN);

        JsonNode unauthenticated = event(lines, "unauthenticated");
        assertTrue(unauthenticated.path("refused").asBoolean(), "no token: refused (" + unauthenticated + ")");

        assertEquals("baton", event(lines, "connected").path("server").path("name").asText());
        Set<String> names = new HashSet<>();
        for (JsonNode tool : event(lines, "tools").path("tools")) {
            names.add(tool.path("name").asText());
            assertEquals("object", tool.path("output").path("type").asText(), tool.toString());
        }
        assertEquals(Set.of("start_run", "get_run", "list_runs", "list_approvals", "decide_approval", "create_ticket", "get_ticket"), names);

        JsonNode bad = event(lines, "bad");
        assertTrue(bad.path("isError").asBoolean());
        assertTrue(bad.path("text").asText().contains("goal"), bad.toString());

        JsonNode started = event(lines, "started");
        assertFalse(started.path("isError").asBoolean(), started.toString());
        String runId = started.path("run").path("id").asText();

        JsonNode elicitation = event(lines, "elicitation");
        assertEquals(runId, elicitation.path("params").path("_meta").path("dev.baton/approval").path("runId").asText());
        assertEquals("form", elicitation.path("params").path("mode").asText("form"));

        List<String> statuses = new ArrayList<>();
        for (JsonNode line : lines) if (line.path("event").asText().equals("updated")) statuses.add(line.path("status").asText());
        assertFalse(statuses.isEmpty(), "the subscriber heard the run change");
        assertEquals("SUCCEEDED", statuses.get(statuses.size() - 1), statuses.toString());

        JsonNode run = new Api(server.port()).as(Tokens.ADMIN).run(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        JsonNode approval = Api.task(run, "send").path("approval");
        assertEquals("root", approval.path("decidedBy").asText(), "recorded as the token's decision");
        assertEquals("from the TypeScript client", approval.path("comment").asText());
    }

    private static JsonNode event(List<JsonNode> lines, String name) {
        return lines.stream().filter(l -> l.path("event").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the TypeScript client printed no '" + name + "' line: " + lines));
    }

    /** Runs the driver with node and returns its lines; fails with its output if it does not exit 0. */
    private static List<JsonNode> drive(String token, String plan) throws IOException, InterruptedException {
        Path script = dir.resolve("ts-client.mjs");
        try (InputStream in = McpTypeScriptClientTest.class.getResourceAsStream("/mcp/ts-client.mjs")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder builder = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + server.port(), token,
                Json.parse(plan).toString()).redirectErrorStream(false).redirectError(dir.resolve("node.err").toFile());
        builder.environment().put("BATON_TEST_MCP_DIR", mcpDir.toString());
        Process node = builder.start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean exited = node.waitFor(90, TimeUnit.SECONDS);
        if (!exited) node.destroyForcibly();
        String errors = Files.readString(dir.resolve("node.err"));
        if (!exited || node.exitValue() != 0) {
            throw new AssertionError("the TypeScript client failed (exit " + (exited ? node.exitValue() : "none") + "):\n" + output
                    + "\n" + errors + "\nserver log:\n" + server.logTail());
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n")) if (!line.isBlank()) lines.add(Json.parse(line));
        return lines;
    }
}
