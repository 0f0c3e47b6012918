package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A person's command about a run, as it travels to the node that owns the run (JSON, with its kind
 * in {@code "op"}). The owner carries it out with
 * {@link Orchestrator#takeForwarded}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
        @JsonSubTypes.Type(value = RunCommand.Cancel.class, name = "cancel"),
        @JsonSubTypes.Type(value = RunCommand.Decide.class, name = "decide"),
        @JsonSubTypes.Type(value = RunCommand.DecidePlan.class, name = "decidePlan"),
        @JsonSubTypes.Type(value = RunCommand.RetryTask.class, name = "retryTask"),
        @JsonSubTypes.Type(value = RunCommand.Message.class, name = "message"),
        @JsonSubTypes.Type(value = RunCommand.RetryCompensation.class, name = "retryCompensation")
})
public sealed interface RunCommand {

    String runId();

    private static JsonNode absentIfNull(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }

    record Cancel(String runId, String by) implements RunCommand {
    }

    record Decide(String runId, String taskId, boolean approve, String by, boolean admin, String comment, JsonNode args)
            implements RunCommand {
        public Decide {
            args = absentIfNull(args); // JSON null comes back as a NullNode: no edited arguments
        }
    }

    record DecidePlan(String runId, boolean approve, String by, String comment, JsonNode plan) implements RunCommand {
        public DecidePlan {
            plan = absentIfNull(plan);
        }
    }

    record RetryTask(String runId, String taskId, String by) implements RunCommand {
    }

    record Message(String runId, String text, String by) implements RunCommand {
    }

    record RetryCompensation(String runId, String by) implements RunCommand {
    }
}
