package dev.baton.runtime.journal;

import java.time.Instant;

/**
 * A run as the runs list shows it, kept up to date from its events.
 *
 * @param status as in the API: PLANNING, RUNNING, SUCCEEDED, FAILED, CANCELLED, ...
 */
public record RunRecord(String id, String goal, String status, Instant createdAt, Instant updatedAt,
                        String idempotencyKey, String requestHash) {
}
