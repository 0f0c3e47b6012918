package dev.baton.tools.annotated;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;

import java.util.Map;

/**
 * Turns LangChain4j's schema model ({@link JsonSchemaElement} and its subclasses) into plain JSON
 * schema, the form Baton keeps in {@link dev.baton.tools.ToolDescriptor#parameters()}.
 *
 * <p>LangChain4j has a map converter of its own, but in its {@code internal} package, which is no
 * public API; the element classes walked here are. The output matches what LangChain4j sends to
 * a model: {@code type}, {@code description}, {@code properties}, {@code required},
 * {@code additionalProperties}, {@code enum}, {@code items}, {@code anyOf}, and recursive types
 * as {@code $ref: "#/$defs/<name>"} with the definitions under {@code $defs}.
 */
public final class LangChain4jSchemas {

    private LangChain4jSchemas() {
    }

    /** The JSON schema of an object schema; {@code null} (LangChain4j's "no parameters") gives an empty object schema. */
    public static ObjectNode toJson(JsonObjectSchema schema) {
        if (schema == null) {
            return dev.baton.tools.ToolDescriptor.emptyObjectSchema();
        }
        return toJson((JsonSchemaElement) schema);
    }

    /** The JSON schema of any schema element. */
    public static ObjectNode toJson(JsonSchemaElement element) {
        ObjectNode node = Json.object();
        if (element instanceof JsonObjectSchema object) {
            node.put("type", "object");
            describe(node, element);
            ObjectNode properties = node.putObject("properties");
            object.properties().forEach((name, property) -> properties.set(name, toJson(property)));
            if (object.required() != null && !object.required().isEmpty()) {
                ArrayNode required = node.putArray("required");
                object.required().forEach(required::add);
            }
            if (object.additionalProperties() != null) {
                node.put("additionalProperties", object.additionalProperties());
            }
            putDefinitions(node, object.definitions());
        } else if (element instanceof JsonArraySchema array) {
            node.put("type", "array");
            describe(node, element);
            if (array.items() != null) {
                node.set("items", toJson(array.items()));
            }
        } else if (element instanceof JsonEnumSchema enumeration) {
            node.put("type", "string");
            describe(node, element);
            ArrayNode values = node.putArray("enum");
            enumeration.enumValues().forEach(values::add);
        } else if (element instanceof JsonStringSchema) {
            node.put("type", "string");
            describe(node, element);
        } else if (element instanceof JsonIntegerSchema) {
            node.put("type", "integer");
            describe(node, element);
        } else if (element instanceof JsonNumberSchema) {
            node.put("type", "number");
            describe(node, element);
        } else if (element instanceof JsonBooleanSchema) {
            node.put("type", "boolean");
            describe(node, element);
        } else if (element instanceof JsonNullSchema) {
            node.put("type", "null");
        } else if (element instanceof JsonReferenceSchema reference) {
            node.put("$ref", "#/$defs/" + reference.reference());
            describe(node, element);
        } else if (element instanceof JsonAnyOfSchema anyOf) {
            describe(node, element);
            ArrayNode options = node.putArray("anyOf");
            anyOf.anyOf().forEach(option -> options.add(toJson(option)));
        } else if (element instanceof JsonRawSchema raw) {
            return parseRaw(raw);
        } else {
            throw new IllegalArgumentException("unsupported LangChain4j schema element: " + element.getClass().getName());
        }
        return node;
    }

    private static void describe(ObjectNode node, JsonSchemaElement element) {
        if (element.description() != null && !element.description().isBlank()) {
            node.put("description", element.description());
        }
    }

    private static void putDefinitions(ObjectNode node, Map<String, JsonSchemaElement> definitions) {
        if (definitions != null && !definitions.isEmpty()) {
            ObjectNode defs = node.putObject("$defs");
            definitions.forEach((name, definition) -> defs.set(name, toJson(definition)));
        }
    }

    private static ObjectNode parseRaw(JsonRawSchema raw) {
        try {
            JsonNode parsed = Json.parse(raw.schema());
            if (parsed instanceof ObjectNode object) {
                return object;
            }
            throw new IllegalArgumentException("a raw JSON schema must be a JSON object, was: " + raw.schema());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a raw JSON schema is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
