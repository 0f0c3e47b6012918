package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.TaskSpec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One task of a run as its events have left it. Only {@link RunState#apply} changes it;
 * everything else reads it on the orchestrator's thread.
 */
public final class TaskState {
    private final TaskSpec spec;
    TaskStatus status = TaskStatus.PENDING;
    /** Attempts made since the task was created or last retried by a person. */
    int attempts;
    /** Attempts made over the task's whole life, for the idempotency of numbering. */
    int totalAttempts;
    JsonNode output;
    Failure error;
    ApprovalState approval;
    /** Arguments a person approved in place of the plan's, or null. */
    JsonNode approvedArgs;
    /** The resolved arguments of the last attempt, or of the approval request. */
    JsonNode args;
    String idempotencyKey;
    Instant startedAt;
    Instant finishedAt;
    /** When the running attempt times out, or when a wait task's timer fires. */
    Instant deadline;
    /** When the next attempt is due (RETRY_WAIT). */
    Instant retryAt;
    String skipReason;
    List<Attempt> history;
    /** An agent task's model and tool calls, all attempts, in order; null until the first. */
    List<EventData.TaskEvent> transcript;
    /** The tool an agent asked to call when it stopped for approval, or null. */
    String approvalTool;
    int llmCalls;
    long promptTokens;
    long completionTokens;
    /** The fallback's call, once the task failed for good and its fallback began; null before. */
    SideCall fallback;
    /** The compensation's call, once the run began unwinding this task; null before. */
    SideCall compensation;
    /** The seq of the event that made the task SUCCEEDED: compensations run newest first. */
    long succeededSeq;

    TaskState(TaskSpec spec) {
        this.spec = spec;
    }

    public TaskSpec spec() { return spec; }
    public String id() { return spec.id(); }
    public TaskStatus status() { return status; }
    public int attempts() { return attempts; }
    public int totalAttempts() { return totalAttempts; }
    public JsonNode output() { return output; }
    public Failure error() { return error; }
    public ApprovalState approval() { return approval; }
    public JsonNode approvedArgs() { return approvedArgs; }
    public JsonNode args() { return args; }
    public String idempotencyKey() { return idempotencyKey; }
    public Instant startedAt() { return startedAt; }
    public Instant finishedAt() { return finishedAt; }
    public Instant deadline() { return deadline; }
    public Instant retryAt() { return retryAt; }
    public String skipReason() { return skipReason; }
    /** The fallback's call, or null when none began. */
    public SideCall fallback() { return fallback; }
    /** The compensation's call, or null when none began. */
    public SideCall compensation() { return compensation; }
    /** The seq of the event that made the task SUCCEEDED (0 if it never did). */
    public long succeededSeq() { return succeededSeq; }

    /** Whether the task is now running (or waiting to retry) its fallback rather than its own action. */
    public boolean inFallback() {
        return fallback != null && (fallback.status == SideCall.Status.RUNNING || fallback.status == SideCall.Status.RETRY_WAIT);
    }

    /** Whether the task succeeded through its own action, not its fallback: only then is there something to undo. */
    public boolean succeededItself() {
        return status == TaskStatus.SUCCEEDED && (fallback == null || fallback.status != SideCall.Status.SUCCEEDED);
    }

    /** The tool an agent proposed when it stopped for approval (agent tasks), or null. */
    public String approvalTool() { return approvalTool; }
    public int llmCalls() { return llmCalls; }
    public long promptTokens() { return promptTokens; }
    public long completionTokens() { return completionTokens; }

    /** An agent task's recorded {@link EventData.AgentModelCalled} and {@link EventData.AgentToolCalled} events, in order. */
    public List<EventData.TaskEvent> transcript() {
        return transcript == null ? List.of() : List.copyOf(transcript);
    }

    /** The transcript entries of one attempt: the conversation an agent loop resumes from. */
    public List<EventData.TaskEvent> transcript(int attempt) {
        if (transcript == null) return List.of();
        List<EventData.TaskEvent> entries = new ArrayList<>();
        for (EventData.TaskEvent entry : transcript) {
            int number = entry instanceof EventData.AgentModelCalled m ? m.attempt() : ((EventData.AgentToolCalled) entry).attempt();
            if (number == attempt) entries.add(entry);
        }
        return entries;
    }

    public List<Attempt> history() {
        return history == null ? List.of() : List.copyOf(history);
    }

    void recordAttempt(Attempt attempt) {
        if (history == null) history = new ArrayList<>(2);
        if (!history.isEmpty() && history.get(history.size() - 1).number() == attempt.number()) {
            history.set(history.size() - 1, attempt);
        } else {
            history.add(attempt);
        }
    }

    Attempt lastAttempt() {
        return history == null || history.isEmpty() ? null : history.get(history.size() - 1);
    }
}
