package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData.ApprovalEscalated;
import dev.baton.runtime.event.EventData.RunCancelled;
import dev.baton.runtime.event.EventData.RunFailed;
import dev.baton.runtime.event.EventData.RunReopened;
import dev.baton.runtime.event.EventData.TaskCancelled;
import dev.baton.runtime.event.EventData.TaskReady;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.RowChanges.ApprovalPatch;
import dev.baton.runtime.journal.RowChanges.RunUpdate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.baton.runtime.journal.TestRun.approvalRequested;
import static dev.baton.runtime.journal.TestRun.approve;
import static dev.baton.runtime.journal.TestRun.created;
import static dev.baton.runtime.journal.TestRun.planAccepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a batch folds into one change per row (the contract tests check the results in both journals). */
class ProjectionTest {

    @Test
    void aRunCreatedInTheBatchIsInsertedInItsFinalState() {
        TestRun run = new TestRun("r");
        List<RunEvent> events = run.next(created("g", "k"), planAccepted(), new TaskReady("t"),
                new RunFailed(new Failure("X", "x")), new RunReopened("ana", "again"));
        RowChanges changes = Projection.changesOf(events);

        assertEquals(List.of(new RunRecord("r", "g", "RUNNING", events.get(0).at(), events.get(4).at(), "k", "hash-of-k")),
                changes.newRuns());
        assertTrue(changes.runUpdates().isEmpty());
    }

    @Test
    void manyEventsOfAnEarlierRunMakeOneUpdate() {
        TestRun run = new TestRun("r");
        run.next(created("g"));
        List<RunEvent> events = new ArrayList<>();
        events.add(run.next(planAccepted()));
        for (int i = 0; i < 1000; i++) events.add(run.next(new TaskReady("t" + i)));
        RowChanges changes = Projection.changesOf(events);

        assertEquals(List.of(new RunUpdate("r", "RUNNING", events.get(1000).at(), 0, 0, 0)), changes.runUpdates());
    }

    @Test
    void anEventWithoutStatusOnlyTouchesTheRun() {
        TestRun run = new TestRun("r");
        run.next(created("g"));
        RunEvent ready = run.next(new TaskReady("t"));
        assertEquals(List.of(new RunUpdate("r", null, ready.at(), 0, 0, 0)), Projection.changesOf(List.of(ready)).runUpdates());
    }

    @Test
    void approvalsFoldIntoOneUpsertOrOnePatch() {
        TestRun run = new TestRun("r");
        run.next(created("g"));
        RunEvent requested = run.next(approvalRequested("new"));
        List<RunEvent> events = List.of(requested, run.next(new ApprovalEscalated("new")), run.next(approve("new")),
                run.next(new ApprovalEscalated("old")), run.next(approve("old")), run.next(new TaskCancelled("old")),
                run.next(new TaskCancelled("other")));
        RowChanges changes = Projection.changesOf(events);

        assertEquals(List.of(new ApprovalRecord("r", "new", "Approve new", "tickets.route", TestRun.args("new"),
                requested.at(), null, true, "APPROVED")), changes.approvalUpserts());
        assertEquals(List.of(new ApprovalPatch("r", "old", "APPROVED", false, true),
                new ApprovalPatch("r", "other", null, true, false)), changes.approvalPatches());
    }

    @Test
    void runCancelledCancelsThisBatchsPendingRequestsAndEarlierOnesBySql() {
        TestRun run = new TestRun("r");
        run.next(created("g"));
        List<RunEvent> events = List.of(run.next(approvalRequested("a")), run.next(approvalRequested("b")),
                run.next(approve("b")), run.next(new RunCancelled("ana", null)), run.next(approvalRequested("c")));
        RowChanges changes = Projection.changesOf(events);

        assertEquals(List.of("r"), changes.runsCancellingApprovals());
        assertEquals(List.of("CANCELLED", "APPROVED", "PENDING"),
                changes.approvalUpserts().stream().map(ApprovalRecord::status).toList());
    }

    @Test
    void anUnknownDecisionIsRefused() {
        // A decision is a Verdict now: one that is neither approve nor reject cannot reach the projection,
        // and is refused where it could come from, as the journal's JSON is read.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.baton.runtime.event.EventCodec
                .dataFromJson("ApprovalDecided", "{\"taskId\":\"t\",\"decision\":\"maybe\",\"by\":\"ana\"}"));
        assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
    }

    @Test
    void cursorsRoundTripAndRejectGarbage() {
        RunCursor cursor = new RunCursor(TestRun.T0.plusNanos(123_456_789), "run:with:colons");
        assertEquals(cursor, RunCursor.decode(cursor.encode()));
        assertEquals(null, RunCursor.decode(null));
        assertThrows(IllegalArgumentException.class, () -> RunCursor.decode("@@@"));
        assertThrows(IllegalArgumentException.class, () -> RunCursor.decode("bm90IGEgY3Vyc29y"));
    }
}
