package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.trigger.BadSignature;
import dev.baton.runtime.trigger.Signatures;
import dev.baton.runtime.trigger.Triggers;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The trigger routes of API v1 ({@code /api/triggers}): create, list, get, pause, resume,
 * delete, and events posted to an event trigger. The event route is also open to callers
 * without a bearer token (webhooks): for those the trigger's HMAC secret is the credential.
 */
final class TriggerRoutes {
    static final String EVENT_ID = "X-Baton-Event-Id";

    private final Triggers triggers;

    TriggerRoutes(Triggers triggers) {
        this.triggers = triggers;
    }

    void mount(Router router) {
        router.post("/api/triggers").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            ObjectNode body = Bodies.object(ctx);
            triggers.create(body).onComplete(result -> {
                if (result.failed()) {
                    ApiError.respond(ctx, result.cause());
                    return;
                }
                ctx.response().putHeader("Location", "/api/triggers/" + result.result().path("name").asText());
                ApiRoutes.json(ctx, 201, result.result());
            });
        });
        router.get("/api/triggers").handler(ctx -> reply(ctx, 200, triggers.list(summaryView(ctx))));
        router.get("/api/triggers/:name").handler(ctx -> reply(ctx, 200, triggers.get(ctx.pathParam("name"))));
        router.post("/api/triggers/:name/pause").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            reply(ctx, 200, triggers.pause(ctx.pathParam("name")));
        });
        router.post("/api/triggers/:name/resume").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            reply(ctx, 200, triggers.resume(ctx.pathParam("name")));
        });
        router.delete("/api/triggers/:name").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            triggers.delete(ctx.pathParam("name")).onComplete(result -> {
                if (result.failed()) ApiError.respond(ctx, result.cause());
                else ctx.response().setStatusCode(204).end();
            });
        });
        router.post("/api/triggers/:name/events").handler(this::event);
    }

    private void event(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        if (type != null && !type.toLowerCase().startsWith("application/json") && !type.toLowerCase().contains("+json")) {
            throw new ApiError(415, "unsupported_media_type", "send the event as application/json, not " + type);
        }
        byte[] body = ctx.body() == null || ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        Caller caller = Auth.caller(ctx);
        boolean operator = caller != Auth.WEBHOOK && caller.may(Role.OPERATOR);
        triggers.event(ctx.pathParam("name"), body, ctx.request().getHeader(EVENT_ID),
                ctx.request().getHeader(Signatures.HEADER), operator).onComplete(result -> {
            if (result.failed()) {
                if (result.cause() instanceof BadSignature bad) ApiError.send(ctx, new ApiError(401, "bad_signature", bad.getMessage()));
                else ApiError.respond(ctx, result.cause());
                return;
            }
            ObjectNode answer = Json.object();
            answer.put("runId", result.result().runId());
            if (result.result().duplicate()) answer.put("duplicate", true);
            ctx.response().putHeader("Location", "/api/runs/" + result.result().runId());
            ApiRoutes.json(ctx, result.result().duplicate() ? 200 : 202, answer);
        });
    }

    /** {@code ?view=summary}: the list without plans and inputs; {@code ?view=full} (the default): as {@code GET /api/triggers/{name}}. */
    private static boolean summaryView(RoutingContext ctx) {
        String view = ctx.request().getParam("view");
        if (view == null || view.equals("full")) return false;
        if (view.equals("summary")) return true;
        throw ApiError.badRequest("view must be 'summary' or 'full', not '" + view + "'");
    }

    private static <T extends com.fasterxml.jackson.databind.JsonNode> void reply(RoutingContext ctx, int status, io.vertx.core.Future<T> answer) {
        answer.onComplete(result -> {
            if (result.succeeded()) ApiRoutes.json(ctx, status, result.result());
            else ApiError.respond(ctx, result.cause());
        });
    }
}
