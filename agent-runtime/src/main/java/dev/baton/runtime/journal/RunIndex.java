package dev.baton.runtime.journal;

import java.util.List;
import java.util.Optional;

/**
 * The runs list and the approvals inbox: projections of the run log kept up to date in the same
 * transaction as the events they come from, so that listing 100,000 runs never means replaying
 * them. Reads block; call them off the event loop.
 */
public interface RunIndex {

    Optional<RunRecord> run(String runId);

    Optional<RunRecord> runByIdempotencyKey(String key);

    /** Runs, newest first, optionally of one status, after a cursor from an earlier page. */
    RunPage runs(RunQuery query);

    /** Approvals with the given status (e.g. {@code PENDING}), oldest request first. */
    List<ApprovalRecord> approvals(String status);
}
