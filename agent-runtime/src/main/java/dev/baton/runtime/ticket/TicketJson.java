package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.triage.RoutingTable;

import java.time.Duration;
import java.time.Instant;

/** A ticket as the API shows it (API.md, Tickets). */
public final class TicketJson {

    private TicketJson() {
    }

    /**
     * The ticket's JSON; {@code now} sets the SLA's time left ({@code sla.remaining}, an ISO-8601
     * duration, negative once overdue; null before the ticket has a priority).
     */
    public static ObjectNode of(TicketRecord t, Instant now) {
        return of(t, now, null);
    }

    /**
     * The ticket's JSON, its SLA counted from receipt whatever the status: until the route step sets
     * the due time (a ticket waiting for review has none yet), it is the receipt plus the SLA of the
     * ticket's category and queue in {@code table} (the same time the route step will set, since it
     * counts from the receipt too). {@code table} may be null: then only the route step's due time.
     */
    public static ObjectNode of(TicketRecord t, Instant now, RoutingTable table) {
        ObjectNode out = Json.object();
        out.put("id", t.id());
        out.put("status", t.status());
        out.put("subject", t.subject());
        out.put("body", t.body());
        out.put("externalId", t.externalId());
        out.put("channel", t.channel());
        out.set("customer", t.customer());
        out.put("category", t.category());
        out.put("priority", t.priority());
        out.put("queue", t.queue());
        if (t.confidence() == null) out.putNull("confidence");
        else out.put("confidence", t.confidence());
        out.put("method", t.method());
        out.put("rationale", t.rationale());
        ObjectNode review = out.putObject("review");
        boolean waiting = "AWAITING_APPROVAL".equals(t.status());
        review.put("required", waiting || t.reviewReason() != null);
        review.put("reason", t.reviewReason());
        review.put("confirmedCategory", t.confirmedCategory());
        ObjectNode sla = out.putObject("sla");
        Instant due = t.slaDueAt() != null ? t.slaDueAt() : dueFromReceipt(t, table);
        sla.put("dueAt", due == null ? null : due.toString());
        if (due != null) {
            // The queue's response SLA: it keeps running after routing, until the team answers.
            Duration left = Duration.between(now, due);
            sla.put("remaining", Duration.ofSeconds(left.getSeconds()).toString());
            sla.put("breached", left.isNegative());
        } else {
            sla.putNull("remaining");
            sla.put("breached", false);
        }
        out.put("delivery", t.delivery());
        if (t.error() == null) {
            out.putNull("error");
        } else {
            out.putObject("error").put("code", "triage_failed").put("message", t.error());
        }
        out.put("runId", t.runId());
        out.put("createdAt", t.createdAt().toString());
        out.put("updatedAt", t.updatedAt().toString());
        out.put("routedAt", t.routedAt() == null ? null : t.routedAt().toString());
        return out;
    }

    /** The receipt plus the SLA of the ticket's category (and queue), or null when it has none or is not in the table. */
    private static Instant dueFromReceipt(TicketRecord t, RoutingTable table) {
        if (table == null || t.category() == null || t.createdAt() == null) return null;
        try {
            Duration sla = table.route(t.category(), t.queue()).sla();
            return sla == null ? null : t.createdAt().plus(sla);
        } catch (IllegalArgumentException e) {
            return null; // a category or queue the table does not know (a model's answer outside it): no SLA to count
        }
    }
}
