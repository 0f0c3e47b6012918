package dev.baton.runtime.agent;

import com.fasterxml.jackson.databind.JsonNode;

/** How one start of an {@link AgentLoop} ended. */
public sealed interface AgentResult {

    /** The model gave its final answer; {@code output} is {@code {"answer": text, "steps": n}}. */
    record Answered(JsonNode output) implements AgentResult {
    }

    /** The attempt failed; {@code retryable} says whether another attempt may help. */
    record Failed(String code, String message, boolean retryable) implements AgentResult {
    }

    /**
     * The model asked for a tool that needs a person's approval: the loop stopped before calling
     * it. {@code args} are the model's arguments, already checked against the tool's schema.
     */
    record NeedsApproval(String callId, String tool, JsonNode args) implements AgentResult {
    }
}
