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
 * delete, run now, a schedule's preview, and events posted to an event trigger. The event route is also open to callers
 * without a bearer token (webhooks): for those a signature made with the trigger's secret, as
 * Standard Webhooks makes it ({@link Signatures}), is the credential.
 */
final class TriggerRoutes {
    static final String EVENT_ID = "X-Baton-Event-Id";

    private final Triggers triggers;
    private final long webhookBodyLimit;

    TriggerRoutes(Triggers triggers, long webhookBodyLimit) {
        this.triggers = triggers;
        this.webhookBodyLimit = webhookBodyLimit;
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
        // A schedule being written: its words and next times (read-only, so any role; the console's create form).
        router.post("/api/triggers/preview").handler(ctx -> ApiRoutes.json(ctx, 200, triggers.preview(Bodies.object(ctx))));
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
        router.post("/api/triggers/:name/run").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            triggers.runNow(ctx.pathParam("name"), Auth.caller(ctx).name()).onComplete(result -> {
                if (result.failed()) {
                    ApiError.respond(ctx, result.cause());
                    return;
                }
                ctx.response().putHeader("Location", "/api/runs/" + result.result());
                ApiRoutes.json(ctx, 202, Json.object().put("runId", result.result()));
            });
        });
        router.delete("/api/triggers/:name").handler(ctx -> {
            Auth.require(ctx, Role.OPERATOR);
            triggers.delete(ctx.pathParam("name")).onComplete(result -> {
                if (result.failed()) ApiError.respond(ctx, result.cause());
                else ctx.response().setStatusCode(204).end();
            });
        });
    }

    /** The event route, to be mounted before the {@code BodyHandler}: it reads its own body (see {@link #event}). */
    void mountEvents(Router router) {
        router.post("/api/triggers/:name/events").handler(this::event);
    }

    /**
     * The event route. It is mounted before the {@code BodyHandler} and reads its own body, so that a
     * caller without a token costs little: its {@code webhook-*} headers are checked first (present,
     * timestamp fresh: 401 at once otherwise, the body unread), and its body is read only up to
     * {@link Config#webhookBodyLimit()} (413 as soon as it is over). Every refusal a stranger gets after
     * that is one and the same 401, whether the trigger exists or not (see {@link Triggers.Sender}).
     */
    private void event(RoutingContext ctx) {
        Caller caller = Auth.caller(ctx);
        Triggers.Sender sender = caller == Auth.WEBHOOK ? Triggers.Sender.STRANGER
                : caller.may(Role.OPERATOR) ? Triggers.Sender.OPERATOR : Triggers.Sender.READER;
        boolean stranger = sender == Triggers.Sender.STRANGER;
        Signatures.Headers signed = new Signatures.Headers(ctx.request().getHeader(Signatures.ID), ctx.request().getHeader(Signatures.TIMESTAMP),
                ctx.request().getHeader(Signatures.SIGNATURE), ctx.request().getHeader(Signatures.LEGACY_HEADER) != null);
        String type = ctx.request().getHeader("Content-Type");
        if (type != null && !type.toLowerCase().startsWith("application/json") && !type.toLowerCase().contains("+json")) {
            Bodies.refuse(ctx, new ApiError(415, "unsupported_media_type", "send the event as application/json, not " + type), BatonServer.BODY_LIMIT);
            return;
        }
        if (stranger) {
            try {
                triggers.signatures().check(signed);
            } catch (BadSignature bad) {
                Bodies.refuse(ctx, unauthorized(bad), BatonServer.BODY_LIMIT);
                return;
            }
        }
        long limit = stranger ? webhookBodyLimit : BatonServer.BODY_LIMIT;
        ApiError tooLarge = new ApiError(413, "body_too_large", stranger
                ? "an event from a caller without a bearer token may be at most " + limit + " bytes (BATON_WEBHOOK_BODY_LIMIT)"
                : "the request body is over the limit of " + (limit >> 20) + " MiB");
        Bodies.read(ctx, limit, tooLarge)
                .compose(body -> {
                    try (var trace = Telemetry.caller(ctx).makeCurrent()) { // the run joins the sender's trace (traceparent)
                        return triggers.event(ctx.pathParam("name"), body.getBytes(), signed, ctx.request().getHeader(EVENT_ID), sender);
                    }
                })
                .onComplete(result -> {
                    if (result.failed()) {
                        Throwable failure = result.cause();
                        if (failure instanceof BadSignature bad) Bodies.refuse(ctx, unauthorized(bad), BatonServer.BODY_LIMIT);
                        else if (failure instanceof ApiError error) Bodies.refuse(ctx, error, BatonServer.BODY_LIMIT);
                        else if (!ctx.response().closed()) ApiError.respond(ctx, failure); // closed: the sender went away mid-body
                        return;
                    }
                    ObjectNode answer = Json.object();
                    answer.put("runId", result.result().runId());
                    if (result.result().duplicate()) answer.put("duplicate", true);
                    ctx.response().putHeader("Location", "/api/runs/" + result.result().runId());
                    ApiRoutes.json(ctx, result.result().duplicate() ? 200 : 202, answer);
                });
    }

    private static ApiError unauthorized(BadSignature bad) {
        return new ApiError(401, "bad_signature", bad.getMessage());
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
