package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.Origin;

/**
 * A request to start a run.
 *
 * @param goal           what the run is for, in words
 * @param input          the run's input ({@code ${input...}}), or null for {}
 * @param plan           the plan JSON to run as given, or null to have a planner make one
 * @param options        the request's options, kept with the run, or null
 * @param idempotencyKey makes a repeated request return the run it created, or null
 * @param requestHash    a digest of the request, to tell a true repeat from a reused key, or null
 * @param origin         who starts the run: {@link Origin#CLIENT} for an application's own runs; tickets and
 *                       triggers set theirs. The run's options show it as their {@code ticket} or {@code trigger} mark.
 */
public record RunRequest(String goal, JsonNode input, JsonNode plan, JsonNode options, String idempotencyKey,
                         String requestHash, Origin origin) {

    public RunRequest {
        origin = origin == null ? Origin.fromMarks(options) : origin;
    }

    /** A request whose origin its options' marks say: a client's, unless they mark a ticket or a trigger. */
    public RunRequest(String goal, JsonNode input, JsonNode plan, JsonNode options, String idempotencyKey, String requestHash) {
        this(goal, input, plan, options, idempotencyKey, requestHash, null);
    }
}
