package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.journal.RowChanges.ApprovalPatch;
import dev.baton.runtime.journal.RowChanges.RunUpdate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The one definition of how events change the runs list and the approvals inbox. Both
 * journals run their batches through it, so they cannot disagree.
 *
 * <ul>
 *   <li>RunCreated: a run, PLANNING, with the name of the trigger that started it if its origin is a trigger's firing. PlanAccepted, RunReopened and ReplanFailed: RUNNING. ReplanStarted: REPLANNING. PlanProposed that needs
 *       approval: AWAITING_PLAN_APPROVAL. RunSucceeded,
 *       RunFailed, RunCancelled: SUCCEEDED, FAILED, CANCELLED. Every event moves
 *       {@code updatedAt} to its time. ModelUsed (not failed, not cached) and AgentModelCalled add
 *       a model call and its tokens, as the run's {@code usage} counts them (see RunState).</li>
 *   <li>ApprovalRequested: a PENDING approval (replacing an earlier one of the task: a retried
 *       task asks again). ApprovalDecided: APPROVED or REJECTED. ApprovalExpired: EXPIRED.
 *       ApprovalEscalated: escalated, still PENDING. TaskCancelled, RunCancelled: the task's,
 *       or the run's, PENDING approvals become CANCELLED.</li>
 * </ul>
 *
 * <p>A batch may hold thousands of events; they are folded into one change per run and per
 * approval (see {@link RowChanges} for the order the changes must be applied in).
 */
final class Projection {

    static final String PLANNING = "PLANNING";
    static final String RUNNING = "RUNNING";
    static final String REPLANNING = "REPLANNING";
    static final String AWAITING_PLAN_APPROVAL = "AWAITING_PLAN_APPROVAL";
    static final String SUCCEEDED = "SUCCEEDED";
    static final String FAILED = "FAILED";
    static final String CANCELLED = "CANCELLED";

    static final String PENDING = "PENDING";
    static final String APPROVED = "APPROVED";
    static final String REJECTED = "REJECTED";
    static final String EXPIRED = "EXPIRED";

    /** Run statuses after which a run gets no more events unless reopened. */
    static final List<String> FINISHED = List.of(SUCCEEDED, FAILED, CANCELLED, "COMPENSATION_FAILED");

    private record Key(String runId, String taskId) {
    }

    // Insertion-ordered, so that SQL batches follow the events. Most of a batch's events are
    // task events that only touch their run: the approval maps usually stay empty.
    private final Map<String, RunRecord> created = new LinkedHashMap<>();
    private final Map<String, RunUpdate> updated = new LinkedHashMap<>();
    private final LinkedHashSet<String> cancelling = new LinkedHashSet<>();
    private final Map<Key, ApprovalRecord> requested = new LinkedHashMap<>();
    private final Map<Key, ApprovalPatch> patched = new LinkedHashMap<>();

    private Projection() {
    }

    /** The changes that {@code events}, in this order, make. */
    static RowChanges changesOf(List<RunEvent> events) {
        Projection projection = new Projection();
        for (RunEvent event : events) projection.apply(event);
        return projection.changes();
    }

    private RowChanges changes() {
        return new RowChanges(listOf(created.values()), listOf(updated.values()), listOf(cancelling),
                listOf(requested.values()), listOf(patched.values()));
    }

    /** The memory journal projects every append on the orchestrator's path: skip copying empties. */
    private static <T> List<T> listOf(java.util.Collection<T> values) {
        return values.isEmpty() ? List.of() : List.copyOf(values);
    }

    private void apply(RunEvent event) {
        String runId = event.runId();
        Instant at = event.at();
        EventData data = event.data();
        if (data instanceof EventData.RunCreated c) {
            updated.remove(runId);
            String trigger = c.origin() instanceof Origin.Trigger t ? t.name() : null;
            created.put(runId, new RunRecord(runId, c.goal(), PLANNING, at, at, c.idempotencyKey(), c.requestHash(), 0, 0, 0, trigger));
            return;
        }
        touchRun(runId, runStatusAfter(data), at);
        if (data instanceof EventData.ModelUsed m && m.errorCode() == null && !m.cached()) {
            addUsage(runId, m.promptTokens(), m.completionTokens());
        } else if (data instanceof EventData.AgentModelCalled m) {
            addUsage(runId, m.promptTokens(), m.completionTokens());
        }
        if (data instanceof EventData.ApprovalRequested r) {
            Key key = new Key(runId, r.taskId());
            patched.remove(key);
            requested.put(key, new ApprovalRecord(runId, r.taskId(), r.title(), r.tool(), r.args(), at, r.expiresAt(),
                    false, PENDING));
        } else if (data instanceof EventData.ApprovalDecided d) {
            setApprovalStatus(new Key(runId, d.taskId()), decisionStatus(d));
        } else if (data instanceof EventData.ApprovalExpired x) {
            setApprovalStatus(new Key(runId, x.taskId()), EXPIRED);
        } else if (data instanceof EventData.ApprovalEscalated x) {
            escalate(new Key(runId, x.taskId()));
        } else if (data instanceof EventData.TaskCancelled x) {
            cancelIfPending(new Key(runId, x.taskId()));
        } else if (data instanceof EventData.RunCancelled) {
            // Earlier batches' approvals: one UPDATE, applied before this batch's upserts and
            // patches. Patches set only final statuses, so running it first changes nothing
            // for them; this batch's own requests are folded here.
            cancelling.add(runId);
            requested.replaceAll((key, a) -> key.runId().equals(runId) && a.status().equals(PENDING)
                    ? withStatus(a, CANCELLED) : a);
        }
    }

    /** The status a run-level event moves its run to, or null. */
    private static String runStatusAfter(EventData data) {
        if (data instanceof EventData.PlanAccepted || data instanceof EventData.RunReopened
                || data instanceof EventData.ReplanFailed) return RUNNING;
        if (data instanceof EventData.ReplanStarted) return REPLANNING;
        if (data instanceof EventData.PlanProposed p && p.needsApproval()) return AWAITING_PLAN_APPROVAL;
        if (data instanceof EventData.RunSucceeded) return SUCCEEDED;
        if (data instanceof EventData.RunFailed) return FAILED;
        if (data instanceof EventData.RunCancelled) return CANCELLED;
        if (data instanceof EventData.RunUnwinding || data instanceof EventData.CompensationRetryRequested) return "COMPENSATING";
        if (data instanceof EventData.CompensationFailed) return "COMPENSATION_FAILED";
        return null;
    }

    private static String decisionStatus(EventData.ApprovalDecided d) {
        if (d.decision() == null) {
            throw new IllegalArgumentException("ApprovalDecided of task '" + d.taskId() + "' has no decision; expected 'approve' or 'reject'");
        }
        return d.decision() == Verdict.APPROVE ? APPROVED : REJECTED;
    }

    private void touchRun(String runId, String status, Instant at) {
        RunRecord run = created.get(runId);
        if (run != null) {
            created.put(runId, new RunRecord(runId, run.goal(), status != null ? status : run.status(), run.createdAt(), at,
                    run.idempotencyKey(), run.requestHash(), run.llmCalls(), run.promptTokens(), run.completionTokens(), run.trigger()));
            return;
        }
        RunUpdate before = updated.get(runId);
        String newStatus = status != null ? status : before != null ? before.status() : null;
        updated.put(runId, before == null ? new RunUpdate(runId, newStatus, at, 0, 0, 0)
                : new RunUpdate(runId, newStatus, at, before.llmCalls(), before.promptTokens(), before.completionTokens()));
    }

    /** One model call of the run; called after {@link #touchRun}, so the run has its entry in this batch. */
    private void addUsage(String runId, long prompt, long completion) {
        RunRecord run = created.get(runId);
        if (run != null) {
            created.put(runId, new RunRecord(runId, run.goal(), run.status(), run.createdAt(), run.updatedAt(),
                    run.idempotencyKey(), run.requestHash(), run.llmCalls() + 1, run.promptTokens() + prompt,
                    run.completionTokens() + completion, run.trigger()));
            return;
        }
        RunUpdate u = updated.get(runId);
        updated.put(runId, new RunUpdate(runId, u.status(), u.updatedAt(), u.llmCalls() + 1, u.promptTokens() + prompt,
                u.completionTokens() + completion));
    }

    private void setApprovalStatus(Key key, String status) {
        ApprovalRecord a = requested.get(key);
        if (a != null) {
            requested.put(key, withStatus(a, status));
        } else {
            ApprovalPatch p = patched.get(key);
            patched.put(key, new ApprovalPatch(key.runId(), key.taskId(), status, false, p != null && p.escalate()));
        }
    }

    private void cancelIfPending(Key key) {
        ApprovalRecord a = requested.get(key);
        if (a != null) {
            if (a.status().equals(PENDING)) requested.put(key, withStatus(a, CANCELLED));
            return;
        }
        ApprovalPatch p = patched.get(key);
        if (p == null) {
            patched.put(key, new ApprovalPatch(key.runId(), key.taskId(), null, true, false));
        } else if (p.status() == null) {
            // A patch's status is final, never PENDING: then there is nothing left to cancel.
            patched.put(key, new ApprovalPatch(key.runId(), key.taskId(), null, true, p.escalate()));
        }
    }

    private void escalate(Key key) {
        ApprovalRecord a = requested.get(key);
        if (a != null) {
            requested.put(key, new ApprovalRecord(a.runId(), a.taskId(), a.title(), a.tool(), a.args(), a.requestedAt(),
                    a.expiresAt(), true, a.status()));
            return;
        }
        ApprovalPatch p = patched.get(key);
        patched.put(key, p == null
                ? new ApprovalPatch(key.runId(), key.taskId(), null, false, true)
                : new ApprovalPatch(key.runId(), key.taskId(), p.status(), p.cancelIfPending(), true));
    }

    private static ApprovalRecord withStatus(ApprovalRecord a, String status) {
        return new ApprovalRecord(a.runId(), a.taskId(), a.title(), a.tool(), a.args(), a.requestedAt(), a.expiresAt(),
                a.escalated(), status);
    }
}
