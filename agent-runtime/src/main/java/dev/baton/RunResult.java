package dev.baton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.runtime.run.RunStatus;

/**
 * How a run ended.
 *
 * @param runId  the run
 * @param status SUCCEEDED, FAILED, CANCELLED or COMPENSATION_FAILED
 * @param result the run's result ({@code {"outputs": {...}}} and, with a model, its answer), null unless it succeeded
 * @param error  {@code {"code", "message"}} when it did not succeed, else null
 * @param run    the whole run as the HTTP API shows it ({@code GET /api/runs/{id}}): plan, tasks, usage
 */
public record RunResult(String runId, RunStatus status, JsonNode result, JsonNode error, ObjectNode run) {

    static RunResult of(ObjectNode run) {
        JsonNode result = run.path("result");
        JsonNode error = run.path("error");
        return new RunResult(run.path("id").asText(), RunStatus.valueOf(run.path("status").asText()),
                result.isMissingNode() || result.isNull() ? null : result,
                error.isMissingNode() || error.isNull() ? null : error, run);
    }

    public boolean succeeded() {
        return status == RunStatus.SUCCEEDED;
    }

    /** A task's output (e.g. {@code output("reserve").path("reserved")}), or a missing node when it has none. */
    public JsonNode output(String taskId) {
        for (JsonNode task : run.path("plan").path("tasks")) {
            if (task.path("id").asText().equals(taskId)) return task.path("output");
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
}
