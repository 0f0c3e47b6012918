package dev.baton.plan;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static dev.baton.plan.Fixtures.CATALOG;
import static dev.baton.plan.Fixtures.NO_MODEL;
import static dev.baton.plan.Fixtures.assertOnlyProblem;
import static dev.baton.plan.Fixtures.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flow fields (when, join, fallback, continueOnError, compensate) through parser, validator and writer. */
class FlowPlanTest {

    static final String FULL = """
            {"tasks": [
              {"id": "customer", "tool": "crm.lookup", "args": {"email": "${input.email}"},
               "fallback": {"tool": "crm.lookup", "args": {"email": "fallback@example.com"}}},
              {"id": "route", "tool": "tickets.route", "args": {"category": "billing"},
               "when": "customer.output.tier == 'gold' and input.amount > 100",
               "compensate": {"tool": "tickets.route", "args": {"category": "other", "tier": "${route.output.queue}"}},
               "continueOnError": true},
              {"id": "notify", "tool": "http.request", "args": {"url": "https://x.example"}, "dependsOn": ["route", "customer"],
               "join": "any",
               "fallback": {"tool": "http.request", "args": {"url": "https://y.example", "body": "${notify.error.message}"}}},
              {"id": "explain", "agent": "triager", "instruction": "Explain", "dependsOn": ["notify"],
               "fallback": {"tool": "http.request", "args": {"url": "https://z.example"}}}
            ]}
            """;

    static Plan parse(String text) {
        try {
            return PlanParser.parse(text);
        } catch (PlanException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static final Catalog WITH_GATED = Catalog.of(List.of(Fixtures.CRM_LOOKUP, Fixtures.TICKETS_ROUTE, Fixtures.HTTP_REQUEST,
            dev.baton.tools.ToolDescriptor.builder("gated.tool").parameters(Fixtures.schema("{'type':'object'}"))
                    .requiresApproval(true).build()), List.of("triager", "researcher"), true);

    static List<PlanProblem> problems(String text) {
        return new PlanValidator(WITH_GATED).validate(parse(text));
    }

    @Test
    void parsesEveryFieldAndValidates() {
        Plan plan = parse(FULL);
        assertEquals(List.of(), new PlanValidator(CATALOG).validate(plan));
        TaskSpec route = plan.task("route").orElseThrow();
        assertEquals("customer.output.tier == 'gold' and input.amount > 100", route.flow().when());
        assertTrue(route.flow().continueOnError());
        assertEquals("tickets.route", route.flow().compensate().tool());
        assertEquals(Set.of("customer"), route.dependencies(), "a task its condition reads becomes a dependency");
        TaskSpec notify = plan.task("notify").orElseThrow();
        assertEquals(Flow.Join.ANY, notify.flow().join());
        assertInstanceOf(TaskAction.ToolCall.class, notify.flow().fallback());
        assertInstanceOf(TaskAction.ToolCall.class, plan.task("explain").orElseThrow().flow().fallback());
        assertTrue(plan.task("explain").orElseThrow().flow().compensate() == null);
    }

    @Test
    void writerRoundTrips() throws PlanException {
        Plan plan = parse(FULL);
        Plan again = PlanParser.parse(PlanWriter.toJson(plan));
        assertEquals(plan, again);
        assertEquals("any", PlanWriter.toJson(plan).get("tasks").get(2).get("join").asText());
        assertFalse(PlanWriter.toJson(plan).get("tasks").get(0).has("join"), "the default join is left out");
    }

    @Test
    void unknownOperatorIsNamedWithTaskAndField() {
        List<PlanProblem> problems = problems("""
                {"tasks": [{"id": "a", "tool": "crm.lookup", "args": {"email": "a@b"}},
                           {"id": "b", "wait": "PT1S", "when": "a.output.x =~ 'y'"}]}""");
        PlanProblem problem = assertOnlyProblem(problems, "b", "when", "unknown operator '=~' at 12");
        assertEquals("task 'b', field 'when': unknown operator '=~' at 12", problem.toString());
    }

    @Test
    void unknownTaskInConditionIsNamed() {
        List<PlanProblem> problems = problems("""
                {"tasks": [{"id": "classify", "tool": "crm.lookup", "args": {"email": "a@b"}},
                           {"id": "b", "wait": "PT1S", "when": "clasify.output.x == 1"}]}""");
        assertProblem(problems, "b", "when", "refers to unknown task 'clasify' at 1");
        assertProblem(problems, "b", "when", "did you mean 'classify'");
    }

    @Test
    void conditionOnItselfAndCycleThroughCondition() {
        assertProblem(problems("""
                {"tasks": [{"id": "a", "wait": "PT1S", "when": "a.status == 'SUCCEEDED'"}]}"""), "a", "when", "reads the task itself");
        assertProblem(problems("""
                {"tasks": [{"id": "a", "wait": "PT1S", "when": "b.status == 'SUCCEEDED'"},
                           {"id": "b", "wait": "PT1S", "dependsOn": ["a"]}]}"""), "a", "when", "cycle a -> b -> a");
    }

    @Test
    void shapeProblemsOfTheFlowFields() {
        List<PlanProblem> problems = Fixtures.parseProblems("""
                {'tasks': [{'id': 'a', 'wait': 'PT1S', 'join': 'some', 'continueOnError': 'yes',
                            'compensate': {'tool': 'x'}, 'fallback': {'tool': 'x', 'agent': 'y'}},
                           {'id': 'b', 'tool': 'crm.lookup', 'fallback': {'tool': 'crm.lookup', 'argz': {}},
                            'compensate': {'args': {}}, 'when': ''}]}""");
        assertProblem(problems, "a", "join", "expected \"all\" or \"any\", found string \"some\"");
        assertProblem(problems, "a", "continueOnError", "expected a boolean");
        assertProblem(problems, "a", "compensate", "'compensate' belongs to tool tasks, and this is a wait task");
        assertProblem(problems, "a", "fallback", "exactly one of 'tool' (with 'args') or 'agent'");
        assertProblem(problems, "b", "fallback.argz", "unknown field 'argz'");
        assertProblem(problems, "b", "compensate.tool", "missing");
        assertProblem(problems, "b", "when", "must not be empty");
    }

    @Test
    void fallbackAndCompensationToolsAndReferencesAreChecked() {
        List<PlanProblem> problems = problems("""
                {"tasks": [{"id": "other", "tool": "crm.lookup", "args": {"email": "a@b"}},
                           {"id": "a", "tool": "crm.lookup", "args": {"email": "a@b"},
                            "fallback": {"tool": "crm.lokup", "args": {}},
                            "compensate": {"tool": "tickets.route", "args": {"category": "nope", "tier": "${other.output.t}"}}},
                           {"id": "b", "tool": "crm.lookup", "args": {"email": "${b.error.message}"},
                            "fallback": {"tool": "crm.lookup", "args": {"email": "${b.output.x}"}}}]}""");
        assertProblem(problems, "a", "fallback.tool", "unknown tool 'crm.lokup'");
        assertProblem(problems, "a", "fallback.tool", "did you mean 'crm.lookup'");
        assertProblem(problems, "a", "compensate.args.category", "");
        assertProblem(problems, "a", "compensate.args.tier", "which task 'a' does not depend on");
        assertProblem(problems, "b", "args.email", "only a 'fallback' may");
        assertProblem(problems, "b", "fallback.args.email", "the task has no output");
    }

    @Test
    void agentFallbacksNeedAModelAKnownAgentAndReferencesTheTaskMayRead() {
        String plan = """
                {"tasks": [{"id": "a", "tool": "crm.lookup", "args": {"email": "a@b"},
                            "fallback": {"agent": "%s", "instruction": "%s"}}]}""";
        String good = plan.formatted("triager", "look it up another way: ${a.error.message} for ${input.email}");
        assertInstanceOf(TaskAction.AgentCall.class, parse(good).tasks().get(0).flow().fallback());
        assertEquals(List.of(), problems(good));
        assertOnlyProblem(new PlanValidator(NO_MODEL).validate(parse(good)), "a", "fallback.agent", "need a model");
        assertOnlyProblem(problems(plan.formatted("triagr", "do it")), "a", "fallback.agent", "did you mean 'triager'");
        assertOnlyProblem(problems(plan.formatted("triager", "use ${a.output.id}")), "a", "fallback.instruction",
                "the task has no output");
        assertOnlyProblem(problems(plan.formatted("triager", "use ${ghost.output.id}")), "a", "fallback.instruction",
                "unknown task 'ghost'");
    }

    @Test
    void noFallbackOrCompensationRoutesAroundAnApproval() {
        List<PlanProblem> problems = problems("""
                {"tasks": [{"id": "a", "tool": "crm.lookup", "args": {"email": "a@b"}, "approval": "required",
                            "fallback": {"tool": "crm.lookup", "args": {"email": "c@d"}}},
                           {"id": "b", "tool": "crm.lookup", "args": {"email": "a@b"},
                            "compensate": {"tool": "gated.tool", "args": {}}}]}""");
        assertProblem(problems, "a", "fallback", "would run without one");
        assertProblem(problems, "b", "compensate.tool", "needs a person's approval");
    }

    @Test
    void plainTasksKeepTheirJson() {
        Plan plan = parse("""
                {"tasks": [{"id": "a", "wait": "PT1S"}]}""");
        assertTrue(plan.tasks().get(0).flow().plain());
        assertEquals(Fixtures.json("{'id':'a','title':'a','wait':'PT1S'}"),
                PlanWriter.toJson(plan.tasks().get(0)));
    }
}
