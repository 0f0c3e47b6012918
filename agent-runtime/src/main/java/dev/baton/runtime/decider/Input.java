package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.planning.GoalPlanner;

import java.time.Instant;

/** What happened to a run, for the decider to decide on: a request, a call's end, a timer, a person's decision. */
public sealed interface Input {

    /**
     * A new run (its RunCreated comes from here); {@code plan} is null when the planner is to make one;
     * {@code origin} null reads the origin from the marks in {@code options}; {@code traceParent} is the
     * run span's W3C traceparent the shell started (kept in the RunCreated), or null.
     */
    record Create(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash, CheckedPlan plan,
                  Origin origin, String traceParent)
            implements Input {
        public Create(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash, CheckedPlan plan) {
            this(goal, input, options, idempotencyKey, requestHash, plan, null, null);
        }

        public Create(String goal, JsonNode input, JsonNode options, String idempotencyKey, String requestHash, CheckedPlan plan,
                      Origin origin) {
            this(goal, input, options, idempotencyKey, requestHash, plan, origin, null);
        }
    }

    /**
     * The planner answered ({@code proposed}) or failed ({@code error}); {@code checked} is the
     * proposed plan already checked off the run's thread, or null to have the decider check it.
     */
    record Planned(GoalPlanner.ProposedPlan proposed, Throwable error, CheckedPlan checked) implements Input {
        public Planned(GoalPlanner.ProposedPlan proposed, Throwable error) {
            this(proposed, error, null);
        }
    }

    /** The planner answered a replan; {@code messagesSeen} is how many user messages it was shown. */
    record Replanned(GoalPlanner.ProposedPlan proposed, Throwable error, int messagesSeen, CheckedPlan checked) implements Input {
        public Replanned(GoalPlanner.ProposedPlan proposed, Throwable error, int messagesSeen) {
            this(proposed, error, messagesSeen, null);
        }
    }

    /** The result writer answered ({@code answer}, the whole text) or failed ({@code error}) for a SUCCEEDED run. */
    record AnswerWritten(String answer, Throwable error) implements Input {
    }

    /** A call ended (or the shell gave up on it: a timeout). */
    record CallEnded(String taskId, Lane lane, int attempt, Outcome outcome) implements Input {
    }

    /** A model or tool call of a running agent loop. */
    record AgentStep(String taskId, Lane lane, int attempt, String agent, EventData.TaskEvent event) implements Input {
    }

    /** A timer the decider armed is due. */
    record TimerDue(String taskId, TimerKind kind, Instant at) implements Input {
    }

    /** A call slot is free for a task that waited for one ({@link Command.AwaitSlot}). */
    record SlotFree(String taskId, int rerunAttempt) implements Input {
    }

    /** A person decided a task's approval ({@code args}: edited arguments, approve only). */
    record DecideApproval(String taskId, boolean approve, String by, boolean admin, String comment, JsonNode args)
            implements Input {
    }

    /** A person decided a proposed plan ({@code editedPlan}: approve only). */
    record DecidePlan(boolean approve, String by, String comment, JsonNode editedPlan) implements Input {
    }

    record Cancel(String by) implements Input {
    }

    record RetryTask(String taskId, String by) implements Input {
    }

    record RetryCompensation(String by) implements Input {
    }

    /** A user's follow-up instruction. */
    record Message(String text, String by) implements Input {
    }

    /** A model call made for the run as a whole (planning, replanning, the answer). */
    record ModelCallMade(EventData.ModelUsed call) implements Input {
    }
}
