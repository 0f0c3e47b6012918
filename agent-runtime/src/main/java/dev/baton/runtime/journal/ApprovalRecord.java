package dev.baton.runtime.journal;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * An entry of the approvals inbox, kept up to date from the run's approval events.
 *
 * @param status    PENDING, APPROVED, REJECTED or EXPIRED
 * @param expiresAt null when it never expires
 * @param escalated true once the approval expired under the escalate policy
 */
public record ApprovalRecord(String runId, String taskId, String title, String tool, JsonNode args,
                             Instant requestedAt, Instant expiresAt, boolean escalated, String status) {
}
