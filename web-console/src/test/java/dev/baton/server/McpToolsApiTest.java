package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.tools.mcp.McpPeers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MCP servers as tool sources, end to end: a Baton server process started with
 * {@code --mcp-servers}, the MCP project's reference 'everything' server over stdio and over
 * streamable HTTP, and a tiny TypeScript-SDK peer (a tool without annotations, which the
 * reference server lacks), all real processes; plans posted over HTTP. One Baton and one set of
 * MCP servers for the class.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class McpToolsApiTest {
    /** On every MCP server process this class starts, so that the test finds them (also once orphaned, were they). */
    private static final String TAG = "--baton-test=" + UUID.randomUUID();

    @TempDir
    static Path temp;
    private static Path mcpDir;
    private static McpPeers.HttpEverything httpServer;
    private static ServerProcess baton;
    private static Api api;

    @BeforeAll
    static void start() throws Exception {
        mcpDir = McpPeers.dir(); // skips the class without BATON_TEST_MCP_DIR (fails on CI), as the PostgreSQL tests do
        httpServer = new McpPeers.HttpEverything(temp.resolve("everything-http.log")).start();
        String stdio = Json.write(List.of(McpPeers.everythingScript(mcpDir).toString(), "stdio", TAG));
        String peerArgs = Json.write(List.of(McpPeers.peerScript().toString(), mcpDir.toString(), TAG));
        Path config = temp.resolve("mcp.json");
        Files.writeString(config, """
                {"mcpServers": {
                   "ev":    {"command": "node", "args": %s},
                   "evh":   {"type": "http", "url": "%s", "headers": {"X-Baton-Test": "${TEST_HEADER}"}},
                   "peer":  {"command": "node", "args": %s},
                   "peer2": {"command": "node", "args": %s, "approvalNotRequired": ["plain"]}}}
                """.formatted(stdio, httpServer.url(), peerArgs, peerArgs));
        baton = ServerProcess.start(temp.resolve("data"), "memory", temp.resolve("baton.log"),
                List.of("--mcp-servers", config.toString()), List.of(), Main.class,
                Map.of("TEST_HEADER", "yes", "PATH", System.getenv("PATH")));
        api = baton.api();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (baton != null) {
                // SIGTERM: Baton's shutdown closes the MCP sessions and kills the stdio servers it started.
                ProcessHandle.of(baton.pid()).ifPresent(ProcessHandle::destroy);
                ProcessHandle.of(baton.pid()).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
                List<String> left = ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").contains(TAG))
                        .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                        .toList();
                assertEquals(List.of(), left, "MCP server processes left after Baton stopped");
                baton.close();
            }
        } finally {
            if (httpServer != null) httpServer.close();
        }
    }

    /** Labels in the order the Prometheus client writes them: by name. */
    private static final Pattern CALLS = Pattern.compile("baton_mcp_calls_total\\{outcome=\"([^\"]+)\",server=\"([^\"]+)\"} ([0-9.]+)");

    /** {@code baton_mcp_calls_total} for one server and outcome, from /metrics. */
    private static long calls(String server, String outcome) {
        Api.Response metrics = api.get("/metrics");
        assertEquals(200, metrics.status());
        Matcher m = CALLS.matcher(metrics.body());
        while (m.find()) {
            if (m.group(2).equals(server) && m.group(1).equals(outcome)) return (long) Double.parseDouble(m.group(3));
        }
        throw new AssertionError("no baton_mcp_calls_total{server=\"" + server + "\",outcome=\"" + outcome + "\"} in\n" + metrics.body());
    }

    private static long allCalls(String server) {
        long sum = 0;
        for (String outcome : List.of("ok", "tool_error", "unavailable", "protocol_error")) sum += calls(server, outcome);
        return sum;
    }

    private static JsonNode tool(JsonNode tools, String name) {
        for (JsonNode tool : tools) if (tool.path("name").asText().equals(name)) return tool;
        throw new AssertionError("GET /api/tools has no " + name + ": " + tools);
    }

    @Test
    void theServersToolsAreListedWithTheirSourceSchemaAndFlags() {
        Api.Response response = api.get("/api/tools");
        assertEquals(200, response.status());
        JsonNode tools = response.json();
        JsonNode echo = tool(tools, "ev.echo");
        assertEquals("mcp:ev", echo.path("source").asText());
        assertEquals("Echoes back the input string", echo.path("description").asText());
        assertEquals("string", echo.at("/parameters/properties/message/type").asText(), echo.toString());
        assertFalse(echo.path("requiresApproval").asBoolean());
        assertTrue(echo.path("idempotent").asBoolean());
        JsonNode sum = tool(tools, "evh.get-sum");
        assertEquals("mcp:evh", sum.path("source").asText());
        assertEquals("number", sum.at("/parameters/properties/b/type").asText());
        assertTrue(tool(tools, "peer.plain").path("requiresApproval").asBoolean(), "no annotations: approval");
        assertFalse(tool(tools, "peer2.plain").path("requiresApproval").asBoolean(), "approvalNotRequired lifts it");
        assertTrue(tool(tools, "peer.wipe").path("requiresApproval").asBoolean(), "destructiveHint: approval");
        assertEquals("builtin", tool(tools, "echo").path("source").asText(), "the built-in echo keeps its name");
        assertTrue(api.get("/metrics").body().contains("baton_mcp_server_connected{server=\"evh\"} 1"));
    }

    @Test
    void aPlanCallingToolsOfTwoServersRuns() {
        long okBefore = calls("ev", "ok") + calls("evh", "ok");
        JsonNode run = api.startRun("add then echo", """
                {"tasks": [
                  {"id": "sum", "tool": "ev.get-sum", "args": {"a": 2, "b": 3}},
                  {"id": "echo", "tool": "evh.echo", "args": {"message": "${sum.output}"}},
                  {"id": "weather", "tool": "evh.get-structured-content", "args": {"location": "Chicago"}}]}""");
        JsonNode done = api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        assertEquals("The sum of 2 and 3 is 5.", Api.task(done, "sum").path("output").asText());
        assertEquals("Echo: The sum of 2 and 3 is 5.", Api.task(done, "echo").path("output").asText());
        assertEquals(36, Api.task(done, "weather").path("output").path("temperature").asInt(), done.toString());
        assertEquals(okBefore + 3, calls("ev", "ok") + calls("evh", "ok"));
    }

    @Test
    void argumentsThatBreakAToolsSchemaAreRefusedBeforeAnyCall() {
        long before = allCalls("ev");
        Api.Response refused = api.post("/api/runs", Json.toTree(Map.of("goal", "bad sum", "plan",
                Map.of("tasks", List.of(Map.of("id", "sum", "tool", "ev.get-sum", "args", Map.of("a", "two", "b", 3)))))));
        assertEquals(400, refused.status(), refused.body());
        assertEquals("plan_invalid", refused.errorCode());
        assertTrue(refused.errorMessage().contains("task 'sum'"), refused.errorMessage());

        // Arguments that only break the schema once resolved: the task fails, the tool is never called.
        JsonNode run = api.startRun("echo into sum", """
                {"tasks": [
                  {"id": "say", "tool": "ev.echo", "args": {"message": "two"}},
                  {"id": "sum", "tool": "ev.get-sum", "args": {"a": "${say.output}", "b": 3}}]}""");
        JsonNode failed = api.awaitRunStatus(run.path("id").asText(), "FAILED");
        JsonNode sum = Api.task(failed, "sum");
        assertEquals("FAILED", sum.path("status").asText());
        assertEquals("args_invalid", sum.path("error").path("code").asText(), sum.toString());
        assertEquals(before + 1, allCalls("ev"), "only the echo reached the server");
    }

    @Test
    void anErrorResultFailsTheAttemptForGood() {
        long before = calls("ev", "tool_error");
        JsonNode run = api.startRun("bad resource", """
                {"tasks": [{"id": "ref", "tool": "ev.get-resource-reference", "args": {"resourceType": "Text", "resourceId": 0},
                            "retry": {"maxAttempts": 3, "backoff": "PT0.1S"}}]}""");
        JsonNode failed = api.awaitRunStatus(run.path("id").asText(), "FAILED");
        JsonNode ref = Api.task(failed, "ref");
        assertEquals("mcp_tool_error", ref.path("error").path("code").asText(), ref.toString());
        assertTrue(ref.path("error").path("message").asText().contains("Invalid resourceId: 0"), ref.toString());
        assertEquals(1, ref.path("attempts").asInt(), "an error result is not retried");
        assertEquals(before + 1, calls("ev", "tool_error"));
    }

    @Test
    void aToolWithoutAnnotationsWaitsForApprovalUnlessTheConfigurationLiftsIt() {
        JsonNode run = api.startRun("plain notes", """
                {"tasks": [{"id": "gated", "tool": "peer.plain", "args": {"note": "one"}},
                           {"id": "lifted", "tool": "peer2.plain", "args": {"note": "two"}}]}""");
        String id = run.path("id").asText();
        JsonNode waiting = api.awaitTaskStatus(id, "gated", "WAITING_APPROVAL");
        assertEquals("two", Api.task(api.awaitTaskStatus(id, "lifted", "SUCCEEDED"), "lifted").path("output").path("note").asText());
        assertEquals("WAITING_APPROVAL", Api.task(api.run(id), "gated").path("status").asText(), waiting.toString());

        // A plan cannot lift the gate: the registry's flag is what counts.
        Api.Response lifted = api.post("/api/runs", Json.toTree(Map.of("goal", "sneak", "plan", Map.of("tasks", List.of(
                Map.of("id", "w", "tool", "peer.wipe", "args", Map.of(), "approval", "none"))))));
        assertEquals(201, lifted.status(), lifted.body());
        api.awaitTaskStatus(lifted.json().path("id").asText(), "w", "WAITING_APPROVAL");

        Api.Response approved = api.post("/api/runs/" + id + "/tasks/gated/approval", Map.of("decision", "approve"));
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = api.awaitRunStatus(id, "SUCCEEDED");
        JsonNode output = Api.task(done, "gated").path("output");
        assertEquals("one", output.path("note").asText(), output.toString());
        assertFalse(output.path("meta").path("dev.baton/idempotencyKey").asText().isEmpty(), "the idempotency key went in _meta: " + output);
        assertEquals(id, output.path("meta").path("dev.baton/runId").asText());
    }

    @Test
    void aStdioServerKilledMidRunIsRestartedAndTheRetriedCallSucceeds() throws Exception {
        JsonNode run = api.startRun("long op", """
                {"tasks": [{"id": "op", "tool": "ev.trigger-long-running-operation", "args": {"duration": 2, "steps": 2},
                            "retry": {"maxAttempts": 8, "backoff": "PT0.3S", "maxBackoff": "PT2S"}}]}""");
        String id = run.path("id").asText();
        api.awaitTaskStatus(id, "op", "RUNNING");
        List<ProcessHandle> ev = new ArrayList<>(ProcessHandle.of(baton.pid()).orElseThrow().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("index.js stdio " + TAG)).toList());
        assertEquals(1, ev.size(), ev.toString());
        ev.get(0).destroyForcibly();
        JsonNode done = api.awaitRun(id, r -> r.path("status").asText().equals("SUCCEEDED") || r.path("status").asText().equals("FAILED"),
                Duration.ofSeconds(60));
        JsonNode op = Api.task(done, "op");
        assertEquals("SUCCEEDED", op.path("status").asText(), done.toString());
        assertTrue(op.path("attempts").asInt() >= 2, op.toString());
        assertTrue(op.path("output").asText().startsWith("Long running operation completed"), op.toString());
    }

    @Test
    void anHttpServerKilledMidRunAndStartedAgainOnItsPortServesTheRetry() throws Exception {
        JsonNode run = api.startRun("long op over http", """
                {"tasks": [{"id": "op", "tool": "evh.trigger-long-running-operation", "args": {"duration": 2, "steps": 2},
                            "retry": {"maxAttempts": 10, "backoff": "PT0.3S", "maxBackoff": "PT2S"}}]}""");
        String id = run.path("id").asText();
        api.awaitTaskStatus(id, "op", "RUNNING");
        long unavailable = calls("evh", "unavailable");
        httpServer.kill();
        Api.await(() -> calls("evh", "unavailable"), n -> n > unavailable, Duration.ofSeconds(30), "a failed call to the killed server");
        httpServer.start();
        JsonNode done = api.awaitRun(id, r -> r.path("status").asText().equals("SUCCEEDED") || r.path("status").asText().equals("FAILED"),
                Duration.ofSeconds(90));
        JsonNode op = Api.task(done, "op");
        assertEquals("SUCCEEDED", op.path("status").asText(), done.toString());
        assertTrue(op.path("attempts").asInt() >= 2, op.toString());
    }
}
