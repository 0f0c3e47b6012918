package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import dev.baton.tools.ToolDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secrets kept from viewers, over HTTP: argument, input and output values under keys named like
 * credentials are masked for a viewer in the run, the approvals inbox and both event streams,
 * and shown as they are to operators, approvers and admins (an approver who edits the arguments
 * sends the real values back, never the mask); the model's base URL in {@code /api/health}
 * carries no credentials for anyone.
 */
class SecretsMaskedApiTest {
    static final Duration T = Duration.ofSeconds(15);
    /** In the task's arguments (and so in its output: the tool echoes them). */
    static final List<String> ARG_SECRETS = List.of("hunter2", "K3Y-1", "BEARER-1", "XKEY-1", "PASS-1", "SEC-1", "TOK-1");
    /** The arguments' and the run input's. */
    static final List<String> SECRETS = java.util.stream.Stream.concat(ARG_SECRETS.stream(), java.util.stream.Stream.of("IN-KEY-1")).toList();
    static final String PLAN = """
            {"tasks": [{"id": "call", "title": "Call the vault", "tool": "vault.call", "args": {
              "url": "https://bob:hunter2@api.example.com/v1/items?api_key=K3Y-1&page=2",
              "headers": {"Authorization": "Bearer BEARER-1", "X-Api-Key": "XKEY-1", "Accept": "application/json"},
              "body": {"user": "bob", "password": "PASS-1", "nested": [{"client_secret": "SEC-1", "count": 3}]},
              "access_token": "TOK-1", "maxTokens": 50, "note": "plain text"}}]}""";

    static TestTools.Recording vault = TestTools.gatedEcho("vault.call");
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config, registry -> {
        ObjectNode schema = (ObjectNode) TestTools.json("""
                {"type": "object", "properties": {"user": {"type": "string"}, "password": {"type": "string", "minLength": 8}}}""");
        registry.register(vault);
        registry.register(new TestTools.Recording(ToolDescriptor.builder("form.fill").description("fills a login form")
                .parameters(schema).build()));
    });
    static final Api viewer = servers.api().as(Tokens.VIEWER);
    static final Api operator = servers.api().as(Tokens.OPERATOR);
    static final Api approver = servers.api().as(Tokens.APPROVER);
    static final Api admin = servers.api().as(Tokens.ADMIN);

    private static void assertNoSecret(String text, String where) {
        for (String secret : SECRETS) assertFalse(text.contains(secret), where + " shows '" + secret + "': " + text);
    }

    private static void assertAllSecrets(String text, String where) {
        assertAllSecrets(SECRETS, text, where);
    }

    private static void assertAllSecrets(List<String> secrets, String text, String where) {
        for (String secret : secrets) assertTrue(text.contains(secret), where + " lacks '" + secret + "': " + text);
    }

    /** The arguments as a viewer sees them. */
    private static void assertMaskedArgs(JsonNode args) {
        assertEquals("https://***@api.example.com/v1/items?api_key=***&page=2", args.path("url").asText());
        assertEquals(Redaction.MASK, args.path("headers").path("Authorization").asText());
        assertEquals(Redaction.MASK, args.path("headers").path("X-Api-Key").asText());
        assertEquals("application/json", args.path("headers").path("Accept").asText());
        assertEquals("bob", args.path("body").path("user").asText());
        assertEquals(Redaction.MASK, args.path("body").path("password").asText());
        assertEquals(Redaction.MASK, args.path("body").path("nested").get(0).path("client_secret").asText());
        assertEquals(3, args.path("body").path("nested").get(0).path("count").asInt());
        assertEquals(Redaction.MASK, args.path("access_token").asText());
        assertEquals(50, args.path("maxTokens").asInt(), "a token count is no token");
        assertTrue(args.path("maxTokens").isNumber());
    }

    @Test
    void aViewerSeesCredentialsMaskedEverywhereAndTheOtherRolesSeeThemAsTheyAre() throws Exception {
        try (Sse viewerAll = Sse.open(viewer, "/api/events", Map.of(), T); Sse adminAll = Sse.open(admin, "/api/events", Map.of(), T)) {
            assertEquals(200, viewerAll.status(), viewerAll.errorBody());
            assertEquals(200, adminAll.status(), adminAll.errorBody());
            ObjectNode body = Json.object();
            body.put("goal", "call the vault");
            body.putObject("input").put("apiKey", "IN-KEY-1").put("customer", "c-1");
            body.set("plan", TestTools.json(PLAN));
            Api.Response created = operator.post("/api/runs", body);
            assertEquals(201, created.status(), created.body());
            assertAllSecrets(created.body(), "the operator's own answer");
            String runId = created.json().path("id").asText();
            admin.awaitTaskStatus(runId, "call", "WAITING_APPROVAL");

            // the run
            Api.Response seen = viewer.get("/api/runs/" + runId);
            assertEquals(200, seen.status());
            assertNoSecret(seen.body(), "the run shown to a viewer");
            assertMaskedArgs(Api.task(seen.json(), "call").path("args"));
            assertEquals(Redaction.MASK, seen.json().path("input").path("apiKey").asText());
            assertEquals("c-1", seen.json().path("input").path("customer").asText());
            for (Api as : List.of(operator, approver, admin)) assertAllSecrets(as.get("/api/runs/" + runId).body(), "the run");

            // the inbox
            JsonNode inbox = Api.await(() -> viewer.get("/api/approvals").json(), list -> list.size() > 0, T, "the approval in the inbox");
            assertNoSecret(inbox.toString(), "the approvals shown to a viewer");
            assertMaskedArgs(inbox.get(0).path("args"));
            JsonNode real = approver.get("/api/approvals").json().get(0).path("args");
            assertAllSecrets(ARG_SECRETS, real.toString(), "the approvals shown to an approver");

            // an approver edits what they see (the real values) and approves: the tool gets the real secrets
            ObjectNode edited = real.deepCopy();
            edited.put("note", "edited by alice");
            ObjectNode decision = Json.object().put("decision", "approve");
            decision.set("args", edited);
            Api.Response approved = approver.post("/api/runs/" + runId + "/tasks/call/approval", decision);
            assertEquals(200, approved.status(), approved.body());
            JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
            JsonNode called = vault.calls().get(vault.calls().size() - 1);
            assertAllSecrets(ARG_SECRETS, called.toString(), "the tool's arguments");
            assertEquals("edited by alice", called.path("note").asText());
            assertFalse(called.toString().contains(Redaction.MASK), "never the mask: " + called);
            assertAllSecrets(ARG_SECRETS, Api.task(done, "call").path("output").toString(), "the output shown to an admin");
            Api.Response after = viewer.get("/api/runs/" + runId);
            assertNoSecret(after.body(), "the finished run shown to a viewer");
            assertMaskedArgs(Api.task(after.json(), "call").path("output"));

            // the run's stream, replayed
            try (Sse sse = Sse.open(viewer, "/api/runs/" + runId + "/events", Map.of(), T)) {
                List<Sse.Event> events = sse.readToEnd(T);
                assertEquals("RunSucceeded", events.get(events.size() - 1).type());
                assertNoSecret(events.stream().map(e -> e.data().toString()).toList().toString(), "the run's stream to a viewer");
                JsonNode started = events.stream().filter(e -> e.type().equals("TaskStarted")).findFirst().orElseThrow().data();
                assertMaskedArgs(started.path("data").path("args"));
            }
            try (Sse sse = Sse.open(operator, "/api/runs/" + runId + "/events", Map.of(), T)) {
                assertAllSecrets(sse.readToEnd(T).stream().map(e -> e.data().toString()).toList().toString(), "the run's stream to an operator");
            }
            // the all-runs streams, live: the same events, masked for the viewer only
            List<Sse.Event> viewerLive = viewerAll.readUntil(e -> e.runId().equals(runId) && e.type().equals("RunSucceeded"), T);
            List<Sse.Event> adminLive = adminAll.readUntil(e -> e.runId().equals(runId) && e.type().equals("RunSucceeded"), T);
            assertNoSecret(viewerLive.stream().map(e -> e.data().toString()).toList().toString(), "/api/events to a viewer");
            assertAllSecrets(adminLive.stream().map(e -> e.data().toString()).toList().toString(), "/api/events to an admin");
            assertEquals(adminLive.stream().map(Sse.Event::seq).toList(), viewerLive.stream().map(Sse.Event::seq).toList(),
                    "both saw the same events");
        }
    }

    @Test
    void theToolCatalogueShowsSchemasWhole() {
        JsonNode tools = viewer.get("/api/tools").json();
        for (JsonNode tool : tools) {
            if (!tool.path("name").asText().equals("form.fill")) continue;
            assertEquals(8, tool.path("parameters").path("properties").path("password").path("minLength").asInt(),
                    "a parameter named password is a schema, not a secret: " + tool);
            return;
        }
        throw new AssertionError("no form.fill in " + tools);
    }

    @Test
    void theHealthShowsTheModelsBaseUrlWithoutCredentials() {
        ModelConfig model = ModelConfig.builder().baseUrl("https://modeluser:M0DEL-PASS@models.example.com:8443/v1?api-key=QUERY-KEY#frag")
                .model("m-1").apiKey("sk-not-shown").build();
        try (TestServer withModel = TestServer.start(TestServer.config().withModel(model), r -> {
        })) {
            Api.Response health = withModel.api().get("/api/health");
            assertEquals(200, health.status(), health.body());
            assertEquals("https://models.example.com:8443/v1", health.json().path("model").path("baseUrl").asText(), health.body());
            assertEquals("m-1", health.json().path("model").path("name").asText());
            for (String secret : List.of("modeluser", "M0DEL-PASS", "QUERY-KEY", "sk-not-shown")) {
                assertFalse(health.body().contains(secret), "health shows '" + secret + "': " + health.body());
            }
        }
    }
}
