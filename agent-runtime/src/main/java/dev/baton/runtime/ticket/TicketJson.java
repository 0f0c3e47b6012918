package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.TicketRecord;

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
        sla.put("dueAt", t.slaDueAt() == null ? null : t.slaDueAt().toString());
        if (t.slaDueAt() != null) {
            // The queue's response SLA: it keeps running after routing, until the team answers.
            Duration left = Duration.between(now, t.slaDueAt());
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
}
