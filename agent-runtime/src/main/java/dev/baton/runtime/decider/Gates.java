package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.ApprovalSpec;
import dev.baton.plan.References;
import dev.baton.plan.TaskAction;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.orchestrator.ApprovalPolicy;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.TaskState;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * Approval gates and the checks on arguments a person or a plan supplies. Approval is enforced
 * here, never by the plan's author alone: the plan, the tool or the policy may require it,
 * nobody can waive it.
 */
final class Gates {
    private static final Logger LOG = LoggerFactory.getLogger(Gates.class);

    private final OrchestratorOptions options;
    private final ToolRegistry tools;

    Gates(OrchestratorOptions options, ToolRegistry tools) {
        this.options = options;
        this.tools = tools;
    }

    boolean gated(TaskState task) {
        ApprovalSpec approval = task.spec().approval();
        if (approval != null && approval.required()) return true;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            return tools.find(call.tool()).map(t -> t.descriptor().requiresApproval()).orElse(false);
        }
        return false;
    }

    /** The approval policy's reason to gate a tool task, with its resolved arguments, or null. */
    String policyGate(RunState run, TaskState task) {
        if (!(task.spec().action() instanceof TaskAction.ToolCall call)) return null;
        if (!options.approvalPolicy().appliesTo(call.tool())) return null;
        try {
            return options.approvalPolicy().gate(new ApprovalPolicy.Candidate(run.id(), run.input(), run.options(), task.id(), call.tool(),
                    resolvedArgs(run, call), run.origin()));
        } catch (RuntimeException e) {
            // A broken policy must not let a task through that it meant to stop: gate it.
            LOG.warn("the approval policy failed for task '{}' of run {}: {}", task.id(), run.id(), e.toString());
            return "the approval policy failed: " + e.getMessage();
        }
    }

    static JsonNode resolvedArgs(RunState run, TaskAction.ToolCall call) {
        return References.resolve(call.args(), run.input(), taskId -> outputOf(run, taskId));
    }

    static JsonNode outputOf(RunState run, String taskId) {
        TaskState task = run.task(taskId);
        return task == null ? null : task.output();
    }

    /** Checks a person's edited arguments against the schema of the tool they are for: the task's, or the one its agent proposed. */
    void checkEditedArgs(TaskState task, JsonNode args) {
        if (!args.isObject()) {
            throw new BatonException(Kind.INVALID, "bad_request", "field 'args' must be a JSON object");
        }
        String toolName;
        if (task.spec().action() instanceof TaskAction.ToolCall call) {
            toolName = call.tool();
        } else if (task.spec().action() instanceof TaskAction.AgentCall && task.approvalTool() != null) {
            toolName = task.approvalTool();
        } else {
            throw new BatonException(Kind.INVALID, "bad_request", "task '" + task.id() + "' is not a tool task; it has no arguments to edit");
        }
        Optional<BatonTool> tool = tools.find(toolName);
        if (tool.isEmpty()) return;
        List<SchemaViolation> violations = JsonSchemaValidator.validate(tool.get().descriptor().parameters(), args);
        if (!violations.isEmpty()) {
            ArrayNode list = Json.array();
            violations.forEach(v -> list.addObject().put("path", v.path()).put("message", v.message()));
            ObjectNode details = Json.object();
            details.set("violations", list);
            throw new BatonException(Kind.UNPROCESSABLE, "args_invalid", "the edited arguments of task '" + task.id()
                    + "' break the schema of '" + toolName + "': " + describe(violations), details);
        }
    }

    static String describe(List<SchemaViolation> violations) {
        StringBuilder text = new StringBuilder();
        for (SchemaViolation v : violations) {
            if (!text.isEmpty()) text.append("; ");
            text.append(v.path()).append(": ").append(v.message());
        }
        return text.toString();
    }
}
