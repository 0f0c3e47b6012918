package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.TaskSpec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.event.Verdict;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run as its events have left it. {@link #apply} is the only way it changes, and it is
 * deterministic: it reads nothing but the state and the event (no clock, no I/O), so
 * replaying a run's journal rebuilds exactly the state the orchestrator had.
 *
 * <p>The object is mutable for speed (a 10,000-task plan would otherwise be copied on every
 * event) and is confined to the orchestrator's thread.
 */
public final class RunState {
    private final String id;
    private String goal;
    private JsonNode input;
    private JsonNode options;
    private Origin origin = Origin.CLIENT;
    private RunStatus status = RunStatus.PLANNING;
    private Instant createdAt;
    private Instant updatedAt;
    private Plan plan;
    private int planVersion;
    private final Map<String, TaskState> tasks = new LinkedHashMap<>();
    private Map<String, List<String>> dependants = Map.of();
    private final int[] tasksByStatus = new int[TaskStatus.values().length];
    private JsonNode result;
    /** The answer a SUCCEEDED run asked for: null (none asked), or WRITING, WRITTEN, FAILED. */
    private AnswerStatus answerStatus;
    private Failure error;
    private long lastSeq;
    private long toolCalls;
    private long llmCalls;
    private long promptTokens;
    private long completionTokens;
    private String idempotencyKey;
    private String requestHash;
    private String planSource;
    /** Replans started because a task failed for good: they count against the run's budget. */
    private int failureReplans;
    private final List<Message> messages = new ArrayList<>();
    /** Why the last replan failed, or null; the run's error mentions it if the run then fails. */
    private Failure replanError;
    /** While COMPENSATING or COMPENSATION_FAILED: how the run ends once unwound. */
    private EventData.RunUnwinding unwinding;
    /** A plan its writer parsed already, and the JSON it wrote of it: see {@link #knowPlan}. */
    private JsonNode knownPlanJson;
    private Plan knownPlan;
    /** The W3C traceparent of the run's span, from its RunCreated; null if the run has no trace. */
    private String traceParent;

    /** A user's follow-up instruction. */
    public record Message(String text, String by, Instant at) {
    }

    public RunState(String id) {
        this.id = id;
    }

    /** Rebuilds a run from its events, in order. */
    public static RunState replay(String runId, Collection<RunEvent> events) {
        RunState run = new RunState(runId);
        for (RunEvent event : events) run.apply(event);
        return run;
    }

    /**
     * Applies one event. The {@link Transitions} tables say whether the run's status (and for a
     * task event, the task's and its side call's) allows it, and where it leads; nothing changes
     * unless they do.
     *
     * @throws IllegalStateException if the event is out of sequence or does not fit the state
     *                               (a corrupt journal, or a bug in the orchestrator)
     */
    public void apply(RunEvent event) {
        if (!event.runId().equals(id)) throw new IllegalStateException("event of run " + event.runId() + " applied to run " + id);
        if (event.seq() != lastSeq + 1) {
            throw new IllegalStateException("run " + id + ": expected event seq " + (lastSeq + 1) + " but got " + event.seq());
        }
        Instant at = event.at();
        EventData data = event.data();
        RunStatus next = allowed(Transitions.RUN, lastSeq == 0 ? null : status, data, null).to();
        if (data instanceof EventData.TaskEvent taskEvent) {
            TaskState task = task(taskEvent);
            TaskStatus taskNext = allowed(Transitions.TASK, task.status, data, task).to();
            TransitionTable<SideCall.Status> lane = Transitions.sideCallOf(data);
            if (lane != null) {
                SideCall call = lane == Transitions.FALLBACK ? task.fallback : task.compensation;
                allowed(lane, call == null ? SideCall.Status.PENDING : call.status, data, task);
            }
            applyToTask(task, taskEvent, at);
            move(task, taskNext, at);
        } else {
            applyToRun(data, at);
        }
        status = next;
        lastSeq = event.seq();
        updatedAt = at;
    }

    /** The row that allows {@code data} in status {@code from} (of the run, or of {@code task}); throws, changing nothing, if none does. */
    private <S extends Enum<S>> TransitionTable.Row<S> allowed(TransitionTable<S> table, S from, EventData data, TaskState task) {
        TransitionTable.Row<S> row = table.find(from, data);
        if (row == null) {
            String who = task == null ? "the run" : table == Transitions.TASK ? "task '" + task.id() + "'"
                    : "the " + table.name() + " of task '" + task.id() + "'";
            throw new IllegalStateException("run " + id + ": " + data.type() + " is not allowed while " + who + " is "
                    + (from == null ? "not created yet" : from) + " (see docs/state-machines.md)");
        }
        return row;
    }

    private void applyToRun(EventData data, Instant at) {
        if (data instanceof EventData.RunCreated e) {
            goal = e.goal();
            input = e.input();
            options = e.options();
            origin = e.origin();
            idempotencyKey = e.idempotencyKey();
            requestHash = e.requestHash();
            traceParent = e.traceParent();
            createdAt = at;
        } else if (data instanceof EventData.PlanProposed e) {
            planSource = e.source();
            setPlan(e.version(), e.plan());
        } else if (data instanceof EventData.PlanAccepted e) {
            if (planSource == null) planSource = "client";
            setPlan(e.version(), e.plan());
            if (status == RunStatus.REPLANNING) replanError = null;
        } else if (data instanceof EventData.RunSucceeded e) {
            result = e.result();
            answerStatus = e.answering() ? AnswerStatus.WRITING : null;
        } else if (data instanceof EventData.AnswerWritten e) {
            ObjectNode withAnswer = result instanceof ObjectNode o ? o.deepCopy() : dev.baton.json.Json.object();
            withAnswer.put("answer", e.answer());
            result = withAnswer;
            answerStatus = AnswerStatus.WRITTEN;
        } else if (data instanceof EventData.AnswerFailed e) {
            ObjectNode withError = result instanceof ObjectNode o ? o.deepCopy() : dev.baton.json.Json.object();
            withError.put("answerError", e.error() == null ? "the answer could not be written" : e.error().message());
            result = withError;
            answerStatus = AnswerStatus.FAILED;
        } else if (data instanceof EventData.RunFailed e) {
            error = e.error();
        } else if (data instanceof EventData.RunUnwinding e) {
            unwinding = e;
            if (e.error() != null) error = e.error();
        } else if (data instanceof EventData.CompensationFailed e) {
            error = new Failure("compensation_failed", "the compensation of task '" + e.taskId() + "' failed"
                    + (e.error() == null ? "" : ": " + e.error().message())
                    + (unwinding != null && unwinding.error() != null ? " (the run had failed: " + unwinding.error().message() + ")" : ""));
        } else if (data instanceof EventData.CompensationRetryRequested) {
            for (TaskState task : tasks.values()) {
                if (task.compensation != null && task.compensation.status == SideCall.Status.FAILED) task.compensation.reset();
            }
            error = unwinding == null ? null : unwinding.error();
        } else if (data instanceof EventData.ReplanStarted e) {
            if ("task_failed".equals(e.trigger())) failureReplans++;
        } else if (data instanceof EventData.ReplanFailed e) {
            replanError = e.error();
        } else if (data instanceof EventData.ModelUsed e) {
            if (e.errorCode() == null && !e.cached()) {
                llmCalls++;
                promptTokens += e.promptTokens();
                completionTokens += e.completionTokens();
            }
        } else if (data instanceof EventData.UserMessage e) {
            messages.add(new Message(e.text(), e.by(), at));
        } else if (data instanceof EventData.RunReopened) {
            error = null;
            result = null;
            answerStatus = null;
        }
        // RunCancelled changes the status only.
    }

    /** What a task event records; its status then moves as {@link Transitions#TASK} says (see {@link #move}). */
    private void applyToTask(TaskState task, EventData.TaskEvent data, Instant at) {
        if (data instanceof EventData.ApprovalRequested e) {
            task.approval = ApprovalState.requested(at, e.expiresAt(), e.onTimeout());
            task.args = e.args();
            if (task.spec().action() instanceof dev.baton.plan.TaskAction.AgentCall) {
                // An agent asks afresh for each gated call: an earlier call's edited arguments do not carry over.
                task.approvedArgs = null;
                task.approvalTool = e.tool();
            }
        } else if (data instanceof EventData.ApprovalDecided e) {
            boolean approved = e.decision() == Verdict.APPROVE;
            task.approval = task.approval.decided(approved ? ApprovalStatus.APPROVED : ApprovalStatus.REJECTED, e.by(), e.comment(), at);
            if (approved) {
                if (e.args() != null) {
                    task.approvedArgs = e.args();
                    task.args = e.args();
                }
            } else {
                task.error = new Failure("rejected", "rejected by " + e.by() + (e.comment() == null ? "" : ": " + e.comment()));
            }
        } else if (data instanceof EventData.ApprovalExpired) {
            task.approval = task.approval.decided(ApprovalStatus.EXPIRED, null, null, at);
            task.error = new Failure("approval_expired", "the approval was not decided before " + task.approval.expiresAt());
        } else if (data instanceof EventData.ApprovalEscalated) {
            task.approval = task.approval.escalate();
        } else if (data instanceof EventData.TaskStarted e) {
            if (e.attempt() > task.totalAttempts) {
                task.totalAttempts = e.attempt();
                task.attempts++;
                if (task.spec().kind().equals("tool")) toolCalls++;
            }
            if (task.startedAt == null) task.startedAt = at;
            task.deadline = e.deadline();
            task.args = e.args();
            task.idempotencyKey = e.idempotencyKey();
            task.retryAt = null;
            task.approvalTool = null;
            task.recordAttempt(new Attempt(e.attempt(), at, null, null));
        } else if (data instanceof EventData.FallbackStarted e) {
            if (task.fallback == null) task.fallback = new SideCall();
            task.fallback.started(e.attempt(), e.idempotencyKey(), e.args(), e.deadline(), at);
            task.finishedAt = null;
            task.deadline = e.deadline();
            task.retryAt = null;
        } else if (data instanceof EventData.FallbackSucceeded e) {
            task.fallback.succeeded(e.output(), at);
            task.output = e.output();
            task.succeededSeq = lastSeq + 1;
        } else if (data instanceof EventData.FallbackAttemptFailed e) {
            task.fallback.failed(e.error(), e.retryAt(), at); // the task's own error stays its error
            task.deadline = null;
            task.retryAt = e.retryAt();
        } else if (data instanceof EventData.CompensationStarted e) {
            if (task.compensation == null) task.compensation = new SideCall();
            task.compensation.started(e.attempt(), e.idempotencyKey(), e.args(), e.deadline(), at);
        } else if (data instanceof EventData.CompensationSucceeded e) {
            task.compensation.succeeded(e.output(), at);
        } else if (data instanceof EventData.CompensationAttemptFailed e) {
            task.compensation.failed(e.error(), e.retryAt(), at);
        } else if (data instanceof EventData.TaskSucceeded e) {
            task.succeededSeq = lastSeq + 1;
            task.output = e.output();
            task.error = null;
            Attempt last = task.lastAttempt();
            if (last != null) task.recordAttempt(new Attempt(last.number(), last.startedAt(), at, null));
        } else if (data instanceof EventData.TaskAttemptFailed e) {
            task.error = e.error();
            Attempt last = task.lastAttempt();
            if (last != null) task.recordAttempt(new Attempt(last.number(), last.startedAt(), at, e.error()));
            task.deadline = null;
            task.retryAt = e.retryAt();
        } else if (data instanceof EventData.TaskSkipped e) {
            task.skipReason = e.reason();
        } else if (data instanceof EventData.TaskCancelled) {
            if (task.approval != null && task.approval.pending()) {
                task.approval = task.approval.decided(ApprovalStatus.REJECTED, null, "run cancelled", at);
            }
        } else if (data instanceof EventData.TaskRetryRequested) {
            reopen(task);
        } else if (data instanceof EventData.AgentModelCalled e) {
            addToTranscript(task, e);
            task.llmCalls++;
            task.promptTokens += e.promptTokens();
            task.completionTokens += e.completionTokens();
            llmCalls++;
            promptTokens += e.promptTokens();
            completionTokens += e.completionTokens();
        } else if (data instanceof EventData.AgentToolCalled e) {
            addToTranscript(task, e);
            toolCalls++;
        }
        // TaskReady changes the status only.
    }

    private static void addToTranscript(TaskState task, EventData.TaskEvent entry) {
        if (task.transcript == null) task.transcript = new ArrayList<>();
        task.transcript.add(entry);
    }

    /**
     * Says that the next PlanProposed or PlanAccepted event carries exactly {@code json} (the same
     * object), written by {@link dev.baton.plan.PlanWriter#toJson} from {@code plan}: applying it
     * then takes {@code plan} instead of parsing the JSON again (with every condition in it), which
     * a large plan would pay once more per run. Replaying from the journal always parses.
     */
    public void knowPlan(JsonNode json, Plan plan) {
        knownPlanJson = json;
        knownPlan = plan;
    }

    private void setPlan(int version, JsonNode planJson) {
        Plan parsed;
        if (planJson == knownPlanJson) {
            parsed = knownPlan;
        } else {
            try {
                parsed = PlanParser.parse(planJson);
            } catch (PlanException e) {
                throw new IllegalStateException("run " + id + ": the journal holds a plan that does not parse: " + e.getMessage(), e);
            }
        }
        knownPlanJson = null;
        knownPlan = null;
        plan = parsed;
        planVersion = version;
        Map<String, TaskState> previous = new HashMap<>(tasks);
        tasks.clear();
        java.util.Arrays.fill(tasksByStatus, 0);
        Map<String, List<String>> deps = new HashMap<>();
        for (TaskSpec spec : parsed.tasks()) {
            TaskState kept = previous.get(spec.id());
            // A new plan version keeps what already succeeded; everything else starts over.
            TaskState task = kept != null && kept.status == TaskStatus.SUCCEEDED ? kept : new TaskState(spec);
            tasks.put(spec.id(), task);
            tasksByStatus[task.status.ordinal()]++;
            for (String dependency : spec.dependencies()) {
                deps.computeIfAbsent(dependency, k -> new ArrayList<>(2)).add(spec.id());
            }
        }
        dependants = deps;
    }

    /**
     * A failed task runs again: it and the tasks skipped because of it become PENDING. A gated
     * task asks for approval again (an approval covers one attempt budget, and whoever may
     * retry need not be an approver); the arguments a person approved are kept and shown again.
     */
    private void reopen(TaskState failed) {
        failed.attempts = 0;
        failed.fallback = null; // a retried task may fall back again
        failed.approval = null;
        failed.error = null;
        failed.finishedAt = null;
        failed.retryAt = null;
        Deque<String> queue = new ArrayDeque<>(dependantsOf(failed.id()));
        while (!queue.isEmpty()) {
            TaskState task = tasks.get(queue.poll());
            if (task.status == TaskStatus.SKIPPED) {
                task.skipReason = null;
                task.finishedAt = null;
                setStatus(task, TaskStatus.PENDING);
                queue.addAll(dependantsOf(task.id()));
            }
        }
    }

    /** The task's new status; one that finishes it clears its timers and notes when. */
    private void move(TaskState task, TaskStatus newStatus, Instant at) {
        if (newStatus == task.status) return;
        if (newStatus.finished()) {
            task.finishedAt = at;
            task.deadline = null;
            task.retryAt = null;
        }
        setStatus(task, newStatus);
    }

    private void setStatus(TaskState task, TaskStatus newStatus) {
        tasksByStatus[task.status.ordinal()]--;
        tasksByStatus[newStatus.ordinal()]++;
        task.status = newStatus;
    }

    private TaskState task(EventData.TaskEvent event) {
        TaskState task = tasks.get(event.taskId());
        if (task == null) throw new IllegalStateException("run " + id + ": event " + event.type() + " names unknown task '" + event.taskId() + "'");
        return task;
    }

    public String id() { return id; }
    public String goal() { return goal; }
    public JsonNode input() { return input; }
    public JsonNode options() { return options; }
    /** Who started the run (a client's run until its RunCreated is applied). */
    public Origin origin() { return origin; }
    /** The W3C {@code traceparent} of the run's span (its trace and span id), or null when the run has no trace. */
    public String traceParent() { return traceParent; }
    /** The run's trace id (32 hex digits), or null when the run has no trace. */
    public String traceId() { return traceParent == null || traceParent.length() < 35 ? null : traceParent.substring(3, 35); }
    public RunStatus status() { return status; }
    public Instant createdAt() { return createdAt; }
    public Instant updatedAt() { return updatedAt; }
    public Plan plan() { return plan; }
    public int planVersion() { return planVersion; }
    public JsonNode result() { return result; }

    /** The answer a SUCCEEDED run asked for: null when it asked for none (or has not succeeded). */
    public AnswerStatus answerStatus() { return answerStatus; }

    /** Where the answer of a succeeded run stands. */
    public enum AnswerStatus {
        /** A model is writing it (its tokens stream as transient AnswerDelta events). */
        WRITING,
        /** {@code result.answer} holds it. */
        WRITTEN,
        /** {@code result.answerError} says why there is none. */
        FAILED
    }
    public Failure error() { return error; }
    public long lastSeq() { return lastSeq; }
    public long toolCalls() { return toolCalls; }
    /** Model calls of agent tasks, and their tokens. */
    public long llmCalls() { return llmCalls; }
    public long promptTokens() { return promptTokens; }
    public long completionTokens() { return completionTokens; }
    public String idempotencyKey() { return idempotencyKey; }
    public String requestHash() { return requestHash; }
    /** Who made the plan: {@code client}, {@code llm}, {@code playbook:<name>}. */
    public String planSource() { return planSource; }
    /** How many replans a task's failure started (the budget counts these, not message replans). */
    public int failureReplans() { return failureReplans; }
    /** The user's follow-up messages, oldest first. */
    public List<Message> messages() { return java.util.Collections.unmodifiableList(messages); }
    /** Why the last replan failed, or null. */
    public Failure replanError() { return replanError; }
    /** How the run ends once its compensations ran (while COMPENSATING or COMPENSATION_FAILED), or null. */
    public EventData.RunUnwinding unwinding() { return unwinding; }

    /** Tasks in plan order. */
    public Collection<TaskState> tasks() {
        return tasks.values();
    }

    public TaskState task(String taskId) {
        return tasks.get(taskId);
    }

    /** The tasks that wait for this one. */
    public List<String> dependantsOf(String taskId) {
        return dependants.getOrDefault(taskId, List.of());
    }

    /** How many tasks are in this state now. */
    public int count(TaskStatus taskStatus) {
        return tasksByStatus[taskStatus.ordinal()];
    }

    /** True when every task has finished. */
    public boolean allTasksFinished() {
        int finished = 0;
        for (TaskStatus s : TaskStatus.values()) if (s.finished()) finished += tasksByStatus[s.ordinal()];
        return finished == tasks.size();
    }

    /**
     * True while the run has work in flight or due without anyone's help (tasks ready,
     * running or waiting to retry). A run that is only waiting for people or for long
     * timers is "parked" and may leave memory.
     */
    public boolean active() {
        return !status.finished() && (count(TaskStatus.READY) + count(TaskStatus.RUNNING) + count(TaskStatus.RETRY_WAIT) > 0
                || status == RunStatus.PLANNING || status == RunStatus.REPLANNING || status == RunStatus.COMPENSATING);
    }
}
