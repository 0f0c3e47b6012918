package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.baton.plan.Fixtures.assertOnlyProblem;
import static dev.baton.plan.Fixtures.assertProblem;
import static dev.baton.plan.Fixtures.json;
import static dev.baton.plan.Fixtures.parseProblems;
import static dev.baton.plan.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanParserTest {

    @Nested
    class ReadsValidPlans {
        @Test
        void designExampleReadsIntoTheModel() {
            Plan plan = plan(Fixtures.DESIGN_EXAMPLE);
            assertEquals(List.of("classify", "customer", "route", "cool-off"), plan.tasks().stream().map(TaskSpec::id).toList());

            TaskSpec classify = plan.task("classify").orElseThrow();
            assertEquals(new TaskAction.AgentCall("triager", "Classify this ticket by category and priority."), classify.action());
            assertEquals("Classify the ticket", classify.title());

            TaskSpec route = plan.task("route").orElseThrow();
            TaskAction.ToolCall call = (TaskAction.ToolCall) route.action();
            assertEquals("tickets.route", call.tool());
            assertEquals(json("{'category':'${classify.output.category}','tier':'${customer.output.tier}'}"), call.args());
            assertEquals(ApprovalSpec.REQUIRED, route.approval());
            assertEquals(new PlanRetry(3, Duration.ofSeconds(1), null), route.retry());
            assertEquals(List.of("classify", "customer"), List.copyOf(route.dependencies()));

            TaskSpec coolOff = plan.task("cool-off").orElseThrow();
            assertEquals(new TaskAction.Wait(Duration.ofHours(2)), coolOff.action());
            assertEquals("cool-off", coolOff.title(), "the title defaults to the id");
            assertEquals(List.of("route"), coolOff.dependsOn());
        }

        @Test
        void toolTaskWithoutArgsGetsAnEmptyObject() {
            TaskSpec task = plan("{'tasks':[{'id':'t','tool':'x.y'}]}").tasks().get(0);
            assertEquals(Json.object(), ((TaskAction.ToolCall) task.action()).args());
        }

        @Test
        void argsAreCopiedSoTheInputCanChangeLater() throws PlanException {
            JsonNode body = json("{'tasks':[{'id':'t','tool':'x.y','args':{'a':1}}]}");
            Plan plan = PlanParser.parse(body);
            ((ObjectNode) body.get("tasks").get(0).get("args")).put("a", 2);
            assertEquals(json("{'a':1}"), ((TaskAction.ToolCall) plan.tasks().get(0).action()).args());
        }

        @Test
        void versionIsAllowedAndIgnored() {
            assertEquals(1, plan("{'version':3,'tasks':[{'id':'w','wait':'PT0S'}]}").tasks().size());
        }

        @Test
        void approvalForms() {
            Plan plan = plan("{'tasks':["
                    + "{'id':'a','wait':'PT1S','approval':'none'},"
                    + "{'id':'b','wait':'PT1S','approval':{'timeout':'PT1H','onTimeout':'escalate'}},"
                    + "{'id':'c','wait':'PT1S','approval':{'required':false}},"
                    + "{'id':'d','wait':'PT1S'}]}");
            assertEquals(new ApprovalSpec(false, null, ApprovalSpec.ExpiryPolicy.REJECT), plan.tasks().get(0).approval());
            assertEquals(new ApprovalSpec(true, Duration.ofHours(1), ApprovalSpec.ExpiryPolicy.ESCALATE), plan.tasks().get(1).approval(),
                    "an approval object means required unless it says otherwise");
            assertEquals(new ApprovalSpec(false, null, ApprovalSpec.ExpiryPolicy.REJECT), plan.tasks().get(2).approval());
            assertNull(plan.tasks().get(3).approval());
        }

        @Test
        void retryAndTimeout() {
            TaskSpec task = plan("{'tasks':[{'id':'t','tool':'x','retry':{'maxBackoff':'PT30S'},'timeout':'PT5M'}]}").tasks().get(0);
            assertEquals(new PlanRetry(null, null, Duration.ofSeconds(30)), task.retry());
            assertEquals(Duration.ofMinutes(5), task.timeout());
        }

        @Test
        void jsonNullCountsAsAbsent() {
            TaskSpec task = plan("{'version':null,'tasks':[{'id':'t','title':null,'tool':'x','agent':null,'instruction':null,"
                    + "'args':null,'dependsOn':null,'approval':null,'retry':null,'timeout':null}]}").tasks().get(0);
            assertEquals(new TaskSpec("t", null, new TaskAction.ToolCall("x", Json.object()), null, null, null, null), task);
        }

        @Test
        void parsesJsonText() throws PlanException {
            assertEquals(1, PlanParser.parse("{\"tasks\":[{\"id\":\"w\",\"wait\":\"PT1S\"}]}").tasks().size());
        }
    }

    @Nested
    class PlanShape {
        @Test
        void bodyMustBeAnObject() {
            assertOnlyProblem(parseProblems("[1]"), null, null, "a plan must be a JSON object with a 'tasks' array, found array");
        }

        @Test
        void tasksAreRequired() {
            assertOnlyProblem(parseProblems("{}"), null, "tasks", "missing");
        }

        @Test
        void tasksMustBeAnArray() {
            assertOnlyProblem(parseProblems("{'tasks':{}}"), null, "tasks", "expected an array, found object");
        }

        @Test
        void versionMustBeANumber() {
            assertOnlyProblem(parseProblems("{'version':'1','tasks':[]}"), null, "version", "expected a number, found string");
        }

        @Test
        void unknownPlanFieldIsRejected() {
            assertOnlyProblem(parseProblems("{'goal':'x','tasks':[]}"), null, "goal", "unknown field 'goal' (known: version, tasks)");
        }

        @Test
        void malformedJsonText() {
            List<PlanProblem> problems = assertThrows(PlanException.class, () -> PlanParser.parse("{\"tasks\": [")).problems();
            assertOnlyProblem(problems, null, null, "malformed JSON");
        }

        @Test
        void taskMustBeAnObject() {
            assertOnlyProblem(parseProblems("{'tasks':['classify']}"), null, "tasks[0]", "expected a task object, found string");
        }
    }

    @Nested
    class Durations {
        /** Each of these once overflowed the orchestrator's timer arithmetic and stopped the server from restarting. */
        @Test
        void overLongDurationsAreRefusedNamingTheField() {
            String huge = "PT30000000000000000S";
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'w','wait':'" + huge + "'}]}"), "w", "wait", "at most P3650D");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'t','tool':'x','timeout':'" + huge + "'}]}"), "t", "timeout", "at most");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','approval':{'timeout':'" + huge + "'}}]}"),
                    "a", "approval.timeout", "at most");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'r','tool':'x','retry':{'backoff':'P3651D'}}]}"), "r", "retry.backoff", "at most");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'r','tool':'x','retry':{'maxBackoff':'P3651D'}}]}"), "r", "retry.maxBackoff", "at most");
        }

        @Test
        void tenYearsIsTheLongestAccepted() {
            assertEquals(PlanParser.MAX_DURATION, plan("{'tasks':[{'id':'w','wait':'P3650D'}]}").tasks().get(0).action() instanceof TaskAction.Wait w
                    ? w.duration() : null);
        }
    }

    @Nested
    class Ids {
        @Test
        void missingIdIsNamedByPosition() {
            List<PlanProblem> problems = parseProblems("{'tasks':[{'id':'a','wait':'PT1S'},{'id':'b','wait':'PT1S'},"
                    + "{'id':'c','wait':'PT1S'},{'tool':'x'}]}");
            assertOnlyProblem(problems, null, "tasks[3].id", "missing");
        }

        @Test
        void idMustBeAString() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':7,'wait':'PT1S'}]}"), null, "tasks[0].id", "expected a string, found number");
        }

        @Test
        void idMustBeLettersDigitsUnderscoreOrDash() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'look up','wait':'PT1S'}]}"), null, "tasks[0].id", "must be 1 to 64 letters");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'','wait':'PT1S'}]}"), null, "tasks[0].id", "must be 1 to 64 letters");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'" + "a".repeat(65) + "','wait':'PT1S'}]}"),
                    null, "tasks[0].id", "must be 1 to 64 letters");
            assertEquals(1, plan("{'tasks':[{'id':'" + "a".repeat(64) + "','wait':'PT1S'}]}").tasks().size());
        }

        @Test
        void inputIsReserved() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'input','wait':'PT1S'}]}"), "input", "id", "reserved");
        }

        @Test
        void otherProblemsOfATaskWithoutIdAreNamedByPosition() {
            List<PlanProblem> problems = parseProblems("{'tasks':[{'title':5,'wait':'soon'}]}");
            assertEquals(3, problems.size(), problems::toString);
            assertProblem(problems, null, "tasks[0].id", "missing");
            assertProblem(problems, null, "tasks[0].title", "expected a string, found number");
            assertProblem(problems, null, "tasks[0].wait", "expected an ISO-8601 duration");
        }
    }

    @Nested
    class Kinds {
        @Test
        void aTaskNeedsAKind() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','title':'t'}]}"), "a", null, "exactly one of 'tool'");
        }

        @Test
        void aTaskHasOnlyOneKind() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','agent':'y','instruction':'z'}]}"),
                    "a", "agent", "'tool' and 'agent' cannot be combined");
        }

        @Test
        void toolMustBeANonEmptyString() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':3}]}"), "a", "tool", "expected a string, found number");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':' '}]}"), "a", "tool", "must not be empty");
        }

        @Test
        void argsMustBeAnObject() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','args':['u']}]}"), "a", "args", "expected an object, found array");
        }

        @Test
        void agentNeedsAnInstruction() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','agent':'triager'}]}"), "a", "instruction", "missing");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','agent':'triager','instruction':''}]}"), "a", "instruction", "must not be empty");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','agent':'triager','instruction':{}}]}"),
                    "a", "instruction", "expected a string, found object");
        }

        @Test
        void argsOnlyOnToolTasks() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','agent':'t','instruction':'i','args':{}}]}"),
                    "a", "args", "'args' belongs to tool tasks, and this is an agent task");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','args':{}}]}"),
                    "a", "args", "'args' belongs to tool tasks, and this is a wait task");
        }

        @Test
        void instructionOnlyOnAgentTasks() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','instruction':'do it'}]}"),
                    "a", "instruction", "'instruction' belongs to agent tasks, and this is a tool task");
        }

        @Test
        void waitIsANonNegativeIsoDuration() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'2 hours'}]}"), "a", "wait", "found \"2 hours\"");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'-PT1S'}]}"), "a", "wait", "must be zero or more");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':5}]}"), "a", "wait", "duration string such as \"PT2S\", found number");
        }
    }

    @Nested
    class OptionalFields {
        @Test
        void titleMustBeAString() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','title':['x'],'wait':'PT1S'}]}"), "a", "title", "expected a string, found array");
        }

        @Test
        void dependsOnIsAnArrayOfStrings() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','dependsOn':'b'}]}"),
                    "a", "dependsOn", "expected an array of task ids, found string");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','dependsOn':['b',2]}]}"),
                    "a", "dependsOn[1]", "expected a string, found number");
        }

        @Test
        void approvalStringMustBeRequiredOrNone() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','approval':'yes'}]}"),
                    "a", "approval", "expected \"required\", \"none\" or an object");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'PT1S','approval':true}]}"),
                    "a", "approval", "found boolean");
        }

        @Test
        void approvalObjectFields() {
            List<PlanProblem> problems = parseProblems("{'tasks':[{'id':'a','wait':'PT1S','approval':"
                    + "{'required':'yes','timeout':'PT0S','onTimeout':'ignore','expires':'PT1H'}}]}");
            assertEquals(4, problems.size(), problems::toString);
            assertProblem(problems, "a", "approval.required", "expected a boolean, found string");
            assertProblem(problems, "a", "approval.timeout", "must be positive");
            assertProblem(problems, "a", "approval.onTimeout", "expected \"reject\" or \"escalate\", found string \"ignore\"");
            assertProblem(problems, "a", "approval.expires", "unknown field 'expires' (known: required, timeout, onTimeout)");
        }

        @Test
        void retryMustBeAnObject() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','retry':3}]}"), "a", "retry", "expected an object");
        }

        @Test
        void retryFields() {
            List<PlanProblem> problems = parseProblems("{'tasks':["
                    + "{'id':'a','tool':'x','retry':{'maxAttempts':0,'backoff':'1s','maxBackoff':'-PT1S'}},"
                    + "{'id':'b','tool':'x','retry':{'maxAttempts':101}},"
                    + "{'id':'c','tool':'x','retry':{'maxAttempts':2.5}},"
                    + "{'id':'d','tool':'x','retry':{'maxAttempts':'3'}},"
                    + "{'id':'e','tool':'x','retry':{'attempts':3}}]}");
            assertEquals(7, problems.size(), problems::toString);
            assertProblem(problems, "a", "retry.maxAttempts", "must be between 1 and 100, found 0");
            assertProblem(problems, "a", "retry.backoff", "expected an ISO-8601 duration");
            assertProblem(problems, "a", "retry.maxBackoff", "must be zero or more");
            assertProblem(problems, "b", "retry.maxAttempts", "must be between 1 and 100, found 101");
            assertProblem(problems, "c", "retry.maxAttempts", "expected an integer, found number");
            assertProblem(problems, "d", "retry.maxAttempts", "expected an integer, found string");
            assertProblem(problems, "e", "retry.attempts", "unknown field 'attempts'; did you mean 'maxAttempts'?");
        }

        @Test
        void timeoutIsAPositiveDuration() {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','timeout':'PT0S'}]}"), "a", "timeout", "must be positive");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','tool':'x','timeout':30}]}"), "a", "timeout", "found number");
        }

        @Test
        void unknownTaskFieldSuggestsTheKnownOne() {
            PlanProblem problem = assertOnlyProblem(parseProblems("{'tasks':[{'id':'b','wait':'PT1S','dependOn':['a']}]}"),
                    "b", "dependOn", "unknown field 'dependOn'; did you mean 'dependsOn'?");
            assertTrue(problem.message().contains("(known: id, title, tool, args, agent, instruction, wait, dependsOn, approval, retry, timeout, when, join, fallback, continueOnError, compensate)"),
                    problem.message());
            assertEquals("task 'b', field 'dependOn': " + problem.message(), problem.toString());
        }
    }

    @Nested
    class Collecting {
        @Test
        void everyProblemOfEveryTaskIsReported() {
            List<PlanProblem> problems = parseProblems("{'tasks':["
                    + "{'id':'a','tool':1,'timeout':'x'},"
                    + "{'id':'b','agent':'t'},"
                    + "{'wait':'PT1S'},"
                    + "{'id':'d','wait':'PT1S','colour':'red'}]}");
            assertEquals(5, problems.size(), problems::toString);
            assertProblem(problems, "a", "tool", "expected a string");
            assertProblem(problems, "a", "timeout", "expected an ISO-8601 duration");
            assertProblem(problems, "b", "instruction", "missing");
            assertProblem(problems, null, "tasks[2].id", "missing");
            assertProblem(problems, "d", "colour", "unknown field 'colour'");
        }

        @Test
        void aHugeBrokenPlanListsAHundredProblemsAndCountsTheRest() {
            StringBuilder tasks = new StringBuilder("{'tasks':[");
            for (int i = 0; i < 250; i++) tasks.append(i == 0 ? "" : ",").append("{'id':'t").append(i).append("'}");
            List<PlanProblem> problems = parseProblems(tasks.append("]}").toString());
            assertEquals(101, problems.size());
            assertEquals(new PlanProblem(null, null, "150 more problems not listed"), problems.get(100));
        }

        @Test
        void exceptionMessageJoinsTheProblems() {
            PlanException e = assertThrows(PlanException.class, () -> PlanParser.parse(json("{'tasks':[{'id':'a'},{'id':'b'}]}")));
            assertTrue(e.getMessage().startsWith("task 'a': a task needs exactly one of"), e.getMessage());
            assertTrue(e.getMessage().contains("; task 'b': a task needs"), e.getMessage());
        }
    }
}
