package dev.baton.plan.playbook;

import java.util.Locale;
import java.util.Objects;

/**
 * A playbook and how close it came to a goal.
 *
 * @param playbook the playbook
 * @param score    the cosine similarity between the goal and the closest of the playbook's
 *                 texts (its description or a goal example), from -1 to 1; higher is closer
 */
public record Match(Playbook playbook, double score) {

    public Match {
        Objects.requireNonNull(playbook, "playbook");
    }

    /** E.g. {@code check-url-health (0.83)}, for messages. */
    @Override
    public String toString() {
        return playbook.name() + " (" + String.format(Locale.ROOT, "%.2f", score) + ")";
    }
}
