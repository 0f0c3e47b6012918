package dev.baton.runtime.journal;

import java.util.List;
import java.util.Map;

/**
 * One page of runs, newest first; {@code next} is the cursor of the following page, or null.
 *
 * @param waitingApprovals for each run of the page with approvals waiting for a person, how many
 *                         (runs with none are absent)
 */
public record RunPage(List<RunRecord> runs, String next, Map<String, Integer> waitingApprovals) {
    public RunPage {
        waitingApprovals = Map.copyOf(waitingApprovals);
    }

    /** A page whose runs wait for no approval. */
    public RunPage(List<RunRecord> runs, String next) {
        this(runs, next, Map.of());
    }

    /** How many approvals {@code runId} waits for: 0 when none. */
    public int waitingApprovals(String runId) {
        return waitingApprovals.getOrDefault(runId, 0);
    }
}
