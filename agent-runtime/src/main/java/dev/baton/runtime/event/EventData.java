package dev.baton.runtime.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;

import java.time.Instant;

/**
 * What a {@link RunEvent} says. The set is closed: {@link dev.baton.runtime.run.RunState#apply}
 * handles every kind, and the journal stores each under its simple class name.
 */
public sealed interface EventData {

    /** The type name stored in the journal and sent on the event stream. */
    default String type() {
        return getClass().getSimpleName();
    }

    /** An event about one task. */
    sealed interface TaskEvent extends EventData {
        String taskId();
    }

    /** A failure as the API shows it. */
    record Failure(String code, String message) {
    }

    // ---- run level ----

    /**
     * A run was accepted. {@code idempotencyKey} and {@code requestHash} let a repeated
     * request find the run it created; both may be null. {@code origin} says who started it; a
     * RunCreated journaled before origins were kept has none, and its origin is read from the
     * marks in its {@code options} ({@link Origin#fromMarks}), so it is never null.
     * {@code traceParent} is the W3C {@code traceparent} of the run's span (its trace id and span id),
     * kept so that the spans of its tasks join the same trace after a restart or on another node; null
     * when the run has no trace (tracing off and no caller's trace), and in journals written before it
     * was kept. It is left out of the stored JSON when null.
     */
    record RunCreated(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash,
                      Origin origin,
                      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                      String traceParent) implements EventData {
        public RunCreated {
            origin = origin == null ? Origin.fromMarks(options) : origin;
        }

        /** A run with no trace context. */
        public RunCreated(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash,
                          Origin origin) {
            this(goal, input, options, idempotencyKey, requestHash, origin, null);
        }

        /** A run whose origin its options' marks say (a client's, unless they mark a ticket or a trigger). */
        public RunCreated(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash) {
            this(goal, input, options, idempotencyKey, requestHash, null, null);
        }
    }

    /**
     * A planner (a model, a playbook) proposed a plan for the run. {@code source} says which,
     * e.g. {@code llm} or {@code playbook:check-url-health}. With {@code needsApproval} the run
     * waits in AWAITING_PLAN_APPROVAL; a {@link PlanAccepted} follows when someone approves (or
     * at once when no approval is needed).
     */
    record PlanProposed(int version, JsonNode plan, String source, boolean needsApproval) implements EventData {
    }

    /** The plan the run follows from now on (version 1 first, higher after a replan or an edit). */
    record PlanAccepted(int version, JsonNode plan) implements EventData {
    }

    /**
     * Every task finished and none failed. With {@code answering}, the run asked for an answer
     * ({@code options.answer}) and a model writes it now: an {@link AnswerWritten} or an
     * {@link AnswerFailed} follows, and the run is SUCCEEDED meanwhile. Left out of the stored
     * JSON when false, so runs without an answer are stored as before.
     */
    record RunSucceeded(JsonNode result,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
                        boolean answering) implements EventData {
        /** A succeeded run with no answer to write. */
        public RunSucceeded(JsonNode result) {
            this(result, false);
        }
    }

    /**
     * The answer of a SUCCEEDED run that asked for one: {@code answer} is the model's text (the
     * run's {@code result.answer}). The tokens that streamed before it are not journaled (see
     * {@code AnswerDelta} in the orchestrator): this event holds the whole text.
     */
    record AnswerWritten(String answer) implements EventData {
    }

    /** The answer of a SUCCEEDED run could not be written (the run's {@code result.answerError}); the run stays SUCCEEDED. */
    record AnswerFailed(Failure error) implements EventData {
    }

    /** The run ended because a task failed for good or was rejected, or the run could not start. */
    record RunFailed(Failure error) implements EventData {
    }

    /** Someone cancelled the run; its unfinished tasks are cancelled with it. */
    record RunCancelled(String by, String reason) implements EventData {
    }

    /** A finished run was opened again, e.g. because a failed task is retried. */
    record RunReopened(String by, String reason) implements EventData {
    }

    /**
     * The run stopped starting tasks to get a new plan for its unfinished part: RUNNING becomes
     * REPLANNING. {@code trigger} is {@code task_failed} (then {@code failedTaskIds} names the
     * tasks that failed for good) or {@code message} (a user's follow-up). Tasks already running
     * finish first; then the planner is asked. Only {@code task_failed} replans count against
     * the run's replanning budget.
     */
    record ReplanStarted(String trigger, String reason, java.util.List<String> failedTaskIds) implements EventData {
        public ReplanStarted {
            failedTaskIds = failedTaskIds == null ? java.util.List.of() : java.util.List.copyOf(failedTaskIds);
        }
    }

    /**
     * The planner could not replan: REPLANNING becomes RUNNING again and the run goes on with
     * its plan (a failed task's dependants are then skipped, as without replanning).
     */
    record ReplanFailed(Failure error) implements EventData {
    }

    /**
     * A model call made for the run as a whole: planning, replanning or writing the answer
     * ({@code purpose}). Agent tasks' calls are {@link AgentModelCalled} events instead. A call
     * that failed has an {@code errorCode} and no tokens; a cached one spent no tokens.
     */
    record ModelUsed(String purpose, String model, long promptTokens, long completionTokens, long durationMs,
                     boolean cached, String errorCode) implements EventData {
    }

    /** A user added an instruction to the run (POST /api/runs/{id}/messages); it leads to a replan. */
    record UserMessage(String text, String by) implements EventData {
    }

    // ---- task level ----

    /** Every dependency succeeded: the task may start (or ask for approval first). */
    record TaskReady(String taskId) implements TaskEvent {
    }

    /**
     * The task waits for a person. {@code args} are the resolved arguments the person is shown;
     * {@code expiresAt} is null when the approval never expires; {@code onTimeout} (JSON
     * {@code reject} or {@code escalate}) says what its expiry does.
     */
    record ApprovalRequested(String taskId, String title, String tool, JsonNode args, Instant expiresAt,
                             ExpiryPolicy onTimeout) implements TaskEvent {
    }

    /**
     * A person decided ({@code decision}: JSON {@code approve} or {@code reject}); {@code args},
     * when not null, replace the task's arguments (already validated).
     */
    record ApprovalDecided(String taskId, Verdict decision, String by, String comment, JsonNode args)
            implements TaskEvent {
    }

    /** The approval's time ran out and the policy says reject: the task is REJECTED, approval EXPIRED. */
    record ApprovalExpired(String taskId) implements TaskEvent {
    }

    /** The approval's time ran out and the policy says escalate: it keeps waiting, for an admin only. */
    record ApprovalEscalated(String taskId) implements TaskEvent {
    }

    /**
     * An attempt began. {@code args} are the resolved arguments; {@code deadline} is when the
     * attempt times out, or for a wait task when its timer fires.
     */
    record TaskStarted(String taskId, int attempt, String idempotencyKey, JsonNode args, Instant deadline)
            implements TaskEvent {
    }

    /**
     * The task is done; {@code output} is what later tasks reference. {@code tool} is the tool
     * that wrote it, null for an agent or a wait task (and in events journaled before it was kept):
     * the tickets projection believes a {@code ticket} in the output only from a tool.
     */
    record TaskSucceeded(String taskId, int attempt, JsonNode output, String tool) implements TaskEvent {
        public TaskSucceeded(String taskId, int attempt, JsonNode output) {
            this(taskId, attempt, output, null);
        }
    }

    /**
     * An attempt failed. With {@code retryAt} the task waits for another attempt at that time
     * (RETRY_WAIT); without it the task has failed for good (FAILED).
     */
    record TaskAttemptFailed(String taskId, int attempt, Failure error, boolean retryable, Instant retryAt)
            implements TaskEvent {
    }

    /** The task will not run because an upstream task failed, was rejected or was skipped. */
    record TaskSkipped(String taskId, String reason) implements TaskEvent {
    }

    /** The task was stopped unfinished because its run was cancelled. */
    record TaskCancelled(String taskId) implements TaskEvent {
    }

    /** Someone asked for a FAILED task to run again; it becomes PENDING with a fresh attempt budget. */
    record TaskRetryRequested(String taskId, String by) implements TaskEvent {
    }

    // ---- flow: fallbacks ----

    /**
     * A task failed for good and its plan names a fallback tool call: an attempt of it began
     * (the task is RUNNING again). {@code args} are resolved, and may hold the task's error.
     */
    record FallbackStarted(String taskId, int attempt, String idempotencyKey, JsonNode args, Instant deadline)
            implements TaskEvent {
    }

    /** The fallback succeeded: its output stands in for the task's, which is SUCCEEDED. */
    record FallbackSucceeded(String taskId, int attempt, JsonNode output) implements TaskEvent {
    }

    /**
     * A fallback attempt failed: with {@code retryAt} it is tried again then (the task is
     * RETRY_WAIT); without, the task is FAILED with its own error, as without a fallback.
     */
    record FallbackAttemptFailed(String taskId, int attempt, Failure error, boolean retryable, Instant retryAt)
            implements TaskEvent {
    }

    // ---- flow: compensation ----

    /**
     * The run failed or was cancelled, and tasks that succeeded declared how to undo
     * themselves: the run is COMPENSATING until their compensations ran. {@code outcome} is
     * {@link UnwindingOutcome#FAILED FAILED} (with {@code error}) or {@link UnwindingOutcome#CANCELLED
     * CANCELLED} (with {@code by} and {@code reason}): the run ends so once every compensation succeeded.
     */
    record RunUnwinding(UnwindingOutcome outcome, Failure error, String by, String reason) implements EventData {
    }

    /** An attempt of a task's compensation began, with its own stable idempotency key. */
    record CompensationStarted(String taskId, int attempt, String idempotencyKey, JsonNode args, Instant deadline)
            implements TaskEvent {
    }

    /** A task's compensation succeeded: what the task did is undone. */
    record CompensationSucceeded(String taskId, int attempt, JsonNode output) implements TaskEvent {
    }

    /**
     * A compensation attempt failed: with {@code retryAt} it is tried again then; without, it
     * has failed for good and a {@link CompensationFailed} follows.
     */
    record CompensationAttemptFailed(String taskId, int attempt, Failure error, boolean retryable, Instant retryAt)
            implements TaskEvent {
    }

    /** A compensation failed for good: the run stops unwinding, COMPENSATION_FAILED, until someone retries. */
    record CompensationFailed(String taskId, Failure error) implements EventData {
    }

    /** Someone asked to retry the failed compensation: the run is COMPENSATING again. */
    record CompensationRetryRequested(String by) implements EventData {
    }

    // ---- agent tasks ----

    /** One tool call an agent's model asked for: {@code name} is the Baton tool name (or the model's, when unknown). */
    record AgentToolRequest(String id, String name, JsonNode args) {
    }

    /**
     * An agent's model answered one step of its loop. {@code text} may be null; a final answer
     * has no {@code toolCalls}. Token counts are 0 when the model did not report them.
     */
    record AgentModelCalled(String taskId, int attempt, int step, String text, java.util.List<AgentToolRequest> toolCalls,
                            int promptTokens, int completionTokens, long durationMs, String finishReason)
            implements TaskEvent {
        public AgentModelCalled {
            toolCalls = toolCalls == null ? java.util.List.of() : java.util.List.copyOf(toolCalls);
        }
    }

    /**
     * An agent's tool call ended: exactly one of {@code output} and {@code error} is set. Calls the
     * model made to unknown tools or with arguments that break the tool's schema are recorded
     * here too, with the error the model was told.
     */
    record AgentToolCalled(String taskId, int attempt, int step, String callId, String tool, JsonNode args,
                           JsonNode output, Failure error, long durationMs) implements TaskEvent {
    }
}
