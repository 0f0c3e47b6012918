package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.EventData.Failure;

import java.time.Instant;

/**
 * A call made on a task's behalf besides its own action: its fallback, or its compensation.
 * Only {@link RunState#apply} changes it.
 */
public final class SideCall {

    /** Where the call stands; PENDING only for a compensation not started yet (or reset for a retry). */
    public enum Status { PENDING, RUNNING, RETRY_WAIT, SUCCEEDED, FAILED }

    Status status = Status.PENDING;
    /** Attempts since the call began or was last retried by a person. */
    int attempts;
    /** Attempts over its whole life: the number of the latest. */
    int totalAttempts;
    JsonNode args;
    JsonNode output;
    Failure error;
    String idempotencyKey;
    Instant startedAt;
    Instant finishedAt;
    Instant deadline;
    Instant retryAt;

    public Status status() { return status; }
    public int attempts() { return attempts; }
    public int totalAttempts() { return totalAttempts; }
    public JsonNode args() { return args; }
    public JsonNode output() { return output; }
    public Failure error() { return error; }
    public String idempotencyKey() { return idempotencyKey; }
    public Instant startedAt() { return startedAt; }
    public Instant finishedAt() { return finishedAt; }
    public Instant deadline() { return deadline; }
    public Instant retryAt() { return retryAt; }

    void started(int attempt, String key, JsonNode resolvedArgs, Instant deadlineAt, Instant at) {
        if (attempt > totalAttempts) {
            totalAttempts = attempt;
            attempts++;
        }
        if (startedAt == null) startedAt = at;
        idempotencyKey = key;
        args = resolvedArgs;
        deadline = deadlineAt;
        retryAt = null;
        status = Status.RUNNING;
    }

    void succeeded(JsonNode result, Instant at) {
        output = result;
        error = null;
        finishedAt = at;
        deadline = null;
        status = Status.SUCCEEDED;
    }

    void failed(Failure failure, Instant retryAtOrNull, Instant at) {
        error = failure;
        deadline = null;
        if (retryAtOrNull != null) {
            retryAt = retryAtOrNull;
            status = Status.RETRY_WAIT;
        } else {
            retryAt = null;
            finishedAt = at;
            status = Status.FAILED;
        }
    }

    /** A person asked for another try: a fresh attempt budget. */
    void reset() {
        attempts = 0;
        error = null;
        finishedAt = null;
        retryAt = null;
        status = Status.PENDING;
    }
}
