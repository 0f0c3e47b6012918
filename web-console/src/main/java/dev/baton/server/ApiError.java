package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.journal.JournalException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the API sends: the right status and
 * {@code {"error": {"code", "message", "details"}}}, never a stack trace.
 */
final class ApiError extends RuntimeException {
    private static final Logger LOG = LoggerFactory.getLogger(ApiError.class);
    private static final String RETRY_AFTER_SECONDS = "2";

    final int status;
    final String code;
    final transient JsonNode details;

    ApiError(int status, String code, String message, JsonNode details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    ApiError(int status, String code, String message) {
        this(status, code, message, null);
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, "bad_request", message);
    }

    /** Writes the failure of a request as an API error. */
    static void respond(RoutingContext ctx, Throwable failure) {
        ApiError error = from(failure, ctx.statusCode());
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        if (error.status == 500) LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
        send(ctx, error);
    }

    static void send(RoutingContext ctx, ApiError error) {
        if (error.status == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"baton\"");
        // A 503 is worth retrying soon (the journal's database is away, or the server is starting or stopping).
        if (error.status == 503 && ctx.response().headers().get("Retry-After") == null) {
            ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
        ctx.response().setStatusCode(error.status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .end(error.json());
    }

    /** {@code {"error": {"code", "message", "details"}}}. */
    String json() {
        ObjectNode body = Json.object();
        ObjectNode inner = body.putObject("error");
        inner.put("code", code);
        inner.put("message", getMessage());
        inner.set("details", details == null ? Json.object() : details);
        return body.toString();
    }

    static ApiError from(Throwable failure, int status) {
        if (failure instanceof ApiError api) return api;
        if (failure instanceof JournalException journal && journal.unavailable()) {
            return new ApiError(503, "journal_unavailable", "the journal's database cannot be reached; try again shortly ("
                    + journal.getMessage() + ")");
        }
        if (failure instanceof BatonException baton) {
            int code = switch (baton.kind()) {
                case INVALID -> 400;
                case NOT_FOUND -> 404;
                case FORBIDDEN -> 403;
                case CONFLICT -> 409;
                case UNPROCESSABLE -> 422;
                case UNAVAILABLE -> 503;
            };
            return new ApiError(code, baton.code(), baton.getMessage(), baton.details());
        }
        if (failure == null || status > 0) {
            return switch (status) {
                case 400 -> badRequest("the request is malformed");
                case 404 -> new ApiError(404, "not_found", "no such resource");
                case 405 -> new ApiError(405, "method_not_allowed", "this resource does not accept that method");
                case 413 -> new ApiError(413, "body_too_large", "the request body is over the limit of 10 MiB");
                case 415 -> new ApiError(415, "unsupported_media_type", "send the body as application/json");
                default -> new ApiError(status > 0 ? status : 500, "internal", "the server failed to handle the request");
            };
        }
        return new ApiError(500, "internal", "the server failed to handle the request; see its log");
    }
}
