package dev.baton.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.baton.plan.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plan builder makes the plan the parser makes of the same plan written by hand, and
 * refuses a bad plan at build() with the parser's and validator's own messages.
 */
class PlanBuilderTest {

    /** Built, written, parsed back: the plan of the hand-written JSON, and the same JSON. */
    private static void assertSamePlan(String handWritten, Plan built) throws PlanException {
        Plan parsed = PlanParser.parse(handWritten);
        assertEquals(parsed, built);
        ObjectNode written = PlanWriter.toJson(built);
        assertEquals(parsed, PlanParser.parse(Json.write(written)), "the written JSON parses to the same plan");
        assertEquals(PlanWriter.toJson(parsed), written);
    }

    @Test
    void designExample() throws PlanException {
        Plan built = Plan.builder()
                .agent("classify", "triager", "Classify this ticket by category and priority.").title("Classify the ticket")
                .tool("customer", "crm.lookup", Map.of("email", "${input.email}")).title("Look up the customer")
                .tool("route", "tickets.route", Map.of("category", "${classify.output.category}", "tier", "${customer.output.tier}"))
                    .title("Route to a queue").requireApproval().retry(3, Duration.ofSeconds(1))
                .wait("cool-off", Duration.ofHours(2)).dependsOn("route")
                .build();
        assertSamePlan(Fixtures.DESIGN_EXAMPLE, built);
        // and it passes the full check against the tools and agents it names
        assertEquals(built, Plan.builder()
                .agent("classify", "triager", "Classify this ticket by category and priority.").title("Classify the ticket")
                .tool("customer", "crm.lookup", Map.of("email", "${input.email}")).title("Look up the customer")
                .tool("route", "tickets.route", Map.of("category", "${classify.output.category}", "tier", "${customer.output.tier}"))
                    .title("Route to a queue").requireApproval().retry(3, Duration.ofSeconds(1))
                .wait("cool-off", Duration.ofHours(2)).dependsOn("route")
                .build(Fixtures.CATALOG));
    }

    @Test
    void toolTasksWithoutArgsAndNestedArgs() throws PlanException {
        Plan built = Plan.builder()
                .tool("ping", "http.request")
                .tool("post", "http.request", (ObjectNode) json("{'url': 'https://example.com', 'body': {'n': [1, 2.5, null], 'ok': true}}"))
                    .dependsOn("ping").timeout(Duration.ofSeconds(45))
                .build();
        assertSamePlan("""
                {"tasks": [
                  {"id": "ping", "tool": "http.request"},
                  {"id": "post", "tool": "http.request", "args": {"url": "https://example.com", "body": {"n": [1, 2.5, null], "ok": true}},
                   "dependsOn": ["ping"], "timeout": "PT45S"}
                ]}""", built);
    }

    @Test
    void approvalsAndRetries() throws PlanException {
        Plan built = Plan.builder()
                .tool("a", "x.y", Map.of()).requireApproval(Duration.ofMinutes(90), ApprovalSpec.ExpiryPolicy.ESCALATE)
                    .retry(new PlanRetry(7, Duration.ofMillis(250), Duration.ofMinutes(2)))
                .tool("b", "x.y", Map.of()).requireApproval(Duration.ofDays(1), ApprovalSpec.ExpiryPolicy.REJECT).retry(2)
                .build();
        assertSamePlan("""
                {"tasks": [
                  {"id": "a", "tool": "x.y", "approval": {"required": true, "timeout": "PT1H30M", "onTimeout": "escalate"},
                   "retry": {"maxAttempts": 7, "backoff": "PT0.25S", "maxBackoff": "PT2M"}},
                  {"id": "b", "tool": "x.y", "approval": {"timeout": "P1D", "onTimeout": "reject"}, "retry": {"maxAttempts": 2}}
                ]}""", built);
    }

    @Test
    void flowFields() throws PlanException {
        Plan built = Plan.builder()
                .tool("charge", "payments.charge", Map.of("amount", "${input.amount}"))
                    .compensate("payments.refund", Map.of("charge", "${charge.output.id}"))
                .tool("ship", "shipping.book", Map.of("order", "${input.order}")).dependsOn("charge")
                    .when("input.amount > 0 and charge.output.status == 'ok'")
                    .fallbackTool("shipping.manual", Map.of("order", "${input.order}"))
                .agent("notify", "assistant", "Tell the customer about ${ship.output.tracking}").dependsOn("ship")
                    .continueOnError().fallbackAgent("assistant", "Say the shipment is delayed.")
                .wait("settle", Duration.ofMinutes(5)).dependsOn("ship", "notify").joinAny()
                .build();
        assertSamePlan("""
                {"tasks": [
                  {"id": "charge", "tool": "payments.charge", "args": {"amount": "${input.amount}"},
                   "compensate": {"tool": "payments.refund", "args": {"charge": "${charge.output.id}"}}},
                  {"id": "ship", "tool": "shipping.book", "args": {"order": "${input.order}"}, "dependsOn": ["charge"],
                   "when": "input.amount > 0 and charge.output.status == 'ok'",
                   "fallback": {"tool": "shipping.manual", "args": {"order": "${input.order}"}}},
                  {"id": "notify", "agent": "assistant", "instruction": "Tell the customer about ${ship.output.tracking}",
                   "dependsOn": ["ship"], "continueOnError": true,
                   "fallback": {"agent": "assistant", "instruction": "Say the shipment is delayed."}},
                  {"id": "settle", "wait": "PT5M", "dependsOn": ["ship", "notify"], "join": "any"}
                ]}""", built);
    }

    /** Parses the hand-written plan and validates it with an open catalogue: the message build() must give. */
    private static String validatorMessage(String handWritten, Catalog catalog) throws PlanException {
        Plan plan = PlanParser.parse(handWritten);
        PlanException expected = assertThrows(PlanException.class, () -> new PlanValidator(catalog).check(plan));
        return expected.getMessage();
    }

    @Test
    void anUnknownDependencyFailsAtBuildWithTheValidatorsMessage() throws PlanException {
        PlanBuilder.InvalidPlanException e = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("classify", "x.y", Map.of())
                .tool("route", "x.y", Map.of()).dependsOn("clasify")
                .build());
        assertEquals("task 'route', field 'dependsOn': depends on unknown task 'clasify'; did you mean 'classify'?", e.getMessage());
        assertEquals(validatorMessage("""
                {"tasks": [{"id": "classify", "tool": "x.y"}, {"id": "route", "tool": "x.y", "dependsOn": ["clasify"]}]}""",
                Catalog.of(List.of(dev.baton.tools.ToolDescriptor.builder("x.y").build()), List.of(), false)), e.getMessage());
        assertEquals(1, e.problems().size());
        assertEquals(new PlanProblem("route", "dependsOn", "depends on unknown task 'clasify'; did you mean 'classify'?"), e.problems().get(0));
    }

    @Test
    void aDuplicateIdFailsAtBuild() {
        PlanBuilder.InvalidPlanException e = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("a", "x.y").tool("a", "x.y").build());
        assertEquals("task 'a', field 'id': duplicate id 'a' (also task #1)", e.getMessage());
    }

    @Test
    void shapeProblemsFailWithTheParsersMessage() throws Exception {
        PlanBuilder.InvalidPlanException badId = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("no spaces", "x.y").build());
        PlanException parsers = assertThrows(PlanException.class, () -> PlanParser.parse("{\"tasks\": [{\"id\": \"no spaces\", \"tool\": \"x.y\"}]}"));
        assertEquals(parsers.getMessage(), badId.getMessage());

        PlanBuilder.InvalidPlanException negative = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .wait("w", Duration.ofSeconds(-1)).build());
        assertEquals("task 'w', field 'wait': must be zero or more, found \"PT-1S\"", negative.getMessage());

        PlanBuilder.InvalidPlanException empty = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder().build());
        assertEquals("field 'tasks': the plan has no tasks; a plan needs at least one", empty.getMessage());
    }

    @Test
    void cyclesAndBadConditionsFailAtBuild() {
        PlanBuilder.InvalidPlanException cycle = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("a", "x.y", Map.of("v", "${b.output}")).tool("b", "x.y").dependsOn("a").build());
        assertTrue(cycle.getMessage().contains("cycle a -> b -> a"), cycle.getMessage());

        PlanBuilder.InvalidPlanException when = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("a", "x.y").when("input.n >").build());
        assertTrue(when.getMessage().startsWith("task 'a', field 'when': "), when.getMessage());
    }

    @Test
    void buildWithACatalogChecksToolsAndArguments() {
        PlanBuilder.InvalidPlanException e = assertThrows(PlanBuilder.InvalidPlanException.class, () -> Plan.builder()
                .tool("c", "crm.lokup", Map.of("email", "a@b.c")).build(Fixtures.CATALOG));
        assertTrue(e.getMessage().contains("unknown tool 'crm.lokup'; did you mean 'crm.lookup'?"), e.getMessage());
    }

    @Test
    void toJsonIsWhatTheParserReads() throws PlanException {
        ObjectNode json = Plan.builder().tool("a", "x.y", Map.of("n", 1)).toJson();
        assertEquals(json("{'tasks': [{'id': 'a', 'title': 'a', 'tool': 'x.y', 'args': {'n': 1}}]}"), json);
        assertEquals(List.of("a"), PlanParser.parse(json).tasks().stream().map(TaskSpec::id).toList());
    }
}
