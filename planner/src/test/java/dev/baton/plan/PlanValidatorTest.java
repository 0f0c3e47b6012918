package dev.baton.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.baton.plan.Fixtures.CATALOG;
import static dev.baton.plan.Fixtures.NO_MODEL;
import static dev.baton.plan.Fixtures.assertOnlyProblem;
import static dev.baton.plan.Fixtures.assertProblem;
import static dev.baton.plan.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanValidatorTest {

    static final PlanValidator VALIDATOR = new PlanValidator(CATALOG);

    static List<PlanProblem> problems(String planJson) {
        return VALIDATOR.validate(plan(planJson));
    }

    static TaskSpec waitTask(String id, String... dependsOn) {
        return new TaskSpec(id, null, new TaskAction.Wait(Duration.ZERO), List.of(dependsOn), null, null, null);
    }

    @Test
    void designExampleIsValid() {
        Plan plan = plan(Fixtures.DESIGN_EXAMPLE);
        assertEquals(List.of(), VALIDATOR.validate(plan));
        assertDoesNotThrow(() -> VALIDATOR.check(plan));
    }

    @Test
    void checkThrowsWithEveryProblem() {
        PlanException e = assertThrows(PlanException.class, () -> VALIDATOR.check(plan(
                "{'tasks':[{'id':'a','tool':'nope'},{'id':'b','wait':'PT1S','dependsOn':['zzz']}]}")));
        assertEquals(2, e.problems().size(), e.problems()::toString);
        assertProblem(e.problems(), "a", "tool", "unknown tool 'nope'");
        assertProblem(e.problems(), "b", "dependsOn", "unknown task 'zzz'");
    }

    @Nested
    class Sizes {
        @Test
        void emptyPlan() {
            assertOnlyProblem(VALIDATOR.validate(new Plan(List.of())), null, "tasks", "the plan has no tasks");
        }

        @Test
        void tooManyTasksIsReportedAlone() {
            PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(2, 1000, 1000, 100_000));
            Plan plan = new Plan(List.of(waitTask("a"), waitTask("a"), waitTask("b", "nope")));
            assertOnlyProblem(validator.validate(plan), null, "tasks", "the plan has 3 tasks; the limit is 2");
        }

        @Test
        void planOverTheByteLimit() {
            PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(100, 1000, 1000, 200));
            List<TaskSpec> tasks = new ArrayList<>();
            for (int i = 0; i < 10; i++) tasks.add(waitTask("task-" + i));
            assertOnlyProblem(validator.validate(new Plan(tasks)), null, "tasks", "bytes as JSON; the limit is 200");
        }

        @Test
        void argsOverTheByteLimit() {
            PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(100, 1000, 64, 100_000));
            Plan plan = plan("{'tasks':[{'id':'get','tool':'http.request','args':{'url':'http://example.com/" + "x".repeat(64) + "'}}]}");
            assertOnlyProblem(validator.validate(plan), "get", "args", "the arguments take 93 bytes as JSON; the limit is 64");
        }

        @Test
        void argsAtTheByteLimitPass() {
            ObjectNode args = Json.object().put("url", "u");
            int size = Json.write(args).length();
            PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(100, 1000, size, 100_000));
            Plan plan = new Plan(List.of(new TaskSpec("get", null, new TaskAction.ToolCall("http.request", args), null, null, null, null)));
            assertEquals(List.of(), validator.validate(plan));
        }

        @Test
        void tooManyDependencies() {
            PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(100, 2, 1000, 100_000));
            Plan plan = plan("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'b','wait':'PT1S'},{'id':'c','wait':'PT1S'},"
                    + "{'id':'d','tool':'tickets.route','args':{'category':'${c.output}'},'dependsOn':['a','b']}]}");
            assertOnlyProblem(validator.validate(plan), "d", "dependsOn", "depends on 3 tasks (dependsOn and references together); the limit is 2");
        }

        @Test
        void defaultLimits() {
            assertEquals(new PlanLimits(25_000, 1_000, 256 * 1024, 8 * 1024 * 1024), PlanLimits.DEFAULT);
            assertThrows(IllegalArgumentException.class, () -> new PlanLimits(0, 1, 1, 1));
        }
    }

    @Nested
    class Ids {
        @Test
        void duplicateIdNamesTheFirstOne() {
            Plan plan = new Plan(List.of(waitTask("a"), waitTask("x"), waitTask("b"), waitTask("x")));
            PlanProblem problem = assertOnlyProblem(VALIDATOR.validate(plan), "x", "id", "duplicate id 'x' (also task #2)");
            assertEquals("task 'x', field 'id': duplicate id 'x' (also task #2)", problem.toString());
        }

        @Test
        void idsBuiltInCodeAreCheckedToo() {
            Plan plan = new Plan(List.of(waitTask("look up"), waitTask("input")));
            List<PlanProblem> problems = VALIDATOR.validate(plan);
            assertEquals(2, problems.size(), problems::toString);
            assertProblem(problems, "look up", "id", "must be 1 to 64 letters");
            assertProblem(problems, "input", "id", "reserved");
        }
    }

    @Nested
    class Dependencies {
        @Test
        void unknownDependencySuggestsTheClosestId() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'classify','wait':'PT1S'},{'id':'route','wait':'PT1S','dependsOn':['clasify']}]}");
            PlanProblem problem = assertOnlyProblem(problems, "route", "dependsOn", "depends on unknown task 'clasify'; did you mean 'classify'?");
            assertEquals("task 'route', field 'dependsOn': depends on unknown task 'clasify'; did you mean 'classify'?", problem.toString());
        }

        @Test
        void noSuggestionWhenNothingIsClose() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'classify','wait':'PT1S'},{'id':'route','wait':'PT1S','dependsOn':['deliver']}]}");
            PlanProblem problem = assertOnlyProblem(problems, "route", "dependsOn", "unknown task 'deliver'");
            assertFalse(problem.message().contains("did you mean"), problem.message());
        }

        @Test
        void selfDependency() {
            assertOnlyProblem(problems("{'tasks':[{'id':'a','wait':'PT1S','dependsOn':['a']}]}"), "a", "dependsOn", "cannot depend on itself");
        }

        @Test
        void cycleIsNamedOnceOnItsFirstTask() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'a','wait':'PT1S','dependsOn':['b']},"
                    + "{'id':'b','wait':'PT1S','dependsOn':['c']},{'id':'c','wait':'PT1S','dependsOn':['a']}]}");
            PlanProblem problem = assertOnlyProblem(problems, "a", "dependsOn", "cycle a -> b -> c -> a");
            assertEquals("task 'a', field 'dependsOn': cycle a -> b -> c -> a (each task depends on the next, so none of them can start)",
                    problem.toString());
        }

        @Test
        void cycleStartsAtTheTaskWrittenFirst() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'c','wait':'PT1S','dependsOn':['a']},"
                    + "{'id':'a','wait':'PT1S','dependsOn':['b']},{'id':'b','wait':'PT1S','dependsOn':['c']}]}");
            assertOnlyProblem(problems, "c", "dependsOn", "cycle c -> a -> b -> c");
        }

        @Test
        void cycleThroughAReferenceNamesTheArgument() {
            List<PlanProblem> problems = problems("{'tasks':["
                    + "{'id':'route','tool':'tickets.route','args':{'category':'other','tags':['x','${notify.output.tag}']}},"
                    + "{'id':'notify','wait':'PT1S','dependsOn':['route']}]}");
            assertOnlyProblem(problems, "route", "args.tags[1]", "cycle route -> notify -> route");
        }

        @Test
        void separateCyclesAreEachReportedOnceAndTheShortestIsNamed() {
            List<PlanProblem> problems = problems("{'tasks':["
                    + "{'id':'a','wait':'PT1S','dependsOn':['b','c']},{'id':'b','wait':'PT1S','dependsOn':['c']},"
                    + "{'id':'c','wait':'PT1S','dependsOn':['a']},"
                    + "{'id':'x','wait':'PT1S','dependsOn':['y']},{'id':'y','wait':'PT1S','dependsOn':['x']},"
                    + "{'id':'ok','wait':'PT1S','dependsOn':['a','x']}]}");
            assertEquals(2, problems.size(), problems::toString);
            assertProblem(problems, "a", "dependsOn", "cycle a -> c -> a");
            assertProblem(problems, "x", "dependsOn", "cycle x -> y -> x");
        }

        @Test
        void longChainsAndLongCyclesDoNotOverflowTheStack() {
            int n = 20_000;
            List<TaskSpec> chain = new ArrayList<>();
            chain.add(waitTask("t0"));
            for (int i = 1; i < n; i++) chain.add(waitTask("t" + i, "t" + (i - 1)));
            assertEquals(List.of(), VALIDATOR.validate(new Plan(chain)));

            chain.set(0, waitTask("t0", "t" + (n - 1)));
            List<PlanProblem> problems = VALIDATOR.validate(new Plan(chain));
            PlanProblem problem = assertOnlyProblem(problems, "t0", "dependsOn",
                    "cycle t0 -> t19999 -> t19998 -> t19997 -> t19996 -> t19995 -> t19994 -> t19993 -> t19992 -> t19991"
                    + " -> ... 19986 more ... -> t4 -> t3 -> t2 -> t1 -> t0 (each task");
            assertTrue(problem.message().length() < 300, "a long cycle is shortened in the middle");
        }
    }

    @Nested
    class ToolsAndAgents {
        @Test
        void unknownToolSuggestsTheClosestName() {
            assertOnlyProblem(problems("{'tasks':[{'id':'c','tool':'crm.lookpu','args':{'email':'a@b'}}]}"),
                    "c", "tool", "unknown tool 'crm.lookpu'; did you mean 'crm.lookup'?");
        }

        @Test
        void agentTaskWithoutAModel() {
            PlanValidator validator = new PlanValidator(NO_MODEL);
            List<PlanProblem> problems = validator.validate(plan(Fixtures.DESIGN_EXAMPLE));
            PlanProblem problem = assertOnlyProblem(problems, "classify", "agent", "agent tasks need a model");
            assertEquals("agent tasks need a model: set OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL", problem.message());
        }

        @Test
        void unknownAgentWhenAModelIsConfigured() {
            assertOnlyProblem(problems("{'tasks':[{'id':'c','agent':'triagr','instruction':'go'}]}"),
                    "c", "agent", "unknown agent 'triagr'; did you mean 'triager'?");
        }

        @Test
        void catalogueThatCannotListNamesGivesNoSuggestion() {
            Catalog lookupOnly = new Catalog() {
                public java.util.Optional<dev.baton.tools.ToolDescriptor> tool(String name) {
                    return CATALOG.tool(name);
                }

                public boolean hasAgent(String name) {
                    return false;
                }

                public boolean modelConfigured() {
                    return true;
                }
            };
            List<PlanProblem> problems = new PlanValidator(lookupOnly).validate(plan("{'tasks':[{'id':'c','tool':'crm.lookpu'}]}"));
            PlanProblem problem = assertOnlyProblem(problems, "c", "tool", "unknown tool 'crm.lookpu'");
            assertFalse(problem.message().contains("did you mean"));
        }
    }

    @Nested
    class ReferenceChecks {
        @Test
        void malformedReference() {
            assertOnlyProblem(problems("{'tasks':[{'id':'classify','wait':'PT1S'},"
                    + "{'id':'route','tool':'tickets.route','args':{'category':'${classify.category}'}}]}"),
                    "route", "args.category", "must read a task's output, as ${classify.output}");
        }

        @Test
        void emptyAndBadlyPathedReferences() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'a','wait':'PT1S'},"
                    + "{'id':'get','tool':'http.request','args':{'url':'${}','body':{'x':'${a.output..y}'}}}]}");
            assertEquals(2, problems.size(), problems::toString);
            assertProblem(problems, "get", "args.url", "empty reference ${}");
            assertProblem(problems, "get", "args.body.x", "malformed path in reference ${a.output..y}");
        }

        @Test
        void unclosedReference() {
            assertOnlyProblem(problems("{'tasks':[{'id':'get','tool':'http.request','args':{'url':'http://x/${input.id'}}]}"),
                    "get", "args.url", "unclosed reference");
            // after a good one, too; and a '$' next to a good one is no reference
            assertOnlyProblem(problems("{'tasks':[{'id':'get','tool':'http.request','args':{'url':'http://x/${input.a}/${input.b'}}]}"),
                    "get", "args.url", "unclosed reference");
            assertEquals(List.of(), problems("{'tasks':[{'id':'get','tool':'http.request','args':{'url':'http://x/$${input.a}$'}}]}"));
        }

        @Test
        void referenceToUnknownTaskSuggestsTheClosest() {
            assertOnlyProblem(problems("{'tasks':[{'id':'classify','wait':'PT1S'},"
                    + "{'id':'route','tool':'tickets.route','args':{'category':'${clasify.output.category}'}}]}"),
                    "route", "args.category", "refers to unknown task 'clasify' in ${clasify.output.category}; did you mean 'classify'?");
        }

        @Test
        void referenceInsideTextAndArraysIsNamedByPath() {
            assertOnlyProblem(problems("{'tasks':[{'id':'route','tool':'tickets.route',"
                    + "'args':{'category':'other','tags':['a','tier ${custmer.output.tier}']}}]}"),
                    "route", "args.tags[1]", "refers to unknown task 'custmer'");
        }

        @Test
        void referenceToItself() {
            assertOnlyProblem(problems("{'tasks':[{'id':'route','tool':'tickets.route','args':{'category':'${route.output.category}'}}]}"),
                    "route", "args.category", "refers to its own output in ${route.output.category}");
        }

        @Test
        void inputReferencesNeedNoTask() {
            assertEquals(List.of(), problems("{'tasks':[{'id':'c','tool':'crm.lookup','args':{'email':'${input}'}}]}"));
        }
    }

    @Nested
    class Schemas {
        @Test
        void wrongTypeIsNamedByArgumentPath() {
            assertOnlyProblem(problems("{'tasks':[{'id':'c','tool':'crm.lookup','args':{'email':5}}]}"),
                    "c", "args.email", "expected string, found number 5");
        }

        @Test
        void missingRequiredAndUnknownArguments() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'get','tool':'http.request','args':{'urll':'http://x'}}]}");
            assertEquals(2, problems.size(), problems::toString);
            assertProblem(problems, "get", "args", "missing required property 'url'");
            assertProblem(problems, "get", "args.urll", "unknown property 'urll' (allowed: method, url, headers, body, timeout)");
        }

        @Test
        void enumAndBoundsAreChecked() {
            List<PlanProblem> problems = problems("{'tasks':[{'id':'r','tool':'tickets.route','args':{'category':'loans','priority':9}}]}");
            assertEquals(2, problems.size(), problems::toString);
            assertProblem(problems, "r", "args.category", "expected one of \"billing\", \"card\", \"other\", found string \"loans\"");
            assertProblem(problems, "r", "args.priority", "expected a number <= 4, found 9");
        }

        @Test
        void wholeReferenceStandsInForAnyValue() {
            assertEquals(List.of(), problems("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'r','tool':'tickets.route',"
                    + "'args':{'category':'${a.output.category}','priority':'${a.output.priority}','tags':'${a.output.tags}'}}]}"));
        }

        @Test
        void templateIsStillAString() {
            assertOnlyProblem(problems("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'r','tool':'tickets.route',"
                    + "'args':{'category':'${a.output.category}','priority':'P${a.output.priority}'}}]}"),
                    "r", "args.priority", "expected integer, found string \"P${a.output.priority}\"");
        }

        /** A tool whose schema uses what the old hand-written check ignored: an ECMA-262 $, if/then, uniqueItems. */
        static final PlanValidator PUSH = new PlanValidator(Catalog.of(List.of(dev.baton.tools.ToolDescriptor.builder("git.push")
                .parameters(Fixtures.schema("{'type':'object','properties':{'branch':{'type':'string','pattern':'^[a-z0-9-]+$'},"
                        + "'force':{'type':'boolean'},'reason':{'type':'string'},'reviewers':{'type':'array','uniqueItems':true}},"
                        + "'required':['branch'],'if':{'properties':{'force':{'const':true}},'required':['force']},'then':{'required':['reason']}}"))
                .build()), List.of(), false));

        @Test
        void literalArgumentsAreJudgedAsAtRunTime() {
            List<PlanProblem> problems = PUSH.validate(plan("{'tasks':[{'id':'p','tool':'git.push',"
                    + "'args':{'branch':'main\\n','force':true,'reviewers':['ada','ada']}}]}"));
            assertEquals(3, problems.size(), problems::toString);
            assertProblem(problems, "p", "args.branch", "expected a string matching /^[a-z0-9-]+$/, found \"main\\n\"");
            assertProblem(problems, "p", "args", "missing required property 'reason'");
            assertProblem(problems, "p", "args.reviewers", "expected items that all differ, found a repeated one");
        }

        @Test
        void aReferenceInAConditionLeavesWhatItDecidesToRunTime() {
            assertEquals(List.of(), PUSH.validate(plan("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'p','tool':'git.push',"
                    + "'args':{'branch':'main','force':'${a.output.force}'}}]}")));
            assertOnlyProblem(PUSH.validate(plan("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'p','tool':'git.push',"
                    + "'args':{'branch':'Main','force':'${a.output.force}'}}]}")),
                    "p", "args.branch", "expected a string matching /^[a-z0-9-]+$/, found \"Main\"");
        }

        @Test
        void templateTextIsNotMatchedAgainstPatternOrEnum() {
            assertEquals(List.of(), problems("{'tasks':[{'id':'c','tool':'crm.lookup','args':{'email':'${input.user}-at-${input.domain}'}}]}"));
            assertOnlyProblem(problems("{'tasks':[{'id':'c','tool':'crm.lookup','args':{'email':'nobody'}}]}"),
                    "c", "args.email", "expected a string matching /@/");
        }
    }
}
