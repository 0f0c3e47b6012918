package dev.baton.runtime.journal;

import java.time.Instant;

/**
 * A run as the runs list shows it, kept up to date from its events.
 *
 * @param status           as in the API: PLANNING, RUNNING, SUCCEEDED, FAILED, CANCELLED, ...
 * @param llmCalls         model calls that spent tokens (planning, replanning, the answer, agent steps),
 *                         counted as the run's {@code usage} counts them
 * @param promptTokens     their prompt tokens
 * @param completionTokens their completion tokens
 * @param trigger          the name of the trigger whose firing (schedule, event or "run now") started the run, or null:
 *                         not started by a trigger, or journaled before the journal kept it (schema version 4)
 */
public record RunRecord(String id, String goal, String status, Instant createdAt, Instant updatedAt,
                        String idempotencyKey, String requestHash, long llmCalls, long promptTokens,
                        long completionTokens, String trigger) {

    /** A run that has not used a model (yet), not started by a trigger. */
    public RunRecord(String id, String goal, String status, Instant createdAt, Instant updatedAt,
                     String idempotencyKey, String requestHash) {
        this(id, goal, status, createdAt, updatedAt, idempotencyKey, requestHash, 0, 0, 0, null);
    }
}
