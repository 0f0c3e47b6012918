package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.PlanWriter;
import dev.baton.runtime.BatonException;

import java.util.List;

/** Parses, writes and validates a plan once, for whoever posted it: a client, a person editing it, a planner. */
public final class PlanCheck {
    private final PlanValidator validator;

    public PlanCheck(PlanValidator validator) {
        this.validator = validator;
    }

    /** The checked plan, or {@code plan_invalid} with every problem in {@code details.problems}. */
    public CheckedPlan check(JsonNode planJson) {
        List<PlanProblem> problems;
        Plan plan = null;
        JsonNode written = null;
        try {
            plan = PlanParser.parse(planJson);
            written = PlanWriter.toJson(plan);
            problems = validator.validate(plan, written);
        } catch (PlanException e) {
            problems = e.problems();
        }
        if (!problems.isEmpty()) {
            ArrayNode list = Json.array();
            for (PlanProblem p : problems) {
                ObjectNode item = list.addObject();
                item.put("taskId", p.taskId());
                item.put("field", p.field());
                item.put("message", p.message());
            }
            ObjectNode details = Json.object();
            details.set("problems", list);
            throw new BatonException(BatonException.Kind.INVALID, "plan_invalid", new PlanException(problems).getMessage(), details);
        }
        return new CheckedPlan(plan, written);
    }
}
