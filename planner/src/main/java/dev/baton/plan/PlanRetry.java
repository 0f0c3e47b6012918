package dev.baton.plan;

import java.time.Duration;

/**
 * A plan's override of a tool's retry policy. JSON:
 * {@code "retry": {"maxAttempts": 3, "backoff": "PT1S", "maxBackoff": "PT30S"}}; every field optional.
 *
 * @param maxAttempts total attempts including the first, or null for the tool's
 * @param backoff     the first delay, or null for the tool's
 * @param maxBackoff  the longest delay, or null for the tool's
 */
public record PlanRetry(Integer maxAttempts, Duration backoff, Duration maxBackoff) {
}
