package dev.baton.triage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.http.HostAllowlist;
import dev.baton.tools.http.HostResolver;
import dev.baton.tools.http.HttpRequestTool;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The ticket tools, source {@code builtin}, the steps of the triage playbook:
 * <ul>
 *   <li>{@code tickets.classify} {@code {subject, body}}: a keyword rule of the routing table, else the
 *       classifier; says whether a person must review and why.</li>
 *   <li>{@code tickets.route} {@code {category, confidence, method?, queue?, receivedAt?, reviewedBy?}}:
 *       the queue, priority and SLA due time of a category. Its task is gated (the review) by the
 *       runtime's approval policy when the confidence is below the threshold or a review rule
 *       matches; a person approves it, perhaps with another category or queue.</li>
 *   <li>{@code tickets.deliver} {@code {ticket, route}}: POSTs the routed ticket to its queue's webhook
 *       through an {@code http.request} tool (so with its allowlist, its errors, and the task's
 *       idempotency key as the {@code Idempotency-Key} header), retried with backoff by the
 *       orchestrator; a queue without a webhook is not delivered to.</li>
 * </ul>
 *
 * <p>Every output carries a {@code ticket} object: the fields of the ticket the step decided. The
 * journal's ticket projection copies them onto the ticket (see the runtime's ticket resource), so
 * a user's own playbook step can set them too.
 *
 * <p><b>Webhook hosts.</b> The routing table is the operator's configuration, like
 * {@code BATON_HTTP_ALLOWED_HOSTS}: delivery may reach exactly the {@code host:port} of each
 * queue's webhook, and the URL always comes from the table by queue name, never from the task's
 * arguments. Being the operator's own choice, a webhook host may resolve to any address, a private
 * or loopback one included ({@link HostAllowlist#trusted}); the delivery still connects only to the
 * addresses it checked. The general {@code http.request} tool's allowlist is not widened, so a plan
 * written by a model cannot reach a webhook host through it.
 */
public final class TriageTools {

    public static final String CLASSIFY = "tickets.classify";
    public static final String ROUTE = "tickets.route";
    public static final String DELIVER = "tickets.deliver";

    /** Delivery: 6 attempts, 0.5 s, 1 s, 2 s, 4 s, 8 s apart (each +-20%); a server's Retry-After wins when longer. */
    public static final RetryPolicy DELIVERY_RETRY = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 0.2);

    /** How many of the classifier's most likely categories {@code tickets.classify} keeps ({@code ranking}). */
    public static final int RANKED = 3;

    private TriageTools() {
    }

    /** The three tools over {@code triage}. */
    public static List<BatonTool> create(Triage triage) {
        return List.of(new Classify(triage), new RouteTool(triage), new Deliver(triage));
    }

    /**
     * The review decision for a route step's arguments: why a person must look, or null. Used by the
     * runtime's approval policy (with the threshold known now, never blocking) and by the route step.
     */
    public static String reviewReason(Triage triage, JsonNode routeArgs, double threshold) {
        if (routeArgs == null || !routeArgs.isObject()) return null;
        if (text(routeArgs, "reviewedBy") != null) return null; // a person decided already
        String category = text(routeArgs, "category");
        RoutingTable.Route route;
        try {
            route = triage.table().route(category, text(routeArgs, "queue"));
        } catch (IllegalArgumentException e) {
            return "the classifier's category '" + category + "' is not in the routing table";
        }
        JsonNode c = routeArgs.get("confidence");
        double confidence = c != null && c.isNumber() ? c.doubleValue() : 0.0;
        return triage.table().reviewReason(route, confidence, text(routeArgs, "method"), threshold);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isTextual() || v.textValue().isBlank() ? null : v.textValue();
    }

    private static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }

    private static ObjectNode schema(String required, String... properties) {
        ObjectNode schema = Json.object();
        schema.put("type", "object");
        ObjectNode props = schema.putObject("properties");
        for (int i = 0; i < properties.length; i += 2) {
            String type = properties[i + 1];
            ObjectNode p = props.putObject(properties[i]);
            if (!type.equals("any")) p.put("type", type);
        }
        if (required != null) schema.putArray("required").add(required);
        return schema;
    }

    // ------------------------------------------------------------------ tickets.classify

    private static final class Classify implements BatonTool {
        private final Triage triage;
        private final ToolDescriptor descriptor = ToolDescriptor.builder(CLASSIFY)
                .description("Classifies a support ticket into one of the routing table's categories, with a confidence,"
                        + " and says whether a person must review it.")
                .parameters(schema(null, "subject", "string", "body", "string"))
                .idempotent(true)
                .timeout(Duration.ofMinutes(5)) // the first call may wait for the classifier to finish training
                .retry(RetryPolicy.DEFAULT)
                .source("builtin")
                .build();

        Classify(Triage triage) {
            this.triage = triage;
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) throws ToolException {
            TicketText text = new TicketText(text(args, "subject"), text(args, "body"));
            if (text.joined().isEmpty()) throw ToolException.permanent("ticket_empty", "the ticket has neither subject nor body");
            Classification c = triage.classify(text, context);
            ObjectNode out = Json.object();
            out.put("category", c.category());
            out.put("confidence", round(c.confidence()));
            out.put("method", c.method());
            out.put("rationale", c.rationale());
            var alternatives = out.putArray("alternatives");
            for (Prediction p : c.alternatives()) {
                alternatives.addObject().put("category", p.category()).put("confidence", round(p.confidence()));
            }
            // The classifier's top three with its probabilities, kept with the decision for the ticket's
            // detail (GET /api/tickets/{id}): ranked alternatives also when a model or a rule decided.
            var ranking = out.putArray("ranking");
            for (Prediction p : c.ranking().subList(0, Math.min(RANKED, c.ranking().size()))) {
                ranking.addObject().put("category", p.category()).put("confidence", round(p.confidence()));
            }
            out.put("outsideCategories", c.outsideCategories());
            String reason;
            String queue = null, priority = null;
            try {
                RoutingTable.Route route = triage.table().route(c.category(), null);
                queue = route.queue();
                priority = route.priority();
                reason = triage.table().reviewReason(route, c.confidence(), c.method(), triage.threshold());
            } catch (IllegalArgumentException e) {
                reason = "the classifier's category '" + c.category() + "' is not in the routing table";
            }
            ObjectNode review = out.putObject("review");
            review.put("required", reason != null);
            review.put("reason", reason);
            ObjectNode ticket = out.putObject("ticket");
            ticket.put("category", c.category());
            ticket.put("confidence", round(c.confidence()));
            ticket.put("method", c.method());
            ticket.put("rationale", c.rationale());
            if (queue != null) ticket.put("queue", queue);
            if (priority != null) ticket.put("priority", priority);
            ticket.put("reviewReason", reason);
            return out;
        }
    }

    // ------------------------------------------------------------------ tickets.route

    private static final class RouteTool implements BatonTool {
        private final Triage triage;
        private final ToolDescriptor descriptor = ToolDescriptor.builder(ROUTE)
                .description("Routes a classified ticket: its queue, priority and SLA due time from the routing table;"
                        + " waits for a person's review when the classification is unsure.")
                .parameters(schema("category", "category", "string", "confidence", "number", "method", "string",
                        "queue", "string", "receivedAt", "string", "reviewedBy", "string", "comment", "string"))
                .idempotent(true)
                .timeout(Duration.ofSeconds(30))
                .retry(RetryPolicy.NONE)
                .source("builtin")
                .build();

        RouteTool(Triage triage) {
            this.triage = triage;
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) throws ToolException {
            String category = text(args, "category");
            RoutingTable.Route route;
            try {
                route = triage.table().route(category, text(args, "queue"));
            } catch (IllegalArgumentException e) {
                throw ToolException.permanent("unknown_category", e.getMessage());
            }
            Instant received = Instant.now();
            String at = text(args, "receivedAt");
            if (at != null) {
                try {
                    received = Instant.parse(at);
                } catch (DateTimeParseException e) {
                    throw ToolException.permanent("bad_args", "receivedAt '" + at + "' is not an ISO-8601 instant");
                }
            }
            String due = route.sla() == null ? null : received.plus(route.sla()).toString();
            String reviewedBy = text(args, "reviewedBy");
            JsonNode c = args.get("confidence");
            ObjectNode out = Json.object();
            out.put("category", route.category());
            out.put("queue", route.queue());
            out.put("priority", route.priority());
            out.put("sla", route.sla() == null ? null : route.sla().toString());
            out.put("slaDueAt", due);
            out.put("webhook", route.webhook() != null);
            out.put("reviewedBy", reviewedBy);
            String reason = reviewReason(triage, args, triage.threshold());
            ObjectNode review = out.putObject("review");
            review.put("required", reason != null || reviewedBy != null);
            review.put("reason", reason);
            ObjectNode ticket = out.putObject("ticket");
            ticket.put("category", route.category());
            ticket.put("queue", route.queue());
            ticket.put("priority", route.priority());
            ticket.put("slaDueAt", due);
            if (c != null && c.isNumber()) ticket.put("confidence", round(c.doubleValue()));
            String method = text(args, "method");
            if (method != null) ticket.put("method", method);
            // A person's confirmation or correction: the projection keeps it as a labelled example.
            ticket.put("confirmed", reviewedBy != null);
            return out;
        }
    }

    // ------------------------------------------------------------------ tickets.deliver

    private static final class Deliver implements BatonTool {
        private final Triage triage;
        private final HttpRequestTool http;
        private final ToolDescriptor descriptor = ToolDescriptor.builder(DELIVER)
                .description("Sends a routed ticket to its queue's webhook (from the routing table), with an Idempotency-Key;"
                        + " a queue without a webhook is not delivered to.")
                .parameters(schema("route", "ticket", "object", "route", "object"))
                .idempotent(true) // the receiver drops repeats by the Idempotency-Key header
                .timeout(Duration.ofSeconds(30))
                .retry(DELIVERY_RETRY)
                .source("builtin")
                .build();

        Deliver(Triage triage) {
            this.triage = triage;
            // Trusted: the operator wrote these URLs, and no plan or caller can choose them.
            this.http = new HttpRequestTool(HostAllowlist.trusted(triage.table().webhookHosts()), HostResolver.SYSTEM);
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) throws Exception {
            JsonNode route = args.get("route");
            String queueName = text(route, "queue");
            RoutingTable.Queue queue = triage.table().queue(queueName).orElseThrow(() ->
                    ToolException.permanent("unknown_queue", "queue '" + queueName + "' is not in the routing table"));
            ObjectNode out = Json.object();
            out.put("queue", queue.name());
            if (queue.webhook() == null) {
                out.put("delivered", false);
                out.put("reason", "queue '" + queue.name() + "' has no webhook");
                out.putObject("ticket").put("delivery", "NONE");
                return out;
            }
            ObjectNode payload = Json.object();
            JsonNode ticket = args.get("ticket");
            payload.set("ticket", ticket == null ? Json.object() : ticket);
            for (String field : List.of("category", "queue", "priority", "slaDueAt", "reviewedBy")) {
                payload.set(field, route.get(field));
            }
            ObjectNode request = Json.object();
            request.put("method", "POST");
            request.put("url", queue.webhook().toString());
            request.set("body", payload);
            // http.request sends the task's idempotency key as Idempotency-Key: the same on every retry and after a crash.
            JsonNode response = http.call(request, context);
            out.put("delivered", true);
            out.put("status", response.path("status").asInt());
            out.put("idempotencyKey", context.idempotencyKey());
            out.putObject("ticket").put("delivery", "DELIVERED");
            return out;
        }
    }
}
