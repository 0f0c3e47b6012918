package dev.baton.runtime.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a tool's JSON schema ({@link dev.baton.tools.ToolDescriptor#parameters()}) into the
 * {@link JsonObjectSchema} LangChain4j sends as a function's parameters. The opposite of
 * {@link dev.baton.tools.annotated.LangChain4jSchemas}.
 *
 * <p>The top level becomes a {@link JsonObjectSchema} (properties, required, description,
 * additionalProperties, {@code $defs}); each property's schema is passed on verbatim as a
 * {@link JsonRawSchema}, which LangChain4j's OpenAI mapper inlines as it is. A top-level
 * keyword that a {@link JsonObjectSchema} has no place for ({@code dependentRequired},
 * {@code if}/{@code then}, {@code allOf}, {@code minProperties}...) is written into its
 * description as JSON. So nothing a schema says ({@code format}, {@code minimum},
 * {@code pattern}, {@code oneOf}...) is lost in translation, and the model sees the same schema
 * the arguments are validated against (by {@link dev.baton.tools.schema.JsonSchemaValidator}).
 */
public final class JsonSchemas {

    private JsonSchemas() {
    }

    /** Top-level keywords a {@link JsonObjectSchema} carries, or that say nothing about valid arguments. */
    private static final Set<String> CARRIED = Set.of("type", "description", "properties", "required", "additionalProperties",
            "$defs", "definitions", "title", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly");

    public static JsonObjectSchema toLangChain4j(JsonNode schema) {
        JsonObjectSchema.Builder builder = JsonObjectSchema.builder();
        if (schema == null || !schema.isObject()) return builder.build();
        ObjectNode rest = Json.object();
        schema.properties().forEach(entry -> {
            if (!CARRIED.contains(entry.getKey()) && !entry.getKey().startsWith("x-")) rest.set(entry.getKey(), entry.getValue());
        });
        String description = schema.hasNonNull("description") ? schema.get("description").asText() : null;
        if (!rest.isEmpty()) {
            description = (description == null ? "" : description + "\n") + "The arguments as a whole must also satisfy this JSON Schema: "
                    + Json.write(rest);
        }
        if (description != null) builder.description(description);
        JsonNode properties = schema.path("properties");
        if (properties.isObject()) {
            Map<String, JsonSchemaElement> elements = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = properties.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                elements.put(field.getKey(), raw(field.getValue()));
            }
            builder.addProperties(elements);
        }
        JsonNode required = schema.path("required");
        if (required.isArray() && !required.isEmpty()) {
            List<String> names = new ArrayList<>();
            required.forEach(name -> names.add(name.asText()));
            builder.required(names);
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && additional.isBoolean()) builder.additionalProperties(additional.asBoolean());
        JsonNode defs = schema.has("$defs") ? schema.get("$defs") : schema.get("definitions");
        if (defs != null && defs.isObject() && !defs.isEmpty()) {
            Map<String, JsonSchemaElement> definitions = new LinkedHashMap<>();
            defs.fields().forEachRemaining(d -> definitions.put(d.getKey(), raw(d.getValue())));
            builder.definitions(definitions);
        }
        return builder.build();
    }

    private static JsonSchemaElement raw(JsonNode schema) {
        return JsonRawSchema.from(Json.write(schema.isObject() ? schema : Json.object()));
    }

    /** The schema back as JSON, for tests and diagnostics. */
    static ObjectNode toJson(JsonObjectSchema schema) {
        return dev.baton.tools.annotated.LangChain4jSchemas.toJson(schema);
    }
}
