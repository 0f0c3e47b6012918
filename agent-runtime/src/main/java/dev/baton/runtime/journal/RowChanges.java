package dev.baton.runtime.journal;

import java.time.Instant;
import java.util.List;

/**
 * What a batch of events changes in the runs list and the approvals inbox, coalesced: one
 * entry per run and per approval however many events touched it. Made by {@link Projection};
 * applied by {@link JdbcJournal} as SQL and by {@link MemoryJournal} to its maps, both in
 * exactly this order (which the coalescing relies on):
 *
 * <ol>
 *   <li>{@code newRuns}: insert (the run's state after every event of the batch)</li>
 *   <li>{@code runUpdates}: update runs created in earlier batches</li>
 *   <li>{@code runsCancellingApprovals}: every PENDING approval of these runs becomes CANCELLED</li>
 *   <li>{@code approvalUpserts}: insert or replace (requested in this batch; state after the batch)</li>
 *   <li>{@code approvalPatches}: change approvals requested in earlier batches</li>
 * </ol>
 */
record RowChanges(List<RunRecord> newRuns, List<RunUpdate> runUpdates, List<String> runsCancellingApprovals,
                  List<ApprovalRecord> approvalUpserts, List<ApprovalPatch> approvalPatches) {

    /**
     * A change of a run created earlier.
     *
     * @param status           the new status, or null to keep it
     * @param llmCalls         model calls to add to the run's count
     * @param promptTokens     prompt tokens to add
     * @param completionTokens completion tokens to add
     */
    record RunUpdate(String runId, String status, Instant updatedAt, long llmCalls, long promptTokens,
                     long completionTokens) {

        boolean addsUsage() {
            return llmCalls != 0 || promptTokens != 0 || completionTokens != 0;
        }
    }

    /**
     * A change of an approval requested earlier.
     *
     * @param status          set the status to this (always a final one: APPROVED, REJECTED,
     *                        EXPIRED), or null
     * @param cancelIfPending when {@code status} is null: a PENDING approval becomes CANCELLED
     * @param escalate        set the escalated flag
     */
    record ApprovalPatch(String runId, String taskId, String status, boolean cancelIfPending, boolean escalate) {
    }
}
