package dev.baton.runtime.journal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The runs list and the approvals inbox: projections of the run log kept up to date in the same
 * transaction as the events they come from, so that listing 100,000 runs never means replaying
 * them. Reads block; call them off the event loop.
 */
public interface RunIndex {

    Optional<RunRecord> run(String runId);

    Optional<RunRecord> runByIdempotencyKey(String key);

    /**
     * Runs, newest first, optionally of one status and with a goal containing some text, after a
     * cursor from an earlier page; with the count of approvals each run of the page waits for.
     */
    RunPage runs(RunQuery query);

    /** The goals of these runs, by run id (a run the index lacks is absent): for lists of other things that name their run. */
    Map<String, String> goals(Collection<String> runIds);

    /**
     * How many runs each of these triggers started, by status ({@link RunRecord#trigger}): one read however many
     * triggers, for a list that is polled. Runs journaled before the journal kept their trigger are not counted.
     *
     * @return trigger name to status to count; a trigger without runs is absent
     */
    Map<String, Map<String, Long>> runCountsByTrigger(Collection<String> triggers);

    /** Approvals with the given status (e.g. {@code PENDING}), oldest request first. */
    List<ApprovalRecord> approvals(String status);
}
