package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolDescriptor;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared test data: the DESIGN.md example plan, a catalogue to check it against, and helpers. */
final class Fixtures {

    /** The example of DESIGN.md, "The plan". */
    static final String DESIGN_EXAMPLE = """
            {
              "tasks": [
                {"id": "classify", "title": "Classify the ticket", "agent": "triager",
                 "instruction": "Classify this ticket by category and priority."},
                {"id": "customer", "title": "Look up the customer", "tool": "crm.lookup",
                 "args": {"email": "${input.email}"}},
                {"id": "route", "title": "Route to a queue", "tool": "tickets.route",
                 "args": {"category": "${classify.output.category}", "tier": "${customer.output.tier}"},
                 "approval": "required", "retry": {"maxAttempts": 3, "backoff": "PT1S"}},
                {"id": "cool-off", "wait": "PT2H", "dependsOn": ["route"]}
              ]
            }
            """;

    static final ToolDescriptor CRM_LOOKUP = ToolDescriptor.builder("crm.lookup")
            .parameters(schema("{'type':'object','properties':{'email':{'type':'string','pattern':'@'}},"
                    + "'required':['email'],'additionalProperties':false}"))
            .idempotent(true)
            .build();

    static final ToolDescriptor TICKETS_ROUTE = ToolDescriptor.builder("tickets.route")
            .parameters(schema("{'type':'object','properties':{'category':{'type':'string','enum':['billing','card','other']},"
                    + "'tier':{'type':'string'},'priority':{'type':'integer','minimum':1,'maximum':4},"
                    + "'tags':{'type':'array','items':{'type':'string'}}},'required':['category'],'additionalProperties':false}"))
            .timeout(Duration.ofSeconds(10))
            .retry(new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(20), 2.0, 0.1))
            .build();

    static final ToolDescriptor HTTP_REQUEST = ToolDescriptor.builder("http.request")
            .parameters(schema("{'type':'object','properties':{'method':{'enum':['GET','POST']},'url':{'type':'string'},"
                    + "'headers':{'type':'object'},'body':{},'timeout':{'type':'integer'}},"
                    + "'required':['url'],'additionalProperties':false}"))
            .build();

    static final Catalog CATALOG = Catalog.of(List.of(CRM_LOOKUP, TICKETS_ROUTE, HTTP_REQUEST), List.of("triager", "researcher"), true);
    static final Catalog NO_MODEL = Catalog.of(List.of(CRM_LOOKUP, TICKETS_ROUTE, HTTP_REQUEST), List.of("triager"), false);

    private Fixtures() {
    }

    /** JSON with single quotes for readability. */
    static JsonNode json(String text) {
        try {
            return Json.parse(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static ObjectNode schema(String text) {
        return (ObjectNode) json(text);
    }

    static Plan plan(String text) {
        try {
            return PlanParser.parse(json(text));
        } catch (PlanException e) {
            throw new AssertionError("fixture plan does not parse: " + e.getMessage(), e);
        }
    }

    /** The problems of a plan that must not parse. */
    static List<PlanProblem> parseProblems(String text) {
        return assertThrows(PlanException.class, () -> PlanParser.parse(json(text))).problems();
    }

    /** Asserts that exactly one problem has this task and field, and that its message holds the fragment. */
    static PlanProblem assertProblem(List<PlanProblem> problems, String taskId, String field, String fragment) {
        Predicate<PlanProblem> at = p -> java.util.Objects.equals(p.taskId(), taskId) && java.util.Objects.equals(p.field(), field);
        List<PlanProblem> matching = problems.stream().filter(at).toList();
        if (matching.size() != 1) fail("expected one problem for task " + taskId + ", field " + field + " in " + problems);
        PlanProblem problem = matching.get(0);
        assertTrue(problem.message().contains(fragment), () -> "'" + problem.message() + "' should contain '" + fragment + "'");
        return problem;
    }

    /** Asserts that the list holds exactly one problem, with this task, field and message fragment. */
    static PlanProblem assertOnlyProblem(List<PlanProblem> problems, String taskId, String field, String fragment) {
        assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
        return assertProblem(problems, taskId, field, fragment);
    }
}
