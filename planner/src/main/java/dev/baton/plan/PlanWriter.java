package dev.baton.plan;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;


/**
 * Writes a plan in the JSON form {@link PlanParser} reads, so that
 * {@code PlanParser.parse(PlanWriter.toJson(plan))} equals {@code plan}. Every task has its
 * {@code id} and {@code title}; a tool task always has {@code args}; empty or null optional
 * fields are left out. Approval is written as {@code "required"} or {@code "none"} when that
 * says it all, and as an object otherwise.
 */
public final class PlanWriter {

    private PlanWriter() {
    }

    /** {@code {"tasks": [...]}}. */
    public static ObjectNode toJson(Plan plan) {
        ObjectNode json = Json.object();
        ArrayNode tasks = json.putArray("tasks");
        for (TaskSpec task : plan.tasks()) tasks.add(toJson(task));
        return json;
    }

    /** One task, as it appears in the {@code tasks} array. */
    public static ObjectNode toJson(TaskSpec task) {
        ObjectNode json = Json.object();
        json.put("id", task.id());
        json.put("title", task.title());
        TaskAction action = task.action();
        if (action instanceof TaskAction.ToolCall call) {
            json.put("tool", call.tool());
            json.set("args", call.args().deepCopy());
        } else if (action instanceof TaskAction.AgentCall call) {
            json.put("agent", call.agent());
            json.put("instruction", call.instruction());
        } else if (action instanceof TaskAction.Wait wait) {
            json.put("wait", wait.duration().toString());
        }
        if (!task.dependsOn().isEmpty()) {
            ArrayNode dependsOn = json.putArray("dependsOn");
            task.dependsOn().forEach(dependsOn::add);
        }
        if (task.approval() != null) writeApproval(json, task.approval());
        if (task.retry() != null) {
            ObjectNode retry = json.putObject("retry");
            if (task.retry().maxAttempts() != null) retry.put("maxAttempts", task.retry().maxAttempts());
            if (task.retry().backoff() != null) retry.put("backoff", task.retry().backoff().toString());
            if (task.retry().maxBackoff() != null) retry.put("maxBackoff", task.retry().maxBackoff().toString());
        }
        if (task.timeout() != null) json.put("timeout", task.timeout().toString());
        writeFlow(json, task.flow());
        return json;
    }

    private static void writeFlow(ObjectNode json, Flow flow) {
        if (flow.when() != null) json.put("when", flow.when());
        if (flow.join() != Flow.Join.ALL) json.put("join", flow.join().json());
        if (flow.fallback() instanceof TaskAction.ToolCall call) {
            json.putObject("fallback").put("tool", call.tool()).set("args", call.args().deepCopy());
        } else if (flow.fallback() instanceof TaskAction.AgentCall call) {
            json.putObject("fallback").put("agent", call.agent()).put("instruction", call.instruction());
        }
        if (flow.continueOnError()) json.put("continueOnError", true);
        if (flow.compensate() != null) {
            json.putObject("compensate").put("tool", flow.compensate().tool()).set("args", flow.compensate().args().deepCopy());
        }
    }

    private static void writeApproval(ObjectNode json, ApprovalSpec approval) {
        boolean plain = approval.timeout() == null && approval.onTimeout() == ApprovalSpec.ExpiryPolicy.REJECT;
        if (plain) {
            json.put("approval", approval.required() ? "required" : "none");
            return;
        }
        ObjectNode object = json.putObject("approval");
        object.put("required", approval.required());
        if (approval.timeout() != null) object.put("timeout", approval.timeout().toString());
        object.put("onTimeout", approval.onTimeout().wire());
    }
}
