package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Baton as an MCP client against the MCP project's reference 'everything' server (stdio and
 * streamable HTTP) and a tiny TypeScript-SDK peer, all real processes. One set of servers for the
 * class: starting node costs about half a second each.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class McpToolsTest {

    record Call(String server, String tool, McpCallListener.Outcome outcome) {
    }

    private static final ConcurrentLinkedQueue<Call> CALLS = new ConcurrentLinkedQueue<>();
    private static final ToolRegistry REGISTRY = new ToolRegistry();
    private static McpPeers.HttpEverything http;
    private static McpTools mcp;

    @BeforeAll
    static void connect() {
        McpPeers.dir();
        http = new McpPeers.HttpEverything(Path.of("target/mcp-everything-http.log")).start();
        // A tool from elsewhere holding a name the 'picky' server's get-sum would take: that one tool is skipped.
        REGISTRY.register(new BatonTool() {
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder("picky.get-sum").build();
            }

            public JsonNode call(JsonNode args, ToolContext context) {
                return Json.object();
            }
        });
        mcp = McpTools.connect(List.of(
                        McpPeers.everythingStdio("ev", "ev"),
                        McpServerSpec.http("evh", http.url(), Map.of("X-Test", "yes")),
                        McpPeers.peer("peer"),
                        McpPeers.everythingStdio("picky", "picky").withAllow(Set.of("echo", "get-sum", "get-env", "no-such-tool"))
                                .withDeny(Set.of("get-env")).withApprovalRequired(Set.of("echo")).withTimeout(Duration.ofSeconds(5))),
                REGISTRY, (server, tool, outcome, duration) -> CALLS.add(new Call(server, tool, outcome)), Duration.ofSeconds(30));
    }

    @AfterAll
    static void close() throws Exception {
        if (mcp != null) {
            mcp.close();
            for (String tag : List.of("ev", "peer", "picky")) {
                assertEquals(List.of(), McpPeers.processesTagged(tag), "no '" + tag + "' server process left after close");
            }
            assertFalse(REGISTRY.names().stream().anyMatch(n -> n.startsWith("ev.") || n.startsWith("peer.")), "close removed the tools");
        }
        if (http != null) http.close();
    }

    private static JsonNode call(String tool, String args) throws Exception {
        return REGISTRY.find(tool).orElseThrow(() -> new AssertionError("no tool " + tool + " in " + REGISTRY.names()))
                .call(Json.parse(args), new ToolContext("run-1", "task-1", 2, "key-" + tool, Instant.now().plusSeconds(20)));
    }

    private static long outcomes(String server, McpCallListener.Outcome outcome) {
        return CALLS.stream().filter(c -> c.server().equals(server) && c.outcome() == outcome).count();
    }

    @Test
    void everyServerIsConnectedAndItsToolsAreListedWithTheirSchemas() {
        for (String server : List.of("ev", "evh")) {
            McpServerStatus status = mcp.status(server).orElseThrow();
            assertEquals(McpServerStatus.State.CONNECTED, status.state(), status.toString());
            assertTrue(status.tools().containsAll(List.of(server + ".echo", server + ".get-sum", server + ".get-structured-content")), status.tools().toString());
            ToolDescriptor sum = REGISTRY.descriptor(server + ".get-sum").orElseThrow();
            assertEquals("mcp:" + server, sum.source());
            assertEquals("Returns the sum of two numbers", sum.description());
            assertEquals("object", sum.parameters().path("type").asText());
            assertEquals("number", sum.parameters().at("/properties/a/type").asText(), sum.parameters().toString());
            assertEquals(Set.of("a", "b"), Set.copyOf(Json.MAPPER.convertValue(sum.parameters().path("required"), List.class)));
            assertFalse(sum.requiresApproval(), "readOnlyHint: true");
            assertTrue(sum.idempotent(), "idempotentHint: true");
            ToolDescriptor toggle = REGISTRY.descriptor(server + ".toggle-simulated-logging").orElseThrow();
            assertFalse(toggle.requiresApproval(), "destructiveHint: false");
            assertFalse(toggle.idempotent(), "idempotentHint: false");
        }
    }

    @Test
    void aToolWithoutAnnotationsOrADestructiveOneNeedsApprovalAndTheConfigurationDecides() {
        assertTrue(REGISTRY.descriptor("peer.plain").orElseThrow().requiresApproval(), "no annotations: MCP's default is destructive");
        assertTrue(REGISTRY.descriptor("peer.wipe").orElseThrow().requiresApproval(), "destructiveHint: true");
        assertFalse(REGISTRY.descriptor("peer.grow").orElseThrow().requiresApproval(), "destructiveHint: false");
        ToolDescriptor echo = REGISTRY.descriptor("picky.echo").orElseThrow();
        assertTrue(echo.requiresApproval(), "approvalRequired wins over readOnlyHint");
        assertEquals(Duration.ofSeconds(5), echo.timeout());
        assertEquals(List.of("picky.echo"), mcp.status("picky").orElseThrow().tools(),
                "allow limits, deny removes, a name taken by another source skips that one tool");
        assertEquals("code", REGISTRY.descriptor("picky.get-sum").orElseThrow().source(), "the other source's tool is untouched");
    }

    @Test
    void callsMapTheirResultsOverBothTransports() throws Exception {
        for (String server : List.of("ev", "evh")) {
            assertEquals("Echo: hi", call(server + ".echo", "{\"message\":\"hi\"}").asText());
            assertEquals("The sum of 2 and 3 is 5.", call(server + ".get-sum", "{\"a\":2,\"b\":3}").asText());
            assertEquals(Json.parse("{\"temperature\":36,\"conditions\":\"Light rain / drizzle\",\"humidity\":82}"),
                    call(server + ".get-structured-content", "{\"location\":\"Chicago\"}"), "structuredContent");
            JsonNode mixed = call(server + ".get-resource-reference", "{\"resourceType\":\"Text\",\"resourceId\":1}");
            assertTrue(mixed.path("text").asText().startsWith("Returning resource reference for Resource 1:"), mixed.toString());
            assertEquals(List.of("text", "resource", "text"), mixed.path("content").findValuesAsText("type").subList(0, 3), mixed.toString());
            assertEquals(1, outcomes(server, McpCallListener.Outcome.OK) >= 4 ? 1 : 0, CALLS.toString());
        }
    }

    @Test
    void anErrorResultIsAPermanentFailureWithTheToolsText() throws Exception {
        for (String server : List.of("ev", "evh")) {
            long before = outcomes(server, McpCallListener.Outcome.TOOL_ERROR);
            ToolException error = assertThrows(ToolException.class,
                    () -> call(server + ".get-resource-reference", "{\"resourceType\":\"Text\",\"resourceId\":0}"));
            assertEquals("mcp_tool_error", error.code());
            assertFalse(error.retryable());
            assertTrue(error.getMessage().contains("Invalid resourceId: 0"), error.getMessage());
            assertEquals(before + 1, outcomes(server, McpCallListener.Outcome.TOOL_ERROR));
        }
    }

    @Test
    void theCallCarriesTheIdempotencyKeyRunTaskAndAttemptInMeta() throws Exception {
        JsonNode out = call("peer.plain", "{\"note\":\"x\"}");
        assertEquals("x", out.path("note").asText(), out.toString());
        JsonNode meta = out.path("meta");
        assertEquals("key-peer.plain", meta.path("dev.baton/idempotencyKey").asText(), meta.toString());
        assertEquals("run-1", meta.path("dev.baton/runId").asText());
        assertEquals("task-1", meta.path("dev.baton/taskId").asText());
        assertEquals(2, meta.path("dev.baton/attempt").asInt());
    }

    @Test
    void theRegistryFollowsListChanged() throws Exception {
        assertTrue(REGISTRY.find("peer.extra-1").isEmpty());
        assertEquals("extra-1", call("peer.grow", "{}").asText());
        McpPeers.await("peer.extra-1 in the registry", Duration.ofSeconds(10), () -> REGISTRY.find("peer.extra-1").isPresent());
        assertEquals("mcp:peer", REGISTRY.descriptor("peer.extra-1").orElseThrow().source());
        assertTrue(mcp.status("peer").orElseThrow().tools().contains("peer.extra-1"));
        assertEquals("extra-1", call("peer.extra-1", "{}").asText());
    }

    @Test
    void theRegistryFollowsListChangedOverStreamableHttpToo() throws Exception {
        ToolRegistry registry = new ToolRegistry();
        try (McpPeers.HttpEverything peer = new McpPeers.HttpEverything(Path.of("target/mcp-peer-http.log"), true).start();
             McpTools tools = McpTools.connect(List.of(McpServerSpec.http("hp", peer.url(), Map.of())), registry,
                     McpCallListener.NONE, Duration.ofSeconds(30))) {
            assertEquals(McpServerStatus.State.CONNECTED, tools.status("hp").orElseThrow().state());
            assertEquals("extra-1", registry.find("hp.grow").orElseThrow().call(Json.object(), ToolContext.standalone("k-grow")).asText());
            McpPeers.await("hp.extra-1 in the registry", Duration.ofSeconds(10), () -> registry.find("hp.extra-1").isPresent());
        }
    }

    @Test
    void aStdioServerKilledMidCallIsRestartedAndTheNextCallSucceeds() throws Exception {
        List<ProcessHandle> before = McpPeers.processesTagged("ev");
        assertEquals(1, before.size(), before.toString());
        Instant killed = Instant.now();
        CompletableFuture<JsonNode> longCall = CompletableFuture.supplyAsync(() -> {
            try {
                return call("ev.trigger-long-running-operation", "{\"duration\":5,\"steps\":5}");
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        before.get(0).destroyForcibly();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> longCall.get(4, TimeUnit.SECONDS),
                "the call fails when the process dies, not when the 5 s operation would have ended");
        ToolException error = assertInstanceOf(ToolException.class, failed.getCause());
        assertEquals("mcp_unavailable", error.code());
        assertTrue(error.retryable());

        McpPeers.await("ev connected again", Duration.ofSeconds(30), () -> {
            McpServerStatus s = mcp.status("ev").orElseThrow();
            return s.state() == McpServerStatus.State.CONNECTED && s.since().isAfter(killed);
        });
        assertTrue(REGISTRY.find("ev.echo").isPresent(), "the tools stayed registered");
        assertEquals("Echo: again", call("ev.echo", "{\"message\":\"again\"}").asText());
        List<ProcessHandle> after = McpPeers.processesTagged("ev");
        assertEquals(1, after.size());
        assertNotEquals(before.get(0).pid(), after.get(0).pid());
    }

    @Test
    void anHttpServerKilledAndStartedAgainOnItsPortIsReconnected() throws Exception {
        assertEquals("Echo: before", call("evh.echo", "{\"message\":\"before\"}").asText());
        Instant killed = Instant.now();
        http.kill();
        ToolException down = assertThrows(ToolException.class, () -> call("evh.echo", "{\"message\":\"down\"}"));
        assertEquals("mcp_unavailable", down.code(), down.getMessage());
        assertTrue(down.retryable());
        McpPeers.await("evh seen down", Duration.ofSeconds(10),
                () -> mcp.status("evh").orElseThrow().state() != McpServerStatus.State.CONNECTED);
        ToolException stillDown = assertThrows(ToolException.class, () -> call("evh.echo", "{\"message\":\"down\"}"));
        assertEquals("mcp_unavailable", stillDown.code());
        assertTrue(REGISTRY.find("evh.echo").isPresent(), "the tools stay registered while the server is away");

        http.start();
        McpPeers.await("evh connected again", Duration.ofSeconds(40), () -> {
            McpServerStatus s = mcp.status("evh").orElseThrow();
            return s.state() == McpServerStatus.State.CONNECTED && s.since().isAfter(killed);
        });
        assertEquals("Echo: after", call("evh.echo", "{\"message\":\"after\"}").asText());
        assertTrue(outcomes("evh", McpCallListener.Outcome.UNAVAILABLE) >= 2);
    }

    @Test
    void aCallEndsAtItsDeadlineAndOnInterruptWithoutWaitingForTheServer() throws Exception {
        BatonTool slow = REGISTRY.find("ev.trigger-long-running-operation").orElseThrow();
        long started = System.nanoTime();
        ToolException late = assertThrows(ToolException.class, () -> slow.call(Json.parse("{\"duration\":10,\"steps\":2}"),
                new ToolContext("run-1", "task-1", 1, "k-deadline", Instant.now().plusMillis(400))));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals("mcp_unavailable", late.code());
        assertTrue(late.retryable());
        assertTrue(late.getMessage().contains("did not answer within"), late.getMessage());
        assertTrue(tookMs < 5_000, "ended at the deadline, not with the 10 s operation: " + tookMs + " ms");

        java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                slow.call(Json.parse("{\"duration\":10,\"steps\":2}"), new ToolContext("run-1", "task-2", 1, "k-interrupt",
                        Instant.now().plusSeconds(30)));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        McpPeers.await("the call in flight", Duration.ofSeconds(10), () -> caller.getState() == Thread.State.WAITING);
        caller.interrupt();
        caller.join(5_000);
        assertFalse(caller.isAlive(), "the interrupted call returned");
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertEquals("Echo: still fine", call("ev.echo", "{\"message\":\"still fine\"}").asText(), "the connection survived both");
    }

    @Test
    void aServerDownAtStartIsAWarningAndJoinsWhenItAnswers() throws Exception {
        ToolRegistry registry = new ToolRegistry();
        try (McpPeers.HttpEverything late = new McpPeers.HttpEverything(Path.of("target/mcp-everything-late.log"));
             McpTools tools = McpTools.connect(List.of(McpServerSpec.http("late", late.url(), Map.of())), registry,
                     McpCallListener.NONE, Duration.ofSeconds(10))) {
            McpServerStatus down = tools.status("late").orElseThrow();
            assertEquals(McpServerStatus.State.DISCONNECTED, down.state(), "connect returned after the first failed attempt: " + down);
            assertTrue(down.lastError() != null && !down.lastError().isBlank(), down.toString());
            assertEquals(List.of(), registry.names());

            late.start();
            McpPeers.await("the late server connected", Duration.ofSeconds(40),
                    () -> tools.status("late").orElseThrow().state() == McpServerStatus.State.CONNECTED);
            assertEquals("Echo: late", registry.find("late.echo").orElseThrow()
                    .call(Json.parse("{\"message\":\"late\"}"), ToolContext.standalone("k-late")).asText());
        }
    }

    @Test
    void aCommandThatCannotStartIsReportedAndRetriedNotFatal() {
        ToolRegistry registry = new ToolRegistry();
        try (McpTools tools = McpTools.connect(List.of(McpServerSpec.stdio("missing", "no-such-mcp-server-xyz", List.of(), Map.of())),
                registry, McpCallListener.NONE, Duration.ofSeconds(10))) {
            McpServerStatus status = tools.status("missing").orElseThrow();
            assertEquals(McpServerStatus.State.DISCONNECTED, status.state());
            assertTrue(status.lastError().contains("no-such-mcp-server-xyz"), status.lastError());
            assertEquals(List.of(), registry.names());
        }
    }

    @Test
    void aStdioServerThatExitsAtOnceIsReportedWithoutWaitingOutTheTimeout() {
        ToolRegistry registry = new ToolRegistry();
        long started = System.nanoTime();
        try (McpTools tools = McpTools.connect(List.of(McpServerSpec.stdio("broken", "node",
                        List.of(McpPeers.dir().resolve("no-such-server.js").toString()), Map.of())),
                registry, McpCallListener.NONE, Duration.ofSeconds(30))) {
            McpServerStatus status = tools.status("broken").orElseThrow();
            assertEquals(McpServerStatus.State.DISCONNECTED, status.state());
            assertTrue(status.lastError().contains("its process exited with code 1"), status.lastError());
            assertTrue((System.nanoTime() - started) / 1_000_000 < 8_000, "well within the 10 s handshake timeout");
        }
    }
}
