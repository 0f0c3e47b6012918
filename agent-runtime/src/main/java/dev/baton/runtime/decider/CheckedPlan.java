package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.Plan;

/** A plan that passed the validator, and the JSON its events carry (written once, for both). */
public record CheckedPlan(Plan plan, JsonNode json) {
}
