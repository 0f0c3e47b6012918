package dev.baton.runtime.trigger;

import java.time.Instant;

/**
 * Where a trigger stands, as kept durably.
 *
 * @param nextFireAt  the earliest firing time not yet handled (fired, skipped or given up); a
 *                    restart treats any such time already past as missed. Null for event triggers.
 * @param lastFiredAt the scheduled time of the newest firing (or when the newest event arrived)
 * @param lastRunId   the run that firing started
 */
public record FiringState(Instant nextFireAt, Instant lastFiredAt, String lastRunId) {
}
