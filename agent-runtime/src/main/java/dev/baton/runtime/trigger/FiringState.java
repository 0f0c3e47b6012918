package dev.baton.runtime.trigger;

import java.time.Instant;
import java.util.List;

/**
 * Where a trigger stands, as kept durably.
 *
 * @param nextFireAt  the next firing time not yet claimed; a restart treats any such time already
 *                    past as missed while down (the catch-up policy decides). Null for event triggers
 *                    and paused schedules.
 * @param lastFiredAt the scheduled time of the newest firing (or when the newest event arrived)
 * @param lastRunId   the run that firing started
 * @param pending     the firing times claimed but not finished, sorted: their runs are being
 *                    submitted, or they wait for the previous run (overlap {@code queue}). A
 *                    restart fires them again whatever the catch-up policy. Never null.
 */
public record FiringState(Instant nextFireAt, Instant lastFiredAt, String lastRunId, List<Instant> pending) {

    public FiringState {
        pending = pending == null ? List.of() : pending.stream().sorted().toList();
    }

    /** A state with nothing pending. */
    public FiringState(Instant nextFireAt, Instant lastFiredAt, String lastRunId) {
        this(nextFireAt, lastFiredAt, lastRunId, List.of());
    }
}
