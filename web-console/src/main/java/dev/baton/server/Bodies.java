package dev.baton.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** Reading request bodies: JSON only, with errors that name the field and the expected type. */
final class Bodies {
    /** Exactly one JSON value per body: {@code {...} trailing} is malformed, not the object it starts with. */
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The request's body once parsed as an object, kept on the routing context so that it is parsed once. */
    private static final String PARSED = "baton.body";

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
        ObjectNode parsed = ctx.get(PARSED);
        if (parsed != null) return parsed; // read already (by the contract's check, OpenApi#checkBody)
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
        ctx.put(PARSED, obj);
        return obj;
    }

    /**
     * Reads the body of a route mounted before the {@code BodyHandler}, keeping at most {@code limit}
     * bytes: a body announced ({@code Content-Length}) or found to be larger fails with {@code tooLarge}
     * (a 413) as soon as that is known, and what follows is dropped, never buffered. Must be called
     * before the handler returns, so that no chunk comes before it listens.
     */
    static Future<Buffer> read(RoutingContext ctx, long limit, ApiError tooLarge) {
        HttpServerRequest request = ctx.request();
        String length = request.getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > limit) return Future.failedFuture(tooLarge);
            } catch (NumberFormatException e) {
                return Future.failedFuture(ApiError.badRequest("the Content-Length header is not a number"));
            }
        }
        if (request.isEnded()) return Future.succeededFuture(Buffer.buffer());
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (promise.future().isComplete()) return; // over the limit already: dropped
            if (body.length() + chunk.length() > limit) promise.tryFail(tooLarge);
            else body.appendBuffer(chunk);
        });
        request.endHandler(v -> promise.tryComplete(body));
        request.exceptionHandler(promise::tryFail);
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect")) && request.version() != HttpVersion.HTTP_1_0) {
            ctx.response().writeContinue(); // the client waits for this before it sends the body
        }
        return promise.future();
    }

    /**
     * Answers a request whose body may not have been read (all or part of it) with an error: the
     * rest of the body is dropped as it comes, never buffered, and a client that goes on past
     * {@code dropLimit} more bytes is cut off. HTTP/1.1 clients are asked to close the connection
     * rather than send the next request behind a body nobody wants.
     */
    static void refuse(RoutingContext ctx, ApiError error, long dropLimit) {
        HttpServerRequest request = ctx.request();
        if (ctx.response().ended()) return;
        if (!request.isEnded()) {
            long[] dropped = {0};
            request.handler(chunk -> {
                dropped[0] += chunk.length();
                if (dropped[0] > dropLimit) cutOff(ctx);
            });
            request.resume();
        }
        if (ctx.response().headWritten()) {
            cutOff(ctx);
            return;
        }
        if (!request.isEnded() && request.version() != HttpVersion.HTTP_2) ctx.response().putHeader("Connection", "close");
        ApiError.send(ctx, error);
    }

    private static void cutOff(RoutingContext ctx) {
        if (ctx.request().version() == HttpVersion.HTTP_2) ctx.response().reset(0x8); // CANCEL: this stream only
        else ctx.request().connection().close();
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
