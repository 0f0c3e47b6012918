package dev.baton.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import io.vertx.ext.web.RoutingContext;

/** Reading request bodies: JSON only, with errors that name the field and the expected type. */
final class Bodies {
    /** Exactly one JSON value per body: {@code {...} trailing} is malformed, not the object it starts with. */
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Bodies() {
    }

    /** The body as a JSON object; 415 if it is not sent as JSON, 400 if it does not parse or is not an object. */
    static ObjectNode object(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) throw ApiError.badRequest("the request needs a JSON object as its body");
        if (type != null && !type.toLowerCase().startsWith("application/json") && !type.toLowerCase().contains("+json")) {
            throw new ApiError(415, "unsupported_media_type", "send the body as application/json, not " + type);
        }
        JsonNode node;
        try {
            node = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw ApiError.badRequest("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode obj)) throw ApiError.badRequest("the body must be a JSON object, not " + kind(node));
        return obj;
    }

    /** An optional string field; 400 if present with another type. */
    static String string(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return null;
        if (!value.isTextual()) throw ApiError.badRequest("field '" + field + "' must be a string, not " + kind(value));
        return value.textValue();
    }

    /** An optional object field; 400 if present with another type. */
    static ObjectNode object(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return null;
        if (!(value instanceof ObjectNode obj)) throw ApiError.badRequest("field '" + field + "' must be an object, not " + kind(value));
        return obj;
    }

    static String kind(JsonNode node) {
        if (node == null || node.isNull()) return "null";
        if (node.isTextual()) return "a string";
        if (node.isNumber()) return "a number";
        if (node.isBoolean()) return "a boolean";
        if (node.isArray()) return "an array";
        return "an object";
    }
}
