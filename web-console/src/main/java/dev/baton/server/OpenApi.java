package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.schema.JsonPaths;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API's contract: the OpenAPI 3.1 document {@value #RESOURCE} (hand-maintained, served at
 * {@value #PATH}), and the check of request bodies against its request schemas.
 *
 * <p>The check is the project's JSON Schema validator ({@link JsonSchemaValidator}, draft
 * 2020-12, which is what an OpenAPI 3.1 schema is) run on the operation's request schema, with
 * the document's {@code components.schemas} as its {@code $defs}. It answers one question the
 * handlers do not: an unknown top-level field (a typo such as {@code "planz"}) is a 400 naming it,
 * before anything happens. The fields' types and required-ness, documented in the same schemas,
 * stay with the handlers and the domain's parsers (plans, triggers), whose errors say more
 * (the code {@code plan_invalid} with every problem and a did-you-mean, {@code trigger_invalid}
 * naming the field) and which the other front doors (MCP, the Java API) share.
 */
final class OpenApi {
    /** Where the document is served. */
    static final String PATH = "/api/openapi.json";
    /** The document on the class path. */
    static final String RESOURCE = "openapi/openapi.json";

    private static final String COMPONENT_REF = "#/components/schemas/";
    private static final String DEFS_REF = "#/$defs/";

    private final ObjectNode document;
    private final String text;
    private final List<Operation> bodies = new ArrayList<>();

    /** An operation that takes a JSON body: its method, its path as a pattern, its request schema and the fields it knows. */
    private record Operation(HttpMethod method, String path, Pattern pattern, JsonNode schema, List<String> known) {
    }

    OpenApi(ObjectNode document) {
        this.document = document;
        this.text = document.toString();
        ObjectNode defs = (ObjectNode) refsToDefs(document.path("components").path("schemas").deepCopy());
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                JsonNode schema = operation.getValue().path("requestBody").path("content").path("application/json").path("schema");
                if (schema.isMissingNode()) continue;
                ObjectNode root = (ObjectNode) refsToDefs(schema.deepCopy());
                // Only the definitions this schema reaches: checking and compiling all of them for every operation
                // cost the start about half a second of CPU, for parts that no request body could ever meet.
                root.set("$defs", reachable(root, defs));
                Pattern pattern = Pattern.compile(path.getKey().replaceAll("\\{[^}/]+}", "[^/]+"));
                bodies.add(new Operation(HttpMethod.valueOf(operation.getKey().toUpperCase(Locale.ROOT)), path.getKey(), pattern, root,
                        known(schema, document)));
            }
        }
        // Compiled now: a request schema the validator refuses (a keyword it does not know) fails the start, not a request.
        for (Operation op : bodies) {
            List<SchemaViolation> problems = JsonSchemaValidator.schemaProblems(op.schema(), "requestBody");
            if (!problems.isEmpty()) {
                throw new IllegalStateException(RESOURCE + ": the request schema of " + op.method() + " " + op.path() + " cannot be used: " + problems);
            }
        }
    }

    /** The document bundled with the server. */
    static OpenApi bundled() {
        try (InputStream in = OpenApi.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the class path");
            return new OpenApi((ObjectNode) Json.MAPPER.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ObjectNode document() {
        return document.deepCopy();
    }

    /** {@code GET /api/openapi.json}. */
    void serve(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/json; charset=utf-8").end(text);
    }

    /**
     * Route handler for {@code /api}, after the body is read: a JSON object body of an operation
     * that the document gives a request schema is checked against it; an unknown top-level field
     * is a 400 ({@code bad_request}) naming every such field and the known ones, and the request
     * goes no further. The parsed body is kept for {@link Bodies#object(RoutingContext)}. Bodies
     * that do not parse, or are not objects, are left to the handler, which says what is wrong.
     */
    void checkBody(RoutingContext ctx) {
        Operation op = operation(ctx.request().method(), ctx.request().path());
        if (op == null || ctx.body() == null || ctx.body().length() == 0) {
            ctx.next();
            return;
        }
        ObjectNode body;
        try {
            body = Bodies.object(ctx);
        } catch (ApiError notAnObject) {
            ctx.next();
            return;
        }
        List<SchemaViolation> violations = JsonSchemaValidator.validate(op.schema(), body);
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            String at = JsonPaths.property(JsonSchemaValidator.ROOT, name);
            // ViolationMessages words an additionalProperties failure "unknown property '<name>'", at the property's path.
            if (violations.stream().anyMatch(v -> v.path().equals(at) && v.message().startsWith("unknown property"))) unknown.add(name);
        }
        if (unknown.isEmpty()) {
            ctx.next();
            return;
        }
        ObjectNode details = Json.object();
        ArrayNode fields = details.putArray("unknownFields");
        unknown.forEach(fields::add);
        ArrayNode known = details.putArray("knownFields");
        op.known().forEach(known::add);
        details.put("schema", PATH);
        throw new ApiError(400, "bad_request", (unknown.size() == 1 ? "unknown field '" + unknown.get(0) + "'"
                : "unknown fields '" + String.join("', '", unknown) + "'") + " in the body of " + op.method() + " " + op.path()
                + "; known fields: " + String.join(", ", op.known()) + " (see " + PATH + ")", details);
    }

    private Operation operation(HttpMethod method, String path) {
        for (Operation op : bodies) {
            if (op.method().equals(method) && op.pattern().matcher(path).matches()) return op;
        }
        return null;
    }

    /** The schema's documented top-level fields (of the component it refers to), less those marked deprecated. */
    private static List<String> known(JsonNode schema, JsonNode document) {
        JsonNode target = schema;
        if (schema.path("$ref").asText().startsWith(COMPONENT_REF)) {
            target = document.path("components").path("schemas").path(schema.path("$ref").asText().substring(COMPONENT_REF.length()));
        }
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : target.path("properties").properties()) {
            if (!p.getValue().path("deprecated").asBoolean(false)) names.add(p.getKey());
        }
        return names;
    }

    /** The definitions of {@code defs} that {@code schema} refers to, directly or through other definitions. */
    private static ObjectNode reachable(JsonNode schema, ObjectNode defs) {
        ObjectNode reached = Json.object();
        List<JsonNode> todo = new ArrayList<>(List.of(schema));
        while (!todo.isEmpty()) {
            JsonNode node = todo.remove(todo.size() - 1);
            for (JsonNode ref : node.findValues("$ref")) {
                String name = ref.isTextual() && ref.textValue().startsWith(DEFS_REF) ? ref.textValue().substring(DEFS_REF.length()) : null;
                if (name == null || reached.has(name) || !defs.has(name)) continue;
                reached.set(name, defs.get(name));
                todo.add(defs.get(name));
            }
        }
        return reached;
    }

    /** The schema with every {@code $ref} to {@code #/components/schemas/X} turned to {@code #/$defs/X}. */
    private static JsonNode refsToDefs(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            for (Map.Entry<String, JsonNode> e : obj.properties()) {
                if (e.getKey().equals("$ref") && e.getValue().isTextual() && e.getValue().textValue().startsWith(COMPONENT_REF)) {
                    e.setValue(Json.MAPPER.getNodeFactory().textNode(DEFS_REF + e.getValue().textValue().substring(COMPONENT_REF.length())));
                } else {
                    refsToDefs(e.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(OpenApi::refsToDefs);
        }
        return node;
    }
}
