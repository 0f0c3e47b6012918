package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The answer to a run request.
 *
 * @param run      the run as the API shows it
 * @param replayed true when an earlier request with the same idempotency key had created it
 */
public record Submitted(String runId, ObjectNode run, boolean replayed) {
}
