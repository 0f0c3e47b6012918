package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.TicketQuery;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.runtime.ticket.TicketDetail;
import dev.baton.runtime.ticket.TicketJson;
import dev.baton.runtime.ticket.TicketService;
import dev.baton.triage.EmbeddingClassifier;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The ticket routes of API v1 (API.md, Tickets): {@code POST/GET /api/tickets},
 * {@code GET /api/tickets/{id}}, {@code POST /api/tickets/{id}/route}, {@code GET /api/routing}.
 * Submitting needs {@code operator}, confirming or correcting {@code approver} (it decides the
 * review's approval), reading any role.
 */
final class TicketRoutes {
    /** The longest {@code ?wait=} honoured. */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);
    private static final Set<String> STATUSES = Set.of("TRIAGING", "AWAITING_APPROVAL", "ROUTED", "FAILED");
    /** How long {@code /route} waits for the ticket to settle again before answering. */
    private static final Duration ROUTE_WAIT = Duration.ofSeconds(5);

    private final TicketService tickets;
    private final Supplier<EmbeddingClassifier.Progress> progress;

    /** @param progress the embedding classifier's first training, null until the classifier is built */
    TicketRoutes(TicketService tickets, Supplier<EmbeddingClassifier.Progress> progress) {
        this.tickets = tickets;
        this.progress = progress;
    }

    void mount(Router router) {
        router.post("/api/tickets").handler(this::create);
        router.get("/api/tickets").handler(this::list);
        router.get("/api/tickets/:id").handler(this::get);
        router.post("/api/tickets/:id/route").handler(this::route);
        router.get("/api/routing").handler(this::routing);
    }

    private void create(RoutingContext ctx) {
        Auth.require(ctx, Role.OPERATOR);
        ObjectNode body = Bodies.object(ctx);
        // An unknown field was refused before (OpenApi#checkBody, by the document's TicketRequest schema).
        String subject = Bodies.string(body, "subject");
        String text = Bodies.string(body, "body");
        ObjectNode customer = Bodies.object(body, "customer");
        String channel = Bodies.string(body, "channel");
        String externalId = Bodies.string(body, "externalId");
        if (externalId != null && (externalId.isBlank() || externalId.length() > 255)) {
            throw ApiError.badRequest("field 'externalId' must hold 1 to 255 characters");
        }
        int length = (subject == null ? 0 : subject.length()) + (text == null ? 0 : text.length());
        if (length > TicketService.MAX_TEXT_CHARS) {
            throw new ApiError(413, "ticket_too_large", "subject and body hold " + length + " characters; the limit is "
                    + TicketService.MAX_TEXT_CHARS);
        }
        String key = ctx.request().getHeader("Idempotency-Key");
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw ApiError.badRequest("the Idempotency-Key header must hold 1 to 255 characters");
        }
        Duration wait = waitParam(ctx);
        io.vertx.core.Future<TicketService.Created> created;
        try (var caller = Telemetry.caller(ctx).makeCurrent()) { // the ticket's run joins the caller's trace (traceparent)
            created = tickets.create(new TicketService.NewTicket(subject, text, customer, channel, externalId), key, wait);
        }
        created.onComplete(result -> {
            if (result.failed()) {
                ApiError.respond(ctx, result.cause());
                return;
            }
            TicketRecord t = result.result().ticket();
            ctx.response().putHeader("Location", "/api/tickets/" + t.id());
            if (result.result().replayed()) ctx.response().putHeader("Idempotent-Replayed", "true");
            ApiRoutes.json(ctx, wait.isZero() ? 202 : 200, TicketJson.of(t, Instant.now(), tickets.triage().table()));
        });
    }

    private void get(RoutingContext ctx) {
        reply(ctx, tickets.detail(ctx.pathParam("id"), waitParam(ctx))
                .map(d -> TicketDetail.of(d.ticket(), d.events(), Instant.now(), tickets.triage().table())));
    }

    private void list(RoutingContext ctx) {
        String status = ctx.request().getParam("status");
        if (status != null) {
            status = status.toUpperCase(Locale.ROOT);
            if (!STATUSES.contains(status)) {
                throw ApiError.badRequest("query parameter 'status' must be TRIAGING, AWAITING_APPROVAL, ROUTED or FAILED");
            }
        }
        String queue = ctx.request().getParam("queue");
        if (queue != null && tickets.triage().table().queue(queue).isEmpty()) {
            throw ApiError.badRequest("query parameter 'queue': no queue is named '" + queue + "' (see GET /api/routing)");
        }
        int limit = 50;
        String limitText = ctx.request().getParam("limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
                if (limit < 1 || limit > 500) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("query parameter 'limit' must be a whole number from 1 to 500");
            }
        }
        TicketQuery query = new TicketQuery(queue, status, limit, ctx.request().getParam("cursor"));
        reply(ctx, tickets.list(query).recover(e -> Future.failedFuture(e instanceof IllegalArgumentException
                ? ApiError.badRequest("query parameter 'cursor': " + e.getMessage()) : e)).map(page -> {
            Instant now = Instant.now();
            var table = tickets.triage().table();
            ObjectNode out = Json.object();
            ArrayNode list = out.putArray("tickets");
            for (TicketRecord t : page.tickets()) list.add(TicketJson.of(t, now, table));
            out.put("next", page.next());
            return out;
        }));
    }

    private void route(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.APPROVER);
        ObjectNode body = Bodies.object(ctx);
        String category = Bodies.string(body, "category");
        if (category == null || category.isBlank()) throw ApiError.badRequest("field 'category' is required");
        String queue = Bodies.string(body, "queue");
        String comment = Bodies.string(body, "comment");
        reply(ctx, tickets.route(ctx.pathParam("id"), category, queue, comment, caller.name(), caller.admin(), ROUTE_WAIT)
                .map(t -> TicketJson.of(t, Instant.now(), tickets.triage().table())));
    }

    private void routing(RoutingContext ctx) {
        var triage = tickets.triage();
        ObjectNode out = triage.table().toJson(triage.thresholdNow(Double.NaN));
        if (!triage.ready()) ((ObjectNode) out.get("review")).putNull("threshold");
        out.put("classifierReady", triage.ready());
        EmbeddingClassifier.Progress p = progress.get();
        if (p == null) out.putNull("classifierProgress");
        else out.set("classifierProgress", progressJson(p));
        ApiRoutes.json(ctx, 200, out);
    }

    /** The classifier's first training, as the console shows it while the classifier is not ready (openapi: ClassifierProgress). */
    static ObjectNode progressJson(EmbeddingClassifier.Progress p) {
        ObjectNode out = Json.object();
        out.put("phase", p.phase().name());
        out.put("embedded", p.embedded());
        out.put("toEmbed", p.toEmbed());
        out.put("foldsTrained", p.foldsTrained());
        out.put("folds", p.folds());
        out.put("elapsedMs", p.elapsed().toMillis());
        if (p.remaining() == null) out.putNull("remainingMs");
        else out.put("remainingMs", p.remaining().toMillis());
        return out;
    }

    private static Duration waitParam(RoutingContext ctx) {
        String text = ctx.request().getParam("wait");
        if (text == null || text.isEmpty()) return Duration.ZERO;
        try {
            Duration wait = Duration.parse(text);
            if (wait.isNegative()) throw new DateTimeParseException("negative", text, 0);
            return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("query parameter 'wait' must be an ISO-8601 duration such as PT5S, not '" + text + "'");
        }
    }

    private static <T extends JsonNode> void reply(RoutingContext ctx, Future<T> answer) {
        answer.onComplete(result -> {
            if (result.succeeded()) ApiRoutes.json(ctx, 200, result.result());
            else ApiError.respond(ctx, result.cause());
        });
    }
}
