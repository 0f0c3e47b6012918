package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.agent.AgentLoop;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.ResultWriter;
import dev.baton.tools.BatonTool;

import java.time.Duration;
import java.time.Instant;

/**
 * Something the shell carries out for a decision: the decider's only way to touch the world.
 * Calls start once the events before them are durable; the rest at once, in order.
 */
public sealed interface Command {

    /** Calls a tool for an attempt on a lane; its end comes back as {@link Input.CallEnded}, or a timeout after {@code timeout}. */
    record StartTool(String taskId, Lane lane, int attempt, BatonTool tool, JsonNode args, String idempotencyKey,
                     Duration timeout, Instant deadline) implements Command {
    }

    /** Runs an agent loop for an attempt on a lane; its model and tool calls come back as {@link Input.AgentStep}. */
    record StartAgent(String taskId, Lane lane, int attempt, AgentSpec agent, AgentLoop.Request request) implements Command {
    }

    /** A task to start once a call slot is free ({@code rerunAttempt} > 0: a call cut off by a crash, made again). */
    record AwaitSlot(String taskId, int rerunAttempt) implements Command {
    }

    /** Feeds {@link Input.TimerDue} back at {@code at} (at once if it has passed). */
    record ArmTimer(String taskId, TimerKind kind, Instant at) implements Command {
    }

    /** Stops the task's call in flight, if any, and frees its slot; {@code why} is for the log. */
    record Interrupt(String taskId, String why) implements Command {
    }

    /** Asks the planner for the run's first plan; the answer comes back as {@link Input.Planned}. */
    record AskPlanner(GoalPlanner.PlanningRequest request) implements Command {
    }

    /** Asks the planner for a new plan once per replan; the answer comes back as {@link Input.Replanned}. */
    record AskReplanner(GoalPlanner.ReplanningRequest request, int messagesSeen) implements Command {
    }

    /**
     * Asks the result writer for the answer of a SUCCEEDED run; its tokens go out as transient
     * deltas while it writes, the whole text comes back as {@link Input.AnswerWritten}.
     */
    record WriteAnswer(ResultWriter.Request request) implements Command {
    }
}
