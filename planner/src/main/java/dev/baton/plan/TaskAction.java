package dev.baton.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Objects;

/** What a task does. A closed set: the orchestrator handles each kind explicitly. */
public sealed interface TaskAction {

    /** {@code tool}, {@code agent} or {@code wait}. */
    String kind();

    /** Call a tool with arguments that may hold {@code ${task.output.path}} and {@code ${input.path}} references. */
    record ToolCall(String tool, ObjectNode args) implements TaskAction {
        public ToolCall {
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(args, "args");
        }

        @Override
        public String kind() {
            return "tool";
        }
    }

    /** Let an agent (an LLM with tools) carry out an instruction. Needs a model. */
    record AgentCall(String agent, String instruction) implements TaskAction {
        public AgentCall {
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(instruction, "instruction");
        }

        @Override
        public String kind() {
            return "agent";
        }
    }

    /** A durable timer: the task succeeds once the duration has passed, also across restarts. */
    record Wait(Duration duration) implements TaskAction {
        public Wait {
            Objects.requireNonNull(duration, "duration");
        }

        @Override
        public String kind() {
            return "wait";
        }
    }
}
