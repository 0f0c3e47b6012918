package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Tokens;
import dev.baton.tools.schema.JsonSchemaValidator;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.SpecVersion;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document at {@code /api/openapi.json} (issue 15, the contract): it agrees with the
 * server's router both ways, a real OpenAPI parser reads it without a complaint, its event
 * schemas are the run events' records, and request bodies are checked against it.
 */
class OpenApiContractTest {
    static final String PLAN = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"v\": 1}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config);
    static final Api anonymous = servers.api();
    static final Api admin = anonymous.as(Tokens.ADMIN);

    private static JsonNode document() {
        Api.Response answer = anonymous.get(OpenApi.PATH);
        assertEquals(200, answer.status(), "the document needs no token: " + answer.body());
        assertTrue(answer.header("Content-Type").startsWith("application/json"), answer.header("Content-Type"));
        return answer.json();
    }

    /** "GET /api/runs/{}" for "GET" and "/api/runs/:id" or "/api/runs/{id}". */
    private static String operation(String method, String path) {
        return method.toUpperCase(Locale.ROOT) + " " + path.replaceAll(":[A-Za-z0-9_]+", "{}").replaceAll("\\{[^}]+}", "{}");
    }

    @Test
    void theDocumentDescribesEveryRouteOfTheRouterAndNoOther() {
        // The router's routes with a method and a plain path. Out of the comparison: routes for every method (handlers that
        // check or prepare a request and pass it on: tokens, limits, bodies, the /api 404 and the 405 of /mcp), wildcard
        // paths (the console's static files under /*, /webjars/*, and /api/* itself), and the console's views, one regex
        // route, which the document spells out path by path (checked below by asking for each).
        Set<String> routed = new TreeSet<>();
        int regexRoutes = 0;
        for (Route route : servers.server().server().router().getRoutes()) {
            if (route.isRegexPath() && route.getPath() == null) { // a path with :params is a regex too, but keeps its path
                regexRoutes++;
                continue;
            }
            Set<HttpMethod> methods = route.methods();
            if (route.getPath() == null || methods == null || methods.isEmpty() || route.getPath().endsWith("*")) continue;
            for (HttpMethod method : methods) routed.add(operation(method.name(), route.getPath()));
        }
        assertEquals(1, regexRoutes, "the console's views are the router's only regex route");

        JsonNode doc = document();
        Set<String> documented = new TreeSet<>();
        List<String> consoleViews = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                boolean console = op.getValue().path("tags").toString().contains("\"console\"");
                if (console) consoleViews.add(path.getKey());
                else documented.add(operation(op.getKey(), path.getKey()));
            }
        }
        Set<String> undocumented = new TreeSet<>(routed);
        undocumented.removeAll(documented);
        Set<String> unrouted = new TreeSet<>(documented);
        unrouted.removeAll(routed);
        assertAll(() -> assertEquals(Set.of(), undocumented, "routes of the router that the OpenAPI document does not describe"),
                () -> assertEquals(Set.of(), unrouted, "operations of the OpenAPI document that the router does not have"));
        assertTrue(routed.size() > 30, "the comparison saw the routes: " + routed);

        // The console's views: each documented one answers with the console's page, and the regex route takes no other view.
        assertEquals(12, consoleViews.size(), consoleViews.toString());
        for (String view : consoleViews) {
            Api.Response page = anonymous.get(view.replace("{item}", "r_x"));
            assertEquals(200, page.status(), view);
            assertTrue(page.header("Content-Type").startsWith("text/html"), view + ": " + page.header("Content-Type"));
        }
        assertEquals(404, anonymous.get("/nowhere/r_x").status(), "not a console view");
    }

    @Test
    void aRealOpenApiParserReadsTheDocumentWithoutAComplaint() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(document().toString(), null, options);
        assertEquals(List.of(), result.getMessages(), "errors and warnings of swagger-parser");
        OpenAPI api = result.getOpenAPI();
        assertNotNull(api);
        assertEquals(SpecVersion.V31, api.getSpecVersion());
        assertEquals("3.1.0", api.getOpenapi());
        assertTrue(api.getComponents().getSecuritySchemes().containsKey("bearer"));
        assertTrue(api.getPaths().get("/api/runs").getPost().getRequestBody() != null);
        // Every schema a $ref names exists (the parser resolved them: a dangling one is a message above).
        assertTrue(api.getComponents().getSchemas().containsKey("ApiError"));
    }

    @Test
    void everyRunEventTypeHasASchemaWithTheFieldsOfItsRecord() {
        JsonNode schemas = document().path("components").path("schemas");
        Set<String> types = new TreeSet<>();
        for (Class<?> type : EventData.class.getPermittedSubclasses()) {
            if (type.isRecord()) types.add(type.getSimpleName());
            if (type == EventData.TaskEvent.class) {
                for (Class<?> sub : type.getPermittedSubclasses()) types.add(sub.getSimpleName());
            }
        }
        Set<String> documented = new TreeSet<>();
        schemas.fieldNames().forEachRemaining(name -> {
            if (name.startsWith("EventData.")) documented.add(name.substring("EventData.".length()));
        });
        assertEquals(types, documented, "the run event types and their schemas");
        JsonNode typeEnum = schemas.path("RunEvent").path("properties").path("type").path("enum");
        assertEquals(types, new TreeSet<>(Json.MAPPER.convertValue(typeEnum, List.class)), "RunEvent.type's values");
        for (Class<?> type : allRecords()) {
            Set<String> fields = Arrays.stream(type.getRecordComponents()).map(c -> c.getName()).collect(Collectors.toCollection(TreeSet::new));
            Set<String> properties = new TreeSet<>();
            schemas.path("EventData." + type.getSimpleName()).path("properties").fieldNames().forEachRemaining(properties::add);
            assertEquals(fields, properties, type.getSimpleName() + "'s fields");
        }
    }

    private static List<Class<?>> allRecords() {
        List<Class<?>> records = new ArrayList<>();
        for (Class<?> type : EventData.class.getPermittedSubclasses()) {
            if (type.isRecord()) records.add(type);
            if (type == EventData.TaskEvent.class) records.addAll(Arrays.asList(type.getPermittedSubclasses()));
        }
        return records;
    }

    @Test
    void anUnknownTopLevelFieldIs400NamingItAndChangesNothing() {
        String goal = "openapi-planz-" + System.nanoTime();
        Api.Response refused = admin.post("/api/runs", "{\"goal\": \"" + goal + "\", \"planz\": " + PLAN + "}");
        JsonNode error = assertError(refused, 400, "bad_request", "unknown field 'planz'", "POST /api/runs", "goal, input, plan, options");
        assertEquals("[\"planz\"]", error.path("details").path("unknownFields").toString());
        assertEquals(0, admin.get("/api/runs?limit=500").json().path("runs").findValues("goal").stream()
                .filter(g -> g.asText().equals(goal)).count(), "no run was created");

        // The same body without the typo is a run.
        Api.Response created = admin.post("/api/runs", "{\"goal\": \"" + goal + "\", \"plan\": " + PLAN + "}");
        assertEquals(201, created.status(), created.body());
    }

    @Test
    void everyOperationWithAJsonBodyRefusesAnUnknownTopLevelField() {
        JsonNode doc = document();
        int checked = 0;
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            if (!path.getKey().startsWith("/api/")) continue; // /mcp: JSON-RPC, the MCP SDK's to check
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                JsonNode schema = op.getValue().path("requestBody").path("content").path("application/json").path("schema");
                if (schema.isMissingNode() || !schema.has("$ref")) continue;
                JsonNode target = doc.at("/components/schemas/" + schema.path("$ref").asText().substring("#/components/schemas/".length()));
                if (!target.path("additionalProperties").isBoolean()) continue; // "any JSON body" (trigger events)
                String url = path.getKey().replaceAll("\\{[^}]+}", "nosuch");
                Api.Response answer = admin.post(url, "{\"typo\": 1}");
                assertError(answer, 400, "bad_request", "unknown field 'typo'", op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                checked++;
            }
        }
        assertEquals(7, checked, "runs, messages, plan and task approvals, tickets, ticket routes, triggers");
    }

    @Test
    void theRequestSchemasAcceptWhatClientsSend() {
        // Bodies as the README, the console and the tests send them: the document must take every field (types included).
        ObjectNode doc = (ObjectNode) document();
        OpenApi contract = new OpenApi(doc);
        assertValid(doc, "RunRequest", "{\"goal\": \"g\", \"input\": {\"x\": 1}, \"plan\": " + PLAN
                + ", \"options\": {\"planApproval\": true, \"planner\": \"playbook\", \"maxTokens\": 1000}}");
        assertValid(doc, "MessageRequest", "{\"text\": \"also do X\"}");
        assertValid(doc, "PlanDecisionRequest", "{\"decision\": \"approve\", \"plan\": " + PLAN + ", \"comment\": \"ok\"}");
        assertValid(doc, "ApprovalDecisionRequest", "{\"decision\": \"reject\", \"comment\": null, \"args\": {\"a\": 1}, \"by\": \"m\"}");
        assertValid(doc, "TicketRequest", "{\"subject\": \"s\", \"body\": \"b\", \"customer\": {\"email\": \"a@b.c\"}, \"channel\": \"email\", \"externalId\": \"e1\"}");
        assertValid(doc, "RouteRequest", "{\"category\": \"card_arrival\", \"queue\": \"cards\", \"comment\": \"c\"}");
        assertValid(doc, "TriggerRequest", "{\"name\": \"n\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT10S\", \"overlap\": \"skip\"}, \"plan\": " + PLAN
                + ", \"input\": {}}");
        assertNotNull(contract.document());
    }

    @Test
    void theAnswersMatchTheirResponseSchemas() {
        // A run with a gate: the run, the inbox, the decision's task, every event of the stream (each type's data by its
        // EventData schema), and the catalogue's and health's answers, each checked against the schema the document gives it.
        ObjectNode doc = (ObjectNode) document();
        String plan = "{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {\"v\": 1}, \"approval\": \"required\"},"
                + " {\"id\": \"b\", \"tool\": \"echo\", \"args\": {}, \"dependsOn\": [\"gate\"]}]}";
        Api.Response created = admin.post("/api/runs", "{\"goal\": \"openapi responses\", \"plan\": " + plan + "}");
        assertEquals(201, created.status(), created.body());
        assertValid(doc, "Run", created.body());
        String runId = created.json().path("id").asText();
        assertValid(doc, "Run", admin.awaitTaskStatus(runId, "gate", "WAITING_APPROVAL").toString());
        for (JsonNode item : admin.get("/api/approvals").json()) assertValid(doc, "ApprovalItem", item.toString());
        Api.Response decided = admin.post("/api/runs/" + runId + "/tasks/gate/approval", "{\"decision\": \"approve\", \"comment\": \"ok\"}");
        assertEquals(200, decided.status(), decided.body());
        assertValid(doc, "Task", decided.body());
        assertValid(doc, "Run", admin.awaitRunStatus(runId, "SUCCEEDED").toString());
        List<JsonNode> events = admin.events(runId, null, 1000);
        assertTrue(events.size() > 5, events.toString());
        for (JsonNode event : events) assertValid(doc, "RunEvent", event.toString());
        assertValid(doc, "RunPage", admin.get("/api/runs?limit=5").body());
        assertValid(doc, "Health", admin.get("/api/health").body());
        assertValid(doc, "Probe", anonymous.get("/health/live").body());
        assertValid(doc, "Probe", anonymous.get("/health/ready").body());
        assertValid(doc, "Me", admin.get("/api/me").body());
        assertValid(doc, "Cluster", admin.get("/api/cluster").body());
        assertValid(doc, "MetricsSummary", admin.get("/api/metrics/summary").body());
        for (JsonNode tool : admin.get("/api/tools").json()) assertValid(doc, "Tool", tool.toString());
        for (JsonNode playbook : admin.get("/api/playbooks").json()) assertValid(doc, "Playbook", playbook.toString());
        for (JsonNode agent : admin.get("/api/agents").json()) assertValid(doc, "Agent", agent.toString());
        Api.Response trigger = admin.post("/api/triggers", "{\"name\": \"openapi-t\", \"goal\": \"g\", \"event\": {}, \"plan\": " + PLAN + "}");
        assertEquals(201, trigger.status(), trigger.body());
        assertValid(doc, "Trigger", trigger.body());
        assertValid(doc, "ApiError", admin.get("/api/runs/r_nosuch").body());
    }

    /** Checks {@code body} against the document's schema {@code schema} (components.schemas as $defs) with the project's validator. */
    private static void assertValid(ObjectNode doc, String schema, String body) {
        ObjectNode root = Json.object();
        root.put("$ref", "#/$defs/" + schema);
        root.set("$defs", doc.path("components").path("schemas"));
        try {
            JsonNode bundled = Json.parse(root.toString().replace("#/components/schemas/", "#/$defs/"));
            assertEquals(List.of(), JsonSchemaValidator.validate(bundled, Json.parse(body)), schema + " takes " + body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theDocumentAndItsPageNeedNoTokenWhileTheApiDoes() {
        assertEquals(200, anonymous.get(OpenApi.PATH).status());
        Api.Response page = anonymous.get("/api/docs");
        assertEquals(200, page.status(), page.body());
        assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
        assertNotNull(page.header("Content-Security-Policy"), "the page is sent with the console's CSP");
        assertTrue(page.body().contains("/webjars/swagger-ui/"), page.body());
        for (String asset : List.of("/webjars/swagger-ui/5.35.0/swagger-ui-bundle.js", "/webjars/swagger-ui/5.35.0/swagger-ui.css", "/api-docs/docs.js")) {
            assertTrue(page.body().contains(asset), asset);
            assertEquals(200, anonymous.get(asset).status(), asset);
        }
        assertTrue(anonymous.get("/api-docs/docs.js").body().contains(OpenApi.PATH));
        assertError(anonymous.get("/api/runs"), 401, "unauthorized");
        assertFalse(document().path("paths").path(OpenApi.PATH).path("get").path("security").isMissingNode(),
                "the document says that it needs no token");
    }
}
