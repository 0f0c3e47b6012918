package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;
import dev.baton.plan.TaskAction;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.Failure;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.function.Predicate;

/** Runs and tasks as the API shows them (see shared/API.md, Run and Task). */
public final class RunJson {

    /**
     * Room for a task's fields without growing (a plain task has 17 or 18, up to 24 fit): a fresh
     * 10,000-task run is rendered for {@code submit}'s answer, and growing each task's map twice
     * was a good part of that.
     */
    private static final int TASK_FIELDS = 32;
    /** Status names, one shared node each ({@link TextNode} is immutable). */
    private static final TextNode[] STATUS = java.util.Arrays.stream(TaskStatus.values())
            .map(status -> TextNode.valueOf(status.name())).toArray(TextNode[]::new);

    private RunJson() {
    }

    /**
     * @param gated whether a task needs a person's approval (plan, tool or policy)
     */
    public static ObjectNode run(RunState run, Predicate<TaskState> gated) {
        ObjectNode node = Json.object();
        node.put("id", run.id());
        node.put("goal", run.goal());
        node.put("status", run.status().name());
        putInstant(node, "createdAt", run.createdAt());
        putInstant(node, "updatedAt", run.updatedAt());
        node.set("input", run.input() == null ? Json.object() : run.input());
        // The request's options, e.g. options.trigger: which trigger and firing started the run.
        if (run.options() != null && !run.options().isNull()) node.set("options", run.options());
        // A follow-up's link to the run it continues (options.continues, set by the server from the request's "continues").
        if (run.options() != null && run.options().path("continues").isTextual()) node.put("continues", run.options().get("continues").asText());
        // The run's OpenTelemetry trace (the caller's traceparent, or the run's own when tracing is on); absent if none.
        if (run.traceId() != null) node.put("traceId", run.traceId());
        ObjectNode plan = node.putObject("plan");
        plan.put("version", run.planVersion());
        plan.put("source", run.planSource());
        ArrayNode tasks = plan.putArray("tasks");
        java.util.Set<TaskState> owed = run.unwinding() == null ? java.util.Set.of() : new java.util.HashSet<>(Compensations.order(run));
        for (TaskState task : run.tasks()) {
            ObjectNode json = task(task, gated.test(task));
            // While a run unwinds, the compensations still to come show as PENDING.
            if (task.compensation() == null && owed.contains(task)) {
                json.putObject("compensation").put("tool", task.spec().flow().compensate().tool()).put("status", "PENDING").put("attempts", 0);
            }
            tasks.add(json);
        }
        node.set("result", run.result());
        // The answer a run asked for (options.answer): null when none, else WRITING, WRITTEN or FAILED (result.answer / answerError).
        if (run.answerStatus() == null) node.putNull("answerStatus"); else node.put("answerStatus", run.answerStatus().name());
        ArrayNode messages = node.putArray("messages");
        for (RunState.Message m : run.messages()) {
            ObjectNode item = messages.addObject();
            item.put("text", m.text());
            item.put("by", m.by());
            putInstant(item, "at", m.at());
        }
        node.set("error", failure(run.error()));
        ObjectNode usage = node.putObject("usage");
        usage.put("llmCalls", run.llmCalls());
        usage.put("promptTokens", run.promptTokens());
        usage.put("completionTokens", run.completionTokens());
        usage.put("toolCalls", run.toolCalls());
        node.put("lastSeq", run.lastSeq());
        return node;
    }

    public static ObjectNode task(TaskState task, boolean gated) {
        ObjectNode node = new ObjectNode(Json.MAPPER.getNodeFactory(), new LinkedHashMap<>(TASK_FIELDS));
        node.put("id", task.id());
        node.put("title", task.spec().title());
        node.put("kind", task.spec().kind());
        TaskAction action = task.spec().action();
        node.put("tool", action instanceof TaskAction.ToolCall call ? call.tool() : null);
        node.put("agent", action instanceof TaskAction.AgentCall call ? call.agent() : null);
        JsonNode planArgs = action instanceof TaskAction.ToolCall call ? call.args() : null;
        node.set("args", task.args() != null ? task.args() : planArgs);
        node.put("instruction", action instanceof TaskAction.AgentCall call ? call.instruction() : null);
        if (action instanceof TaskAction.Wait wait) node.put("wait", wait.duration().toString());
        ArrayNode deps = node.putArray("dependsOn");
        task.spec().dependencies().forEach(deps::add);
        node.set("status", STATUS[task.status().ordinal()]);
        node.put("attempts", task.totalAttempts());
        node.set("output", task.output());
        node.set("error", failure(task.error()));
        node.set("approval", approval(task.approval(), gated));
        putInstant(node, "startedAt", task.startedAt());
        putInstant(node, "finishedAt", task.finishedAt());
        putInstant(node, "retryAt", task.retryAt());
        if (task.skipReason() != null) node.put("skipReason", task.skipReason());
        dev.baton.plan.Flow flow = task.spec().flow();
        if (flow.when() != null) node.put("when", flow.when());
        if (flow.join() != dev.baton.plan.Flow.Join.ALL) node.put("join", flow.join().json());
        if (flow.continueOnError()) node.put("continueOnError", true);
        if (task.fallback() != null) node.set("fallback", sideCall(task.fallback(), flow.fallback()));
        if (task.compensation() != null) node.set("compensation", sideCall(task.compensation(), flow.compensate()));
        if (action instanceof TaskAction.AgentCall) {
            ObjectNode usage = node.putObject("usage");
            usage.put("llmCalls", task.llmCalls());
            usage.put("promptTokens", task.promptTokens());
            usage.put("completionTokens", task.completionTokens());
            ArrayNode transcript = node.putArray("transcript");
            for (EventData.TaskEvent entry : task.transcript()) {
                ObjectNode item = (ObjectNode) Json.toTree(entry);
                item.remove("taskId");
                transcript.add(Json.object().put("type", entry.type()).setAll(item));
            }
            if (task.status() == TaskStatus.WAITING_APPROVAL && task.approvalTool() != null) {
                ObjectNode proposed = node.putObject("proposedToolCall");
                proposed.put("tool", task.approvalTool());
                proposed.set("args", task.args());
            }
        }
        ArrayNode history = node.putArray("history");
        for (Attempt attempt : task.history()) {
            ObjectNode a = history.addObject();
            a.put("attempt", attempt.number());
            putInstant(a, "startedAt", attempt.startedAt());
            putInstant(a, "finishedAt", attempt.finishedAt());
            a.set("error", failure(attempt.error()));
        }
        return node;
    }

    /**
     * A fallback's or compensation's call: {@code {tool, status, attempts, args, output, error,
     * startedAt, finishedAt, retryAt}}, with {@code agent} instead of {@code tool} for an agent fallback.
     */
    private static ObjectNode sideCall(SideCall call, TaskAction action) {
        ObjectNode node = Json.object();
        if (action instanceof TaskAction.AgentCall agent) {
            node.put("agent", agent.agent());
        } else {
            node.put("tool", action instanceof TaskAction.ToolCall c ? c.tool() : null);
        }
        node.put("status", call.status().name());
        node.put("attempts", call.totalAttempts());
        node.set("args", call.args());
        node.set("output", call.output());
        node.set("error", failure(call.error()));
        putInstant(node, "startedAt", call.startedAt());
        putInstant(node, "finishedAt", call.finishedAt());
        putInstant(node, "retryAt", call.retryAt());
        return node;
    }

    private static JsonNode approval(ApprovalState approval, boolean gated) {
        if (approval == null && !gated) return null;
        ObjectNode node = Json.object();
        node.put("required", gated);
        if (approval == null) {
            node.putNull("status");
            return node;
        }
        node.put("status", approval.status().name());
        node.put("decidedBy", approval.decidedBy());
        node.put("comment", approval.comment());
        putInstant(node, "requestedAt", approval.requestedAt());
        putInstant(node, "expiresAt", approval.expiresAt());
        putInstant(node, "decidedAt", approval.decidedAt());
        node.put("escalated", approval.escalated());
        return node;
    }

    public static JsonNode failure(Failure failure) {
        if (failure == null) return null;
        ObjectNode node = Json.object();
        node.put("code", failure.code());
        node.put("message", failure.message());
        return node;
    }

    private static void putInstant(ObjectNode node, String field, Instant value) {
        if (value == null) node.putNull(field); else node.put(field, value.toString());
    }
}
