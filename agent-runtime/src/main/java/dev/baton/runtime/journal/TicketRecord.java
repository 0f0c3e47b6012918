package dev.baton.runtime.journal;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A ticket as the journal's ticket projection holds it: what was posted, and what its triage runs
 * decided so far. Maintained from run events in the journal's own transaction (see
 * {@link TicketProjection}), so listing tickets never replays runs.
 *
 * @param runId             the run that triages (or last re-routed) it
 * @param status            TRIAGING, AWAITING_APPROVAL, ROUTED or FAILED
 * @param confidence        the classifier's confidence, or null before classification
 * @param method            what decided the category: classifier, model, rule, correction, confirmation
 * @param reviewReason      why a person must review it, or null
 * @param confirmedCategory the category a person confirmed or chose, or null: a labelled example
 * @param delivery          DELIVERED, NONE (the queue has no webhook), or null before delivery
 * @param error             why triage or delivery failed (status FAILED), or null
 */
public record TicketRecord(String id, String runId, String externalId, String subject, String body, JsonNode customer,
                           String channel, String status, String category, Double confidence, String method,
                           String rationale, String queue, String priority, Instant slaDueAt, String reviewReason,
                           String confirmedCategory, String delivery, String error, Instant createdAt, Instant updatedAt,
                           Instant routedAt) {
}
