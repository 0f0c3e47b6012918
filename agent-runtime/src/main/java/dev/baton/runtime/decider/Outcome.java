package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;

/** How one attempt of a task ended. */
public sealed interface Outcome {

    record Success(JsonNode output) implements Outcome {
    }

    /** An agent stopped before calling a gated tool: the task waits for a person to approve that call. */
    record ApprovalNeeded(String tool, JsonNode args) implements Outcome {
    }

    /** {@code retryAfter} is the far side's hint for the next attempt, or null. */
    record Failure(String code, String message, boolean retryable, Duration retryAfter) implements Outcome {
    }
}
