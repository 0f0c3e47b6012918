package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.Tokens;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Baton as an MCP server, over real HTTP against a real server process, driven by the official
 * MCP Java SDK's client: the tools and their schemas, a run started and followed through its
 * resource, approvals decided through a tool (and refused to a viewer) or through elicitation,
 * the bearer token required, arguments checked, sessions ended.
 */
class McpServerApiTest {
    /** Two tasks, the second behind an approval: a run that waits for a person, then finishes. */
    static final String GATED_PLAN = """
            {"tasks": [
              {"id": "draft", "tool": "echo", "args": {"text": "hello"}},
              {"id": "send", "title": "Send the mail", "tool": "echo", "args": {"to": "${draft.output.text}"}, "approval": "required"}
            ]}""";

    @TempDir
    static Path dir;
    static ServerProcess server;
    static Api admin;

    @BeforeAll
    static void start() {
        server = ServerProcess.start(dir.resolve("data"), null, dir.resolve("server.log"), List.of("--tokens", Tokens.SPEC));
        admin = server.api().as(Tokens.ADMIN);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    // ------------------------------------------------------------------ the catalogue

    @Test
    void theToolsAreListedWithTheirSchemasAndTrueAnnotations() {
        try (McpSyncClient vera = client(Tokens.VIEWER, null, null)) {
            McpSchema.InitializeResult init = vera.initialize();
            assertEquals("baton", init.serverInfo().name());
            assertTrue(init.capabilities().resources().subscribe(), "runs are resources one may subscribe to");

            Map<String, McpSchema.Tool> tools = vera.listTools().tools().stream()
                    .collect(Collectors.toMap(McpSchema.Tool::name, t -> t));
            assertEquals(Set.of("start_run", "get_run", "list_runs", "list_approvals", "decide_approval", "create_ticket", "get_ticket"),
                    tools.keySet());
            for (McpSchema.Tool tool : tools.values()) {
                assertEquals("object", tool.inputSchema().get("type"), tool.name());
                assertEquals("object", tool.outputSchema().get("type"), tool.name() + " has an output schema");
                assertNotNull(tool.annotations(), tool.name());
            }
            assertEquals(List.of("goal"), tools.get("start_run").inputSchema().get("required"));
            assertEquals(false, tools.get("start_run").inputSchema().get("additionalProperties"), "unknown arguments are refused");
            assertEquals(List.of("runId", "taskId", "decision"), tools.get("decide_approval").inputSchema().get("required"));

            for (String read : List.of("get_run", "list_runs", "list_approvals", "get_ticket")) {
                assertEquals(Boolean.TRUE, tools.get(read).annotations().readOnlyHint(), read + " only reads");
                assertEquals(Boolean.FALSE, tools.get(read).annotations().destructiveHint(), read);
            }
            McpSchema.ToolAnnotations decide = tools.get("decide_approval").annotations();
            assertEquals(Boolean.FALSE, decide.readOnlyHint());
            assertEquals(Boolean.TRUE, decide.destructiveHint(), "deciding an approval is destructive");
            assertEquals(Boolean.TRUE, decide.idempotentHint(), "a second decision changes nothing (409)");
            assertEquals(Boolean.FALSE, tools.get("start_run").annotations().readOnlyHint());
            assertEquals(Boolean.FALSE, tools.get("start_run").annotations().idempotentHint(), "without a key, each call starts a run");
            assertTrue(tools.get("decide_approval").description().contains("approver role"));

            List<McpSchema.ResourceTemplate> templates = vera.listResourceTemplates().resourceTemplates();
            assertEquals(1, templates.size());
            assertEquals("baton://runs/{runId}", templates.get(0).uriTemplate());
            assertEquals("application/json", templates.get(0).mimeType());
        }
    }

    // ------------------------------------------------------------------ runs and their resource

    @Test
    void aRunStartedThroughMcpRunsAndItsResourceUpdatesReachTheSubscriber() {
        List<JsonNode> updates = new CopyOnWriteArrayList<>();
        try (McpSyncClient otto = client(Tokens.OPERATOR, null, contents -> contents.forEach(c -> updates.add(json(text(c)))))) {
            otto.initialize();
            McpSchema.CallToolResult started = call(otto, "start_run", Map.of("goal", "say hello over MCP", "plan", json(GATED_PLAN)));
            JsonNode run = structured(started);
            String runId = run.path("id").asText();
            assertTrue(runId.startsWith("r_"), run.toString());
            assertEquals(run, json(text(started)), "the text is a copy of the structured content");
            String otherId = structured(call(otto, "start_run", Map.of("goal", "another", "plan", json(GATED_PLAN)))).path("id").asText();

            String uri = "baton://runs/" + runId;
            otto.subscribeResource(new McpSchema.SubscribeRequest(uri));
            otto.subscribeResource(new McpSchema.SubscribeRequest("baton://runs/" + otherId));
            otto.unsubscribeResource(new McpSchema.UnsubscribeRequest("baton://runs/" + otherId));
            admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
            admin.awaitTaskStatus(otherId, "send", "WAITING_APPROVAL");
            JsonNode read = json(text(otto.readResource(new McpSchema.ReadResourceRequest(uri)).contents().get(0)));
            assertEquals(runId, read.path("id").asText());
            assertEquals("hello", Api.task(read, "draft").path("output").path("text").asText(), "the run as GET /api/runs/{id} gives it");

            // The unsubscribed run changes first, then the subscribed one: only the latter's changes are told.
            long otherBefore = updates.stream().filter(u -> u.path("id").asText().equals(otherId)).count();
            Api alice = server.api().as(Tokens.APPROVER);
            assertEquals(200, alice.post("/api/runs/" + otherId + "/tasks/send/approval", Map.of("decision", "approve")).status());
            admin.awaitRunStatus(otherId, "SUCCEEDED");
            Api.Response decided = alice.post("/api/runs/" + runId + "/tasks/send/approval", Map.of("decision", "approve"));
            assertEquals(200, decided.status(), decided.body());
            JsonNode last = Api.await(() -> updates.isEmpty() ? null : updates.get(updates.size() - 1),
                    u -> u != null && u.path("id").asText().equals(runId) && u.path("status").asText().equals("SUCCEEDED"),
                    Duration.ofSeconds(30), "the update of the run's end");
            assertEquals("alice", Api.task(last, "send").path("approval").path("decidedBy").asText());
            assertEquals(otherBefore, updates.stream().filter(u -> u.path("id").asText().equals(otherId)).count(),
                    "no update of a run after unsubscribing from it");
        }
    }

    @Test
    void readingTheRunsListsAndApprovalsThroughTools() {
        String runId = admin.startRun("listed", GATED_PLAN).path("id").asText();
        admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        try (McpSyncClient vera = client(Tokens.VIEWER, null, null)) {
            vera.initialize();
            JsonNode got = structured(call(vera, "get_run", Map.of("runId", runId)));
            assertEquals(admin.run(runId).path("plan"), got.path("plan"), "the run as the API shows it");
            JsonNode page = structured(call(vera, "list_runs", Map.of("status", "RUNNING", "limit", 500)));
            assertTrue(contains(page.path("runs"), "id", runId), page.toString());
            JsonNode approvals = Api.await(() -> structured(call(vera, "list_approvals", Map.of())),
                    a -> contains(a.path("approvals"), "runId", runId), Duration.ofSeconds(10), "the inbox");
            assertEquals(admin.get("/api/approvals").json().size(), approvals.path("approvals").size(), "the inbox as the API has it");
            for (JsonNode item : approvals.path("approvals")) {
                if (item.path("runId").asText().equals(runId)) assertEquals("listed", item.path("goal").asText(), "an item names its run's goal");
            }
            for (JsonNode run : page.path("runs")) {
                if (run.path("id").asText().equals(runId)) assertEquals(1, run.path("waitingApprovals").asInt(), "the run waits for one person");
            }

            McpSchema.CallToolResult missing = call(vera, "get_run", Map.of("runId", "r_nope"));
            assertEquals(Boolean.TRUE, missing.isError());
            assertTrue(text(missing).startsWith("not_found"), text(missing));
        }
    }

    @Test
    void aTicketIsCreatedAndReadThroughTools() {
        Map<String, Object> ticket = Map.of("subject", "Card declined", "body", "My card was declined at the shop today.",
                "customer", Map.of("email", "ann@example.com"), "externalId", "mcp-ticket-1");
        try (McpSyncClient otto = client(Tokens.OPERATOR, null, null)) {
            otto.initialize();
            JsonNode created = structured(call(otto, "create_ticket", ticket));
            String ticketId = created.path("id").asText();
            assertTrue(ticketId.startsWith("t_"), created.toString());
            assertEquals("Card declined", created.path("subject").asText());
            assertEquals(ticketId, structured(call(otto, "create_ticket", ticket)).path("id").asText(),
                    "a repeated externalId never creates a second ticket");
            JsonNode read = structured(call(otto, "get_ticket", Map.of("ticketId", ticketId)));
            JsonNode api = admin.get("/api/tickets/" + ticketId).json();
            assertEquals(api.path("runId"), read.path("runId"), "the ticket as the API shows it");
            assertEquals(api.path("customer"), read.path("customer"));
        }
        try (McpSyncClient vera = client(Tokens.VIEWER, null, null)) {
            vera.initialize();
            McpSchema.CallToolResult refused = call(vera, "create_ticket", Map.of("subject", "x", "body", "y"));
            assertEquals(Boolean.TRUE, refused.isError());
            assertTrue(text(refused).contains("needs the operator role"), text(refused));
        }
    }

    @Test
    void aViewerSeesCredentialsMaskedThroughToolsAndTheResourceAsInTheApi() {
        String runId = admin.startRun("with a secret", """
                {"tasks": [{"id": "login", "tool": "echo", "args": {"user": "bob", "password": "PASS-MCP-1"}, "approval": "required"}]}""")
                .path("id").asText();
        admin.awaitTaskStatus(runId, "login", "WAITING_APPROVAL");
        try (McpSyncClient vera = client(Tokens.VIEWER, null, null)) {
            vera.initialize();
            McpSchema.CallToolResult got = call(vera, "get_run", Map.of("runId", runId));
            assertEquals("***", Api.task(structured(got), "login").path("args").path("password").asText());
            assertFalse(text(got).contains("PASS-MCP-1"), "nor in the text copy");
            String read = text(vera.readResource(new McpSchema.ReadResourceRequest("baton://runs/" + runId)).contents().get(0));
            assertFalse(read.contains("PASS-MCP-1"), read);
            JsonNode inbox = structured(call(vera, "list_approvals", Map.of()));
            assertFalse(inbox.toString().contains("PASS-MCP-1"), inbox.toString());
        }
        try (McpSyncClient root = client(Tokens.ADMIN, null, null)) {
            root.initialize();
            assertEquals("PASS-MCP-1", Api.task(structured(call(root, "get_run", Map.of("runId", runId))), "login")
                    .path("args").path("password").asText(), "an admin sees the values, as in the API");
        }
    }

    // ------------------------------------------------------------------ approvals

    @Test
    void anApprovalDecidedThroughMcpResumesTheRunAndAViewerCannotDecideIt() {
        String runId = admin.startRun("decide over MCP", GATED_PLAN).path("id").asText();
        admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        Map<String, Object> approve = Map.of("runId", runId, "taskId", "send", "decision", "approve", "comment", "fine by me");

        try (McpSyncClient vera = client(Tokens.VIEWER, null, null)) {
            vera.initialize();
            McpSchema.CallToolResult refused = call(vera, "decide_approval", approve);
            assertEquals(Boolean.TRUE, refused.isError());
            assertTrue(text(refused).contains("needs the approver role"), text(refused));
            assertNull(refused.structuredContent());
        }
        JsonNode waiting = admin.run(runId);
        assertEquals("WAITING_APPROVAL", Api.task(waiting, "send").path("status").asText(), "nothing changed");
        assertEquals("PENDING", Api.task(waiting, "send").path("approval").path("status").asText());

        try (McpSyncClient alice = client(Tokens.APPROVER, null, null)) {
            alice.initialize();
            McpSchema.CallToolResult decided = call(alice, "decide_approval", approve);
            assertNotEquals(Boolean.TRUE, decided.isError(), decided.toString());
            JsonNode task = structured(decided);
            assertEquals("send", task.path("id").asText(), "the answer is the task, as the API's");
            assertEquals("APPROVED", task.path("approval").path("status").asText());

            JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
            JsonNode send = Api.task(done, "send");
            assertEquals("alice", send.path("approval").path("decidedBy").asText(), "recorded as the token's decision");
            assertEquals("fine by me", send.path("approval").path("comment").asText());
            assertEquals("hello", send.path("output").path("to").asText(), "the task ran");

            McpSchema.CallToolResult again = call(alice, "decide_approval", approve);
            assertEquals(Boolean.TRUE, again.isError(), "a task no longer waiting: 409 as in the API");
            assertTrue(text(again).startsWith("conflict") || text(again).contains("not waiting"), text(again));
        }
    }

    @Test
    void anApprovalOnARunStartedThroughTheSessionIsOfferedAsAnElicitationAndTheAnswerIsRecorded() {
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        Function<McpSchema.ElicitFormRequest, McpSchema.ElicitResult> approve = request -> {
            asked.add(request);
            return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("decision", "approve", "comment", "via elicitation"));
        };
        try (McpSyncClient root = client(Tokens.ADMIN, approve, null)) {
            root.initialize();
            String runId = structured(call(root, "start_run", Map.of("goal", "elicit", "plan", json(GATED_PLAN)))).path("id").asText();
            JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
            JsonNode send = Api.task(done, "send");
            assertEquals("root", send.path("approval").path("decidedBy").asText(), "the session's token decided");
            assertEquals("via elicitation", send.path("approval").path("comment").asText());
            assertEquals(1, asked.size(), "offered once");
            McpSchema.ElicitFormRequest request = asked.get(0);
            assertTrue(request.message().contains(runId) && request.message().contains("send"), request.message());
            assertEquals(Map.of("runId", runId, "taskId", "send"), request.meta().get("dev.baton/approval"));
            assertEquals(List.of("decision"), request.requestedSchema().get("required"));
        }
    }

    @Test
    void aDeclinedElicitationLeavesTheApprovalPendingForTheConsole() {
        String runId = admin.startRun("declined", GATED_PLAN).path("id").asText();
        admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        Function<McpSchema.ElicitFormRequest, McpSchema.ElicitResult> decline = request -> {
            asked.add(request);
            return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null);
        };
        try (McpSyncClient alice = client(Tokens.APPROVER, decline, null)) {
            alice.initialize();
            alice.subscribeResource(new McpSchema.SubscribeRequest("baton://runs/" + runId)); // subscribed: its approvals are offered
            Api.await(() -> asked.size(), n -> n == 1, Duration.ofSeconds(20), "the offer of the waiting approval");
        }
        JsonNode run = admin.run(runId);
        assertEquals("WAITING_APPROVAL", Api.task(run, "send").path("status").asText(), "declined: still pending");
        assertEquals(200, server.api().as(Tokens.APPROVER).post("/api/runs/" + runId + "/tasks/send/approval",
                Map.of("decision", "reject")).status());
        assertEquals("REJECTED", Api.task(admin.awaitRun(runId, r -> r.path("status").asText().matches("SUCCEEDED|FAILED"),
                Duration.ofSeconds(30)), "send").path("status").asText());
    }

    @Test
    void aViewerIsNeverOfferedAnApproval() {
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        List<JsonNode> updates = new CopyOnWriteArrayList<>();
        String runId = admin.startRun("not for viewers", GATED_PLAN).path("id").asText();
        try (McpSyncClient vera = client(Tokens.VIEWER, request -> {
            asked.add(request);
            return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("decision", "approve"));
        }, contents -> contents.forEach(c -> updates.add(json(text(c)))))) {
            vera.initialize();
            vera.subscribeResource(new McpSchema.SubscribeRequest("baton://runs/" + runId));
            admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
            assertEquals(200, server.api().as(Tokens.APPROVER).post("/api/runs/" + runId + "/tasks/send/approval",
                    Map.of("decision", "reject")).status());
            // The update of the run's end arrives; the approval requested before it was never offered.
            Api.await(() -> updates.isEmpty() ? null : updates.get(updates.size() - 1),
                    u -> u != null && Api.task(u, "send").path("status").asText().equals("REJECTED"), Duration.ofSeconds(20),
                    "the update of the rejection");
            assertTrue(asked.isEmpty(), "a viewer may not decide");
        }
        assertEquals("alice", Api.task(admin.run(runId), "send").path("approval").path("decidedBy").asText());
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void withoutAValidTokenTheEndpointAnswers401AsTheApiDoes() throws Exception {
        HttpResponse<String> none = post(null, null, initializeBody());
        assertEquals(401, none.statusCode(), none.body());
        assertEquals("unauthorized", json(none.body()).path("error").path("code").asText());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(401, post("not-a-token", null, initializeBody()).statusCode());

        try (McpSyncClient stranger = client("not-a-token", null, null)) {
            assertThrows(RuntimeException.class, stranger::initialize);
        }
    }

    @Test
    void aSessionBelongsToItsTokenAndEndsOnDelete() throws Exception {
        HttpResponse<String> init = post(Tokens.OPERATOR, null, initializeBody());
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        String ping = "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"ping\"}";

        assertEquals(200, post(Tokens.OPERATOR, session, ping).statusCode());
        HttpResponse<String> oldVersion = send(request(Tokens.OPERATOR, session).header("MCP-Protocol-Version", "1999-01-01")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ping)));
        assertEquals(400, oldVersion.statusCode(), "a protocol version this server does not speak: " + oldVersion.body());
        // a refusal says why, as a JSON-RPC error
        assertEquals("MCP-Protocol-Version '1999-01-01'", Json.parse(oldVersion.body()).path("error").path("message").asText()
                .substring(0, "MCP-Protocol-Version '1999-01-01'".length()), oldVersion.body());
        HttpResponse<String> noStreamAccepted = send(HttpRequest.newBuilder(URI.create(server.api().base() + "/mcp"))
                .header("Authorization", "Bearer " + Tokens.OPERATOR).header("Mcp-Session-Id", session).header("Accept", "application/json").GET());
        assertEquals(406, noStreamAccepted.statusCode(), "GET is the event stream: " + noStreamAccepted.body());
        HttpResponse<String> stolen = post(Tokens.ADMIN, session, ping);
        assertEquals(403, stolen.statusCode(), "another token cannot use the session: " + stolen.body());
        assertTrue(Json.parse(stolen.body()).path("error").path("message").asText().length() > "request refused".length(), stolen.body());

        HttpResponse<String> deleted = send(request(Tokens.OPERATOR, session).DELETE());
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertEquals(404, post(Tokens.OPERATOR, session, ping).statusCode(), "the session is gone");
        assertEquals(400, post(Tokens.OPERATOR, null, ping).statusCode(), "no session id");
    }

    @Test
    void aBadArgumentIsAToolErrorNamingItAndChangesNothing() {
        try (McpSyncClient otto = client(Tokens.OPERATOR, null, null)) {
            otto.initialize();
            int runsBefore = admin.get("/api/runs?limit=500").json().path("runs").size();

            McpSchema.CallToolResult noGoal = call(otto, "start_run", Map.of("plan", json(GATED_PLAN)));
            assertEquals(Boolean.TRUE, noGoal.isError());
            assertTrue(text(noGoal).contains("goal"), text(noGoal));

            McpSchema.CallToolResult badPlan = call(otto, "start_run", Map.of("goal", "g", "plan", "not an object"));
            assertEquals(Boolean.TRUE, badPlan.isError());
            assertTrue(text(badPlan).contains("argument 'plan'"), text(badPlan));

            McpSchema.CallToolResult unknown = call(otto, "start_run", Map.of("goal", "g", "colour", "red"));
            assertEquals(Boolean.TRUE, unknown.isError());
            assertTrue(text(unknown).contains("colour"), text(unknown));

            McpSchema.CallToolResult both = call(otto, "start_run", Map.of("goal", "g", "plan", json(GATED_PLAN), "playbook", "x"));
            assertTrue(text(both).contains("argument 'playbook'"), text(both));

            McpSchema.CallToolResult invalidPlan = call(otto, "start_run", Map.of("goal", "g",
                    "plan", json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"no.such.tool\", \"args\": {}}]}")));
            assertEquals(Boolean.TRUE, invalidPlan.isError());
            assertTrue(text(invalidPlan).startsWith("plan_invalid") && text(invalidPlan).contains("no.such.tool"), text(invalidPlan));

            McpSchema.CallToolResult badDecision = call(otto, "decide_approval", Map.of("runId", "r", "taskId", "t", "decision", "maybe"));
            assertTrue(text(badDecision).contains("approver role"), "the role is checked first: " + text(badDecision));

            assertEquals(runsBefore, admin.get("/api/runs?limit=500").json().path("runs").size(), "no run was started");
        }
        try (McpSyncClient alice = client(Tokens.APPROVER, null, null)) {
            alice.initialize();
            McpSchema.CallToolResult badDecision = call(alice, "decide_approval", Map.of("runId", "r", "taskId", "t", "decision", "maybe"));
            assertEquals(Boolean.TRUE, badDecision.isError());
            assertTrue(text(badDecision).contains("argument 'decision'"), text(badDecision));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A Java SDK client with {@code token}; with an elicitation handler it declares the capability. */
    static McpSyncClient client(String token, Function<McpSchema.ElicitFormRequest, McpSchema.ElicitResult> elicitation,
                                Consumer<List<McpSchema.ResourceContents>> updates) {
        return client(server.api().base(), token, elicitation, updates);
    }

    /** As above, for the server at {@code base}; {@code token} null for a server without tokens. */
    static McpSyncClient client(String base, String token, Function<McpSchema.ElicitFormRequest, McpSchema.ElicitResult> elicitation,
                                Consumer<List<McpSchema.ResourceContents>> updates) {
        var transport = HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp")
                .httpRequestCustomizer((builder, method, uri, body, context) -> {
                    if (token != null) builder.header("Authorization", "Bearer " + token);
                })
                .build();
        var spec = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30))
                .clientInfo(new McpSchema.Implementation("baton-test", "1"));
        if (elicitation != null) {
            spec.capabilities(McpSchema.ClientCapabilities.builder().elicitation().build()).elicitation(elicitation);
        }
        if (updates != null) spec.resourcesUpdateConsumer(updates);
        return spec.build();
    }

    static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        Map<String, Object> arguments = Json.MAPPER.convertValue(Json.MAPPER.valueToTree(args), Map.class);
        return client.callTool(new McpSchema.CallToolRequest(tool, arguments));
    }

    static JsonNode structured(McpSchema.CallToolResult result) {
        assertNotEquals(Boolean.TRUE, result.isError(), () -> "tool error: " + result);
        return Json.MAPPER.valueToTree(result.structuredContent());
    }

    static String text(McpSchema.CallToolResult result) {
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    static String text(McpSchema.ResourceContents contents) {
        return ((McpSchema.TextResourceContents) contents).text();
    }

    static boolean contains(JsonNode array, String field, String value) {
        for (JsonNode item : array) if (item.path(field).asText().equals(value)) return true;
        return false;
    }

    static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    static void assertNotEquals(Object unexpected, Object actual, String message) {
        org.junit.jupiter.api.Assertions.assertNotEquals(unexpected, actual, message);
    }

    static void assertNotEquals(Object unexpected, Object actual, java.util.function.Supplier<String> message) {
        org.junit.jupiter.api.Assertions.assertNotEquals(unexpected, actual, message);
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static String initializeBody() {
        return """
                {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}""";
    }

    static HttpRequest.Builder request(String token, String session) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.api().base() + "/mcp")).timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json, text/event-stream");
        if (token != null) builder.header("Authorization", "Bearer " + token);
        if (session != null) builder.header("Mcp-Session-Id", session);
        return builder;
    }

    static HttpResponse<String> post(String token, String session, String body) {
        return send(request(token, session).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static HttpResponse<String> send(HttpRequest.Builder builder) {
        try {
            return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
