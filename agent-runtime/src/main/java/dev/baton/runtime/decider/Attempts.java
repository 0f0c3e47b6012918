package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.ModelHint;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.References;
import dev.baton.plan.TaskAction;
import dev.baton.runtime.agent.AgentLoop;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.SideCall;
import dev.baton.runtime.run.TaskState;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One attempt lifecycle for every {@link Lane}: an attempt starts (its start event, then a
 * call), ends (success, or a failure retried by the lane's policy or given up on), and a
 * call cut off by a crash is made again with the same attempt number and idempotency key.
 * What differs by lane is only which events say so and what follows the end.
 */
final class Attempts {
    private final RunDecider decider;

    Attempts(RunDecider decider) {
        this.decider = decider;
    }

    // ------------------------------------------------------------------ starting

    /** Starts the task's next attempt: a wait, a tool call or an agent loop. */
    void start(Turn t, TaskState task) {
        RunState run = t.run;
        int attempt = task.totalAttempts() + 1;
        String key = run.id() + "/" + task.id();
        TaskAction action = task.spec().action();
        if (action instanceof TaskAction.Wait wait) {
            Instant fireAt = t.now.plus(wait.duration());
            t.emit(new EventData.TaskStarted(task.id(), attempt, key, null, fireAt));
            if (fireAt.isAfter(t.now)) {
                t.command(new Command.ArmTimer(task.id(), TimerKind.WAIT_OVER, fireAt));
            } else {
                ended(t, task, Lane.TASK, attempt, new Outcome.Success(null));
            }
        } else if (action instanceof TaskAction.ToolCall call) {
            JsonNode args = task.approvedArgs() != null ? task.approvedArgs() : Gates.resolvedArgs(run, call);
            startTool(t, task, Lane.TASK, attempt, key, call.tool(), args);
        } else if (action instanceof TaskAction.AgentCall call) {
            startAgent(t, task, call);
        } else {
            t.emit(new EventData.TaskStarted(task.id(), attempt, key, null, t.now));
            ended(t, task, Lane.TASK, attempt, new Outcome.Failure("internal_error", "unknown kind of task", false, null));
        }
    }

    /** Calls again what a crash (or a dropped write) cut off: same attempt number, same idempotency key. */
    void rerun(Turn t, TaskState task) {
        if (task.inFallback()) {
            SideCall fallback = task.fallback();
            if (task.spec().flow().fallback() instanceof TaskAction.AgentCall call) {
                // Same attempt, a fresh conversation: the loop's calls were not journaled one by one.
                startAgentFallback(t, task, call.agent(), fallback.args().path("instruction").asText(), fallback.totalAttempts(),
                        fallback.idempotencyKey());
            } else {
                TaskAction.ToolCall call = (TaskAction.ToolCall) task.spec().flow().fallback();
                startTool(t, task, Lane.FALLBACK, fallback.totalAttempts(), fallback.idempotencyKey(), call.tool(), fallback.args());
            }
            return;
        }
        TaskAction action = task.spec().action();
        Optional<AgentSpec> agent = action instanceof TaskAction.AgentCall call && decider.options.models() != null
                ? decider.options.agents().find(call.agent()) : Optional.empty();
        if (agent.isPresent()) {
            // The loop picks the conversation up from its transcript; calls without a recorded result run again.
            runAgent(t, task, (TaskAction.AgentCall) action, agent.get(), task.totalAttempts(), null);
        } else if (action instanceof TaskAction.ToolCall call) {
            startTool(t, task, Lane.TASK, task.totalAttempts(), task.idempotencyKey(), call.tool(), task.args());
        } else {
            ended(t, task, Lane.TASK, task.totalAttempts(), new Outcome.Failure("interrupted", "the server stopped during the task", true, null));
        }
    }

    /** Starts the next attempt of a task's fallback: a tool call, or an agent task. */
    void startFallback(Turn t, TaskState task) {
        RunState run = t.run;
        TaskAction fallback = task.spec().flow().fallback();
        int attempt = task.fallback() == null ? 1 : task.fallback().totalAttempts() + 1;
        String key = run.id() + "/" + task.id() + "/fallback";
        Function<String, JsonNode> errors = id -> id.equals(task.id()) ? RunJson.failure(task.error()) : null;
        if (fallback instanceof TaskAction.AgentCall call) {
            String instruction = References.resolveToText(call.instruction(), run.input(), id -> Gates.outputOf(run, id), errors);
            startAgentFallback(t, task, call.agent(), instruction, attempt, key);
            return;
        }
        TaskAction.ToolCall call = (TaskAction.ToolCall) fallback;
        JsonNode args = References.resolve(call.args(), run.input(), id -> Gates.outputOf(run, id), errors);
        startTool(t, task, Lane.FALLBACK, attempt, key, call.tool(), args);
    }

    /** Starts attempt {@code attempt} of a task's compensation; the one a crash cut off runs again with its arguments. */
    void startCompensation(Turn t, TaskState task, int attempt) {
        RunState run = t.run;
        SideCall call = task.compensation();
        TaskAction.ToolCall undo = task.spec().flow().compensate();
        boolean again = call != null && call.status() == SideCall.Status.RUNNING && call.totalAttempts() == attempt;
        JsonNode args = again ? call.args() : References.resolve(undo.args(), run.input(), id -> Gates.outputOf(run, id));
        String key = call == null || call.idempotencyKey() == null ? run.id() + "/" + task.id() + "/compensate" : call.idempotencyKey();
        startTool(t, task, Lane.COMPENSATION, attempt, key, undo.tool(), args);
    }

    /** Journals the start of a tool attempt on a lane and calls the tool, unless the tool is unknown or the arguments break its schema. */
    private void startTool(Turn t, TaskState task, Lane lane, int attempt, String key, String toolName, JsonNode args) {
        Optional<BatonTool> tool = decider.tools.find(toolName);
        Duration fallbackTimeout = decider.options.defaultToolTimeout();
        Duration timeout = tool.map(found -> lane == Lane.TASK
                ? PlanValidator.effectiveTimeout(task.spec(), found.descriptor(), fallbackTimeout)
                : found.descriptor().timeoutOr(fallbackTimeout)).orElse(Duration.ZERO);
        Instant deadline = t.now.plus(timeout);
        t.emit(started(lane, task.id(), attempt, key, args, deadline));
        if (tool.isEmpty()) {
            ended(t, task, lane, attempt, new Outcome.Failure("unknown_tool", "no tool named '" + toolName + "' is registered", false, null));
            return;
        }
        List<SchemaViolation> violations = JsonSchemaValidator.validate(tool.get().descriptor().parameters(), args);
        if (!violations.isEmpty()) {
            ended(t, task, lane, attempt, new Outcome.Failure("args_invalid", "the resolved arguments break the schema of '"
                    + toolName + "': " + Gates.describe(violations), false, null));
            return;
        }
        t.command(new Command.StartTool(task.id(), lane, attempt, tool.get(), args, key, timeout, deadline));
    }

    private static EventData started(Lane lane, String taskId, int attempt, String key, JsonNode args, Instant deadline) {
        return switch (lane) {
            case TASK -> new EventData.TaskStarted(taskId, attempt, key, args, deadline);
            case FALLBACK -> new EventData.FallbackStarted(taskId, attempt, key, args, deadline);
            case COMPENSATION -> new EventData.CompensationStarted(taskId, attempt, key, args, deadline);
        };
    }

    // ------------------------------------------------------------------ agents

    /**
     * Starts an agent task's loop, or resumes it. A task READY after a person approved the gated
     * call its agent proposed continues the same attempt: the loop rebuilds the conversation from
     * the recorded transcript and runs the approved call first. Otherwise a new attempt starts a
     * new conversation.
     */
    private void startAgent(Turn t, TaskState task, TaskAction.AgentCall call) {
        boolean resume = task.approvalTool() != null && task.approval() != null && task.approval().approved()
                && task.totalAttempts() > 0;
        int attempt = resume ? task.totalAttempts() : task.totalAttempts() + 1;
        AgentLoop.ApprovedCall approved = null;
        if (resume) {
            String callId = pendingAgentCall(task, attempt);
            if (callId != null) approved = new AgentLoop.ApprovedCall(callId, task.args());
        }
        Outcome.Failure refused = null;
        Optional<AgentSpec> agent = Optional.empty();
        if (decider.options.models() == null) {
            refused = new Outcome.Failure("model_not_configured",
                    "agent tasks need a model: " + ModelHint.SET, false, null);
        } else {
            agent = decider.options.agents().find(call.agent());
            if (agent.isEmpty()) refused = new Outcome.Failure("unknown_agent", "no agent named '" + call.agent() + "' is registered", false, null);
        }
        if (refused != null) {
            t.emit(new EventData.TaskStarted(task.id(), attempt, t.run.id() + "/" + task.id(), null, t.now));
            ended(t, task, Lane.TASK, attempt, refused);
            return;
        }
        runAgent(t, task, call, agent.get(), attempt, approved);
    }

    /** Journals the start and hands the loop to the shell; its steps come back as {@link Input.AgentStep}. */
    private void runAgent(Turn t, TaskState task, TaskAction.AgentCall call, AgentSpec agent, int attempt, AgentLoop.ApprovedCall approved) {
        RunState run = t.run;
        Instant deadline = t.now.plus(agent.limits().timeout());
        t.emit(new EventData.TaskStarted(task.id(), attempt, run.id() + "/" + task.id(), null, deadline));
        String userMessage = AgentLoop.userMessage(call.instruction(), run.goal(), run.input(), dependencyOutputs(run, task));
        t.command(new Command.StartAgent(task.id(), Lane.TASK, attempt, agent, new AgentLoop.Request(run.id(), task.id(), attempt,
                agent, userMessage, task.transcript(attempt), approved, deadline)));
    }

    /**
     * Journals the start of an agent fallback's attempt ({@code args} are {@code {agent,
     * instruction}}, the instruction resolved) and runs its loop. The agent hears why the task
     * failed. Its model calls are journaled as {@code ModelUsed} (purpose {@code fallback}) so
     * they count in the run's usage; it cannot wait for approval (a gated call fails the attempt).
     */
    private void startAgentFallback(Turn t, TaskState task, String agentName, String instruction, int attempt, String key) {
        RunState run = t.run;
        Optional<AgentSpec> agent = decider.options.models() == null ? Optional.empty() : decider.options.agents().find(agentName);
        Instant deadline = t.now.plus(agent.map(a -> a.limits().timeout()).orElse(Duration.ZERO));
        ObjectNode args = Json.object();
        args.put("agent", agentName);
        args.put("instruction", instruction);
        t.emit(new EventData.FallbackStarted(task.id(), attempt, key, args, deadline));
        if (agent.isEmpty()) {
            ended(t, task, Lane.FALLBACK, attempt, decider.options.models() == null
                    ? new Outcome.Failure("model_not_configured", "agent fallbacks need a model: " + ModelHint.SET, false, null)
                    : new Outcome.Failure("unknown_agent", "no agent named '" + agentName + "' is registered", false, null));
            return;
        }
        Failure error = task.error();
        String told = instruction + "\n\nYou are the fallback of the task '" + task.id() + "' (" + task.spec().title()
                + "), which failed for good" + (error == null ? "." : " with " + error.code() + ": " + error.message());
        String userMessage = AgentLoop.userMessage(told, run.goal(), run.input(), dependencyOutputs(run, task));
        t.command(new Command.StartAgent(task.id(), Lane.FALLBACK, attempt, agent.get(),
                new AgentLoop.Request(run.id(), task.id(), attempt, agent.get(), userMessage, List.of(), null, deadline)));
    }

    /** A model or tool call of a running agent loop: recorded if the attempt is still the current one. */
    void agentStep(Turn t, Input.AgentStep step) {
        TaskState task = t.run.task(step.taskId());
        if (task == null || task.status() != TaskStatus.RUNNING) return;
        if (step.lane() == Lane.TASK) {
            if (!task.inFallback() && task.totalAttempts() == step.attempt()) t.emit(step.event());
        } else if (step.lane() == Lane.FALLBACK && step.event() instanceof EventData.AgentModelCalled called
                && task.inFallback() && task.fallback().totalAttempts() == step.attempt()) {
            t.emit(new EventData.ModelUsed("fallback", step.agent(), called.promptTokens(), called.completionTokens(),
                    called.durationMs(), false, null));
        }
    }

    /** The first call of the attempt's last model answer that has no recorded result: the one waiting for approval. */
    private static String pendingAgentCall(TaskState task, int attempt) {
        List<String> pending = new ArrayList<>();
        for (EventData.TaskEvent entry : task.transcript(attempt)) {
            if (entry instanceof EventData.AgentModelCalled m) {
                pending.clear();
                m.toolCalls().forEach(c -> pending.add(c.id()));
            } else if (entry instanceof EventData.AgentToolCalled called) {
                pending.remove(called.callId());
            }
        }
        return pending.isEmpty() ? null : pending.get(0);
    }

    /** The outputs of the tasks a task depends on, by id: what its agent is told. */
    private static Map<String, JsonNode> dependencyOutputs(RunState run, TaskState task) {
        Map<String, JsonNode> dependencies = new LinkedHashMap<>();
        for (String dependency : task.spec().dependencies()) {
            TaskState upstream = run.task(dependency);
            if (upstream != null) dependencies.put(dependency, upstream.output());
        }
        return dependencies;
    }

    // ------------------------------------------------------------------ ending

    /** An attempt on a lane ended: its success moves the run on; its failure is retried by the lane's policy or given up on. */
    void ended(Turn t, TaskState task, Lane lane, int attempt, Outcome outcome) {
        if (outcome instanceof Outcome.Success success) {
            switch (lane) {
                case TASK -> {
                    String tool = task.spec().action() instanceof TaskAction.ToolCall call ? call.tool() : null;
                    t.emit(new EventData.TaskSucceeded(task.id(), attempt, success.output(), tool));
                    decider.onTaskFinished(t, task.id());
                }
                case FALLBACK -> {
                    t.emit(new EventData.FallbackSucceeded(task.id(), attempt, success.output()));
                    decider.onTaskFinished(t, task.id());
                }
                case COMPENSATION -> {
                    t.emit(new EventData.CompensationSucceeded(task.id(), attempt, success.output()));
                    decider.unwinding.next(t);
                }
            }
            return;
        }
        if (lane == Lane.TASK && outcome instanceof Outcome.ApprovalNeeded needed) {
            decider.requestApproval(t, task, needed.tool(), needed.args(), null);
            return;
        }
        Outcome.Failure failure = outcome instanceof Outcome.Failure f ? f : new Outcome.Failure("approval_needed",
                "a " + (lane == Lane.FALLBACK ? "fallback" : "compensation") + " cannot wait for approval", false, null);
        Failure error = RunDecider.failure(failure);
        RetryPolicy policy = retryPolicy(task, lane);
        int attempts = lane == Lane.TASK ? task.attempts() : (lane == Lane.FALLBACK ? task.fallback() : task.compensation()).attempts();
        Instant retryAt = failure.retryable() && attempts < policy.maxAttempts()
                ? t.now.plus(policy.backoff(attempts + 1, failure.retryAfter(), jitter(t.run, task, lane, attempt))) : null;
        t.emit(switch (lane) {
            case TASK -> new EventData.TaskAttemptFailed(task.id(), attempt, error, failure.retryable(), retryAt);
            case FALLBACK -> new EventData.FallbackAttemptFailed(task.id(), attempt, error, failure.retryable(), retryAt);
            case COMPENSATION -> new EventData.CompensationAttemptFailed(task.id(), attempt, error, failure.retryable(), retryAt);
        });
        if (retryAt != null) {
            t.command(new Command.ArmTimer(task.id(), lane == Lane.COMPENSATION ? TimerKind.COMPENSATION_RETRY : TimerKind.RETRY, retryAt));
            return;
        }
        switch (lane) {
            case TASK -> {
                if (fallbackDue(t.run, task)) startFallback(t, task); else decider.onTaskFinished(t, task.id());
            }
            case FALLBACK -> decider.onTaskFinished(t, task.id());
            case COMPENSATION -> t.emit(new EventData.CompensationFailed(task.id(), error));
        }
    }

    /**
     * Where in its policy's jitter an attempt's retry falls: drawn from the attempt's identity
     * rather than a random source, so that the same failure is always decided the same way,
     * while tasks that fail together still spread their retries.
     */
    static double jitter(RunState run, TaskState task, Lane lane, int attempt) {
        int hash = java.util.Objects.hash(run.id(), task.id(), lane.ordinal(), attempt) * 0x9E3779B9;
        return (hash >>> 8) / (double) (1 << 24);
    }

    /** Whether a task that just failed for good should run its fallback: it has one, not yet begun, and the run goes on. */
    static boolean fallbackDue(RunState run, TaskState task) {
        return task.status() == TaskStatus.FAILED && run.status() == RunStatus.RUNNING
                && task.spec().flow().fallback() != null && task.fallback() == null;
    }

    /** The lane's retry policy: the task's (its plan over its tool's); a side call's tool's, or the default for an agent. */
    private RetryPolicy retryPolicy(TaskState task, Lane lane) {
        TaskAction action = switch (lane) {
            case TASK -> task.spec().action();
            case FALLBACK -> task.spec().flow().fallback();
            case COMPENSATION -> task.spec().flow().compensate();
        };
        Optional<BatonTool> tool = action instanceof TaskAction.ToolCall call ? decider.tools.find(call.tool()) : Optional.empty();
        if (lane == Lane.TASK) return PlanValidator.effectiveRetry(task.spec(), tool.map(BatonTool::descriptor).orElse(null));
        return tool.map(found -> found.descriptor().retry()).orElse(RetryPolicy.DEFAULT);
    }
}
