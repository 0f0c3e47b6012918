package dev.baton.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** Reading request bodies: JSON only, with errors that name the field and the expected type. */
final class Bodies {
    /** Exactly one JSON value per body: {@code {...} trailing} is malformed, not the object it starts with. */
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Bodies() {
    }

    /**
     * Route handler for {@code /api}, before the body is read: a request other than GET, HEAD or
     * OPTIONS that carries a body or names a {@code Content-Type} must be {@code application/json}
     * (a charset parameter is fine, and so is {@code application/*+json}); 415 otherwise, before the
     * body is buffered. This also shuts out the requests a browser sends cross-site without asking
     * (a form post, a {@code fetch} with a text/plain or typeless body), which matters when the
     * server runs without tokens. A POST with no body and no type (e.g. {@code curl -X POST
     * .../cancel}) passes; from a browser such a request carries an Origin, which {@link HostGuard} checks.
     */
    static void requireJson(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpMethod method = request.method();
        if (method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS) {
            ctx.next();
            return;
        }
        String type = request.getHeader("Content-Type");
        if (type == null ? hasBody(request) : !isJson(type)) {
            ApiError.send(ctx, new ApiError(415, "unsupported_media_type", type == null
                    ? "the request has a body but no Content-Type: send it as application/json"
                    : "send the body as application/json, not " + type));
            return;
        }
        ctx.next();
    }

    /** {@code application/json} or {@code application/<anything>+json}, with any parameters. */
    static boolean isJson(String contentType) {
        int semicolon = contentType.indexOf(';');
        String essence = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        return essence.equals("application/json") || (essence.startsWith("application/") && essence.endsWith("+json"));
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return (length != null && !length.trim().equals("0")) || request.getHeader("Transfer-Encoding") != null;
    }

    /** The body as a JSON object (its type was checked by {@link #requireJson}); 400 if it does not parse or is not an object. */
    static ObjectNode object(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) throw ApiError.badRequest("the request needs a JSON object as its body");
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
