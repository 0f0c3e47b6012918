package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskStatus;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.baton.runtime.decider.Lane.COMPENSATION;
import static dev.baton.runtime.decider.Lane.FALLBACK;
import static dev.baton.runtime.decider.Lane.TASK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The run decider as tables: given a plan and the inputs so far, this input gives these events
 * and these commands. No orchestrator, no threads, no real time: the clock is the script's.
 */
class RunDeciderTest {
    /** Three attempts, one second then doubling, no jitter: backoffs read exactly. */
    static final RetryPolicy THREE_TRIES = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(1), 2.0, 0.0);

    static ToolRegistry tools() {
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("echo", d -> d.timeout(Duration.ofSeconds(5)).retry(THREE_TRIES), (args, context) -> args));
        tools.register(LambdaTool.of("once", d -> d.timeout(Duration.ofSeconds(5)).retry(RetryPolicy.NONE), (args, context) -> args));
        tools.register(LambdaTool.of("pay", d -> d.timeout(Duration.ofSeconds(5)).retry(RetryPolicy.NONE).requiresApproval(true),
                (args, context) -> args));
        tools.register(LambdaTool.of("undo", d -> d.timeout(Duration.ofSeconds(5)).retry(RetryPolicy.NONE), (args, context) -> args));
        return tools;
    }

    static Script script() {
        return new Script(tools(), OrchestratorOptions.builder().maxConcurrentCalls(8).build());
    }

    static Input ok(String taskId, int attempt) {
        return new Input.CallEnded(taskId, TASK, attempt, new Outcome.Success(Json.object().put("done", taskId)));
    }

    static Input failed(String taskId, int attempt, boolean retryable) {
        return new Input.CallEnded(taskId, TASK, attempt, new Outcome.Failure("boom", "it broke", retryable, null));
    }

    static Input due(String taskId, TimerKind kind, long atMillis) {
        return new Input.TimerDue(taskId, kind, Script.T0.plusMillis(atMillis));
    }

    static final String CHAIN = """
            {"tasks": [{"id": "a", "tool": "echo", "args": {}},
                       {"id": "b", "tool": "echo", "args": {"from": "${a.output.done}"}, "dependsOn": ["a"]}]}""";

    @Nested
    class Scheduling {
        @Test
        void aChainStartsItsFirstTaskThenEachDependantAsItsDependencySucceeds() {
            Script s = script();
            assertEquals(List.of("RunCreated", "PlanAccepted v1", "TaskReady a", "TaskStarted a#1 until +5000ms",
                    "StartTool a#1 TASK echo"), s.submit(CHAIN));
            assertEquals(List.of("TaskSucceeded a#1", "TaskReady b", "TaskStarted b#1 until +5120ms", "StartTool b#1 TASK echo"),
                    s.after(120).on(ok("a", 1)));
            assertEquals(List.of("TaskSucceeded b#1", "RunSucceeded"), s.on(ok("b", 1)));
        }

        @Test
        void tasksBeyondTheFreeSlotsWaitForOne() {
            Script s = new Script(tools(), OrchestratorOptions.builder().maxConcurrentCalls(2).build());
            assertEquals(List.of("RunCreated", "PlanAccepted v1",
                            "TaskReady a", "TaskStarted a#1 until +5000ms", "TaskReady b", "TaskStarted b#1 until +5000ms",
                            "TaskReady c", "StartTool a#1 TASK echo", "StartTool b#1 TASK echo", "AwaitSlot c"),
                    s.submit("""
                            {"tasks": [{"id": "a", "tool": "echo", "args": {}}, {"id": "b", "tool": "echo", "args": {}},
                                       {"id": "c", "tool": "echo", "args": {}}]}"""));
            assertEquals(List.of("TaskSucceeded a#1"), s.on(ok("a", 1)), "a slot freed: the shell offers it with SlotFree");
            assertEquals(List.of("TaskStarted c#1 until +5000ms", "StartTool c#1 TASK echo"), s.on(new Input.SlotFree("c", 0)));
            assertEquals(List.of(), s.on(new Input.SlotFree("c", 0)), "a task already started is not started twice");
        }

        @Test
        void aFailedDependencySkipsItsDependantsAndFailsTheRun() {
            Script s = script();
            s.submit(CHAIN);
            assertEquals(List.of("TaskAttemptFailed a#1 boom", "TaskSkipped b", "RunFailed task_failed"), s.on(failed("a", 1, false)));
            assertEquals(RunStatus.FAILED, s.run.status());
        }

        @Test
        void joinAnyGoesOnOnceEveryDependencyFinishedAndOneSucceeded() {
            Script s = script();
            s.submit("""
                    {"tasks": [{"id": "a", "tool": "once", "args": {}}, {"id": "b", "tool": "once", "args": {}},
                               {"id": "c", "tool": "echo", "args": {}, "dependsOn": ["a", "b"], "join": "any"}]}""");
            assertEquals(List.of("TaskAttemptFailed a#1 boom"), s.on(failed("a", 1, false)), "b has not finished: c waits");
            assertEquals(List.of("TaskSucceeded b#1", "TaskReady c", "TaskStarted c#1 until +5000ms", "StartTool c#1 TASK echo"),
                    s.on(ok("b", 1)));
        }

        @Test
        void aFalseConditionSkipsTheTaskWithItsReason() {
            Script s = script();
            s.submit("""
                    {"tasks": [{"id": "a", "tool": "echo", "args": {}},
                               {"id": "b", "tool": "echo", "args": {}, "when": "a.output.done == 'nothing'"}]}""");
            assertEquals(List.of("TaskSucceeded a#1", "TaskSkipped b", "RunSucceeded"), s.on(ok("a", 1)));
        }

        @Test
        void aZeroLengthWaitSucceedsInTheSameDecisionAndALongOneArmsItsTimer() {
            Script s = script();
            assertEquals(List.of("RunCreated", "PlanAccepted v1", "TaskReady w", "TaskStarted w#1 until +0ms", "TaskSucceeded w#1",
                            "TaskReady v", "TaskStarted v#1 until +60000ms", "ArmTimer v WAIT_OVER +60000ms"),
                    s.submit("""
                            {"tasks": [{"id": "w", "wait": "PT0S"}, {"id": "v", "wait": "PT1M", "dependsOn": ["w"]}]}"""));
            assertEquals(List.of(), s.after(59_000).on(due("v", TimerKind.WAIT_OVER, 59_000)), "a timer for another time is stale");
            assertEquals(List.of("TaskSucceeded v#1", "RunSucceeded"), s.after(1_000).on(due("v", TimerKind.WAIT_OVER, 60_000)));
        }

        @Test
        void argumentsThatBreakTheToolsSchemaFailTheAttemptWithoutACall() {
            ToolRegistry tools = tools();
            tools.register(LambdaTool.of("strict", d -> d.retry(THREE_TRIES).parameters((com.fasterxml.jackson.databind.node.ObjectNode)
                    Script.json("{\"type\": \"object\", \"properties\": {\"amount\": {\"type\": \"integer\"}}}")),
                    (args, context) -> args));
            Script s = new Script(tools, OrchestratorOptions.builder().build());
            assertEquals(List.of("RunCreated", "PlanAccepted v1", "TaskReady a", "TaskStarted a#1 until +30000ms",
                            "TaskAttemptFailed a#1 args_invalid", "RunFailed task_failed"),
                    s.submit("""
                            {"tasks": [{"id": "a", "tool": "strict", "args": {"amount": "${input.amount}"}}]}""", "{\"amount\": \"three\"}"),
                    "not retried, though its tool retries: the same arguments would break the schema again");
        }
    }

    @Nested
    class Retries {
        static final String ONE = """
                {"tasks": [{"id": "a", "tool": "echo", "args": {}}]}""";

        @Test
        void aRetryableFailureWaitsOutItsBackoffDoublingEachTimeThenFailsForGood() {
            Script s = script();
            s.submit(ONE);
            assertEquals(List.of("TaskAttemptFailed a#1 boom retry +1100ms", "ArmTimer a RETRY +1100ms"),
                    s.after(100).on(failed("a", 1, true)));
            assertEquals(List.of(), s.after(500).on(due("a", TimerKind.RETRY, 1000)), "a timer for another time is stale");
            assertEquals(List.of("TaskReady a", "TaskStarted a#2 until +6100ms", "StartTool a#2 TASK echo"),
                    s.after(500).on(due("a", TimerKind.RETRY, 1100)));
            assertEquals(List.of("TaskAttemptFailed a#2 boom retry +3100ms", "ArmTimer a RETRY +3100ms"), s.on(failed("a", 2, true)));
            s.after(2000).on(due("a", TimerKind.RETRY, 3100));
            assertEquals(List.of("TaskAttemptFailed a#3 boom", "RunFailed task_failed"), s.on(failed("a", 3, true)),
                    "three attempts is the policy's budget");
        }

        @Test
        void aFailureThatCannotBeRetriedFailsAtOnce() {
            Script s = script();
            s.submit(ONE);
            assertEquals(List.of("TaskAttemptFailed a#1 boom", "RunFailed task_failed"), s.on(failed("a", 1, false)));
        }

        @Test
        void theFarSidesRetryAfterWinsWhenLonger() {
            Script s = script();
            s.submit(ONE);
            assertEquals(List.of("TaskAttemptFailed a#1 rate_limited retry +30000ms", "ArmTimer a RETRY +30000ms"),
                    s.on(new Input.CallEnded("a", TASK, 1, new Outcome.Failure("rate_limited", "slow down", true, Duration.ofSeconds(30)))));
        }

        @Test
        void theEndOfAnAttemptGivenUpOnIsIgnored() {
            Script s = script();
            s.submit(ONE);
            s.on(failed("a", 1, true));
            assertEquals(List.of(), s.on(ok("a", 1)), "attempt 1 already failed");
            assertEquals(List.of(), s.on(new Input.CallEnded("a", FALLBACK, 1, new Outcome.Success(null))), "a has no fallback running");
        }

        @Test
        void jitterIsDrawnFromTheAttemptSoTheSameFailureIsDecidedTheSameWay() {
            RetryPolicy jittery = new RetryPolicy(3, Duration.ofSeconds(10), Duration.ofMinutes(1), 2.0, 0.5);
            ToolRegistry tools = new ToolRegistry();
            tools.register(LambdaTool.of("echo", d -> d.retry(jittery), (args, context) -> args));
            List<String> first = submitAndFail(new Script(tools, OrchestratorOptions.defaults()));
            List<String> second = submitAndFail(new Script(tools, OrchestratorOptions.defaults()));
            assertEquals(first, second, "with a random draw, two decisions would differ");
            long retryMs = Long.parseLong(first.get(1).replaceAll(".*\\+(\\d+)ms$", "$1"));
            assertEquals(true, retryMs >= 5_000 && retryMs <= 15_000, "within 10 s ± 50%: " + first);
        }

        private List<String> submitAndFail(Script s) {
            s.submit(ONE);
            return s.on(failed("a", 1, true));
        }
    }

    @Nested
    class Approvals {
        static final String GATED = """
                {"tasks": [{"id": "p", "tool": "pay", "args": {}, "approval": {"required": true, "timeout": "PT1M", "onTimeout": "%s"}},
                           {"id": "q", "tool": "echo", "args": {}, "dependsOn": ["p"]}]}""";

        @Test
        void aGatedTaskWaitsForAPersonUntilItsApprovalExpires() {
            Script s = script();
            assertEquals(List.of("RunCreated", "PlanAccepted v1", "TaskReady p", "ApprovalRequested p expires +60000ms",
                    "ArmTimer p APPROVAL_EXPIRY +60000ms"), s.submit(GATED.formatted("reject")));
            assertEquals(List.of("ApprovalExpired p", "TaskSkipped q", "RunFailed task_rejected"),
                    s.after(60_000).on(due("p", TimerKind.APPROVAL_EXPIRY, 60_000)));
        }

        @Test
        void anApprovedTaskStartsAndARejectedOneEndsTheRun() {
            Script s = script();
            s.submit(GATED.formatted("reject"));
            assertEquals(List.of("ApprovalDecided p approve", "TaskStarted p#1 until +5000ms", "StartTool p#1 TASK pay"),
                    s.on(new Input.DecideApproval("p", true, "alice", false, null, null)));
            assertEquals(List.of(), s.after(60_000).on(due("p", TimerKind.APPROVAL_EXPIRY, 60_000)), "decided: the expiry is stale");

            Script r = script();
            r.submit(GATED.formatted("reject"));
            assertEquals(List.of("ApprovalDecided p reject", "TaskSkipped q", "RunFailed task_rejected"),
                    r.on(new Input.DecideApproval("p", false, "bob", false, "no", null)));
        }

        @Test
        void anEscalatedApprovalWaitsForAnAdmin() {
            Script s = script();
            s.submit(GATED.formatted("escalate"));
            assertEquals(List.of("ApprovalEscalated p"), s.after(60_000).on(due("p", TimerKind.APPROVAL_EXPIRY, 60_000)));
            BatonException refused = assertThrows(BatonException.class,
                    () -> s.on(new Input.DecideApproval("p", true, "alice", false, null, null)));
            assertEquals("forbidden", refused.code());
            assertEquals(List.of("ApprovalDecided p approve", "TaskStarted p#1 until +70000ms", "StartTool p#1 TASK pay"),
                    s.after(5_000).on(new Input.DecideApproval("p", true, "root", true, null, null)));
        }

        @Test
        void aDecisionOnATaskThatIsNotWaitingIsRefusedAndChangesNothing() {
            Script s = script();
            s.submit(CHAIN);
            long seq = s.run.lastSeq();
            BatonException refused = assertThrows(BatonException.class,
                    () -> s.on(new Input.DecideApproval("a", true, "alice", false, null, null)));
            assertEquals("conflict", refused.code());
            assertEquals(seq, s.run.lastSeq());
            assertEquals(TaskStatus.RUNNING, s.run.task("a").status());
        }

        @Test
        void editedArgumentsThatBreakTheToolsSchemaAreRefused() {
            ToolRegistry tools = tools();
            tools.register(LambdaTool.of("strict", d -> d.requiresApproval(true).parameters((com.fasterxml.jackson.databind.node.ObjectNode)
                    Script.json("{\"type\": \"object\", \"properties\": {\"amount\": {\"type\": \"integer\"}}}")),
                    (args, context) -> args));
            Script s = new Script(tools, OrchestratorOptions.defaults());
            s.submit("""
                    {"tasks": [{"id": "p", "tool": "strict", "args": {"amount": 5}}]}""");
            BatonException refused = assertThrows(BatonException.class, () -> s.on(new Input.DecideApproval("p", true, "alice", false,
                    null, Json.object().put("amount", "lots"))));
            assertEquals("args_invalid", refused.code());
            assertEquals(TaskStatus.WAITING_APPROVAL, s.run.task("p").status());
        }
    }

    @Nested
    class Fallbacks {
        static final String WITH_FALLBACK = """
                {"tasks": [{"id": "a", "tool": "once", "args": {}, "fallback": {"tool": "echo", "args": {"why": "${a.error.code}"}}},
                           {"id": "b", "tool": "echo", "args": {}, "dependsOn": ["a"]}]}""";

        @Test
        void aTaskThatFailsForGoodRunsItsFallbackWhoseOutputBecomesTheTasks() {
            Script s = script();
            s.submit(WITH_FALLBACK);
            assertEquals(List.of("TaskAttemptFailed a#1 boom", "FallbackStarted a#1", "StartTool a#1 FALLBACK echo"),
                    s.on(failed("a", 1, false)));
            assertEquals("boom", s.run.task("a").fallback().args().path("why").asText());
            assertEquals(List.of("FallbackSucceeded a", "TaskReady b", "TaskStarted b#1 until +5000ms", "StartTool b#1 TASK echo"),
                    s.on(new Input.CallEnded("a", FALLBACK, 1, new Outcome.Success(Json.object()))));
        }

        @Test
        void aFallbackRetriesByItsToolsPolicyThenTheTaskFails() {
            Script s = script();
            s.submit(WITH_FALLBACK);
            s.on(failed("a", 1, false));
            Input fallbackFailed = new Input.CallEnded("a", FALLBACK, 1, new Outcome.Failure("down", "down", true, null));
            assertEquals(List.of("FallbackAttemptFailed a#1 down retry +1000ms", "ArmTimer a RETRY +1000ms"), s.on(fallbackFailed));
            assertEquals(List.of("FallbackStarted a#2", "StartTool a#2 FALLBACK echo"), s.after(1000).on(due("a", TimerKind.RETRY, 1000)));
            assertEquals(List.of("FallbackAttemptFailed a#2 down", "TaskSkipped b", "RunFailed task_failed"),
                    s.on(new Input.CallEnded("a", FALLBACK, 2, new Outcome.Failure("down", "down", false, null))));
        }
    }

    @Nested
    class Compensation {
        static final String BOOK_THEN_FAIL = """
                {"tasks": [{"id": "book", "tool": "echo", "args": {}, "compensate": {"tool": "undo", "args": {"id": "${book.output.done}"}}},
                           {"id": "pay", "tool": "once", "args": {}, "dependsOn": ["book"]}]}""";

        @Test
        void aFailingRunUndoesWhatSucceededBeforeItEnds() {
            Script s = script();
            s.submit(BOOK_THEN_FAIL);
            s.on(ok("book", 1));
            assertEquals(List.of("TaskAttemptFailed pay#1 boom", "RunUnwinding FAILED", "CompensationStarted book#1",
                    "StartTool book#1 COMPENSATION undo"), s.on(failed("pay", 1, false)));
            assertEquals("book", s.run.task("book").compensation().args().path("id").asText());
            assertEquals(List.of("CompensationSucceeded book", "RunFailed task_failed"),
                    s.on(new Input.CallEnded("book", COMPENSATION, 1, new Outcome.Success(null))));
        }

        @Test
        void aCompensationThatFailsForGoodWaitsForAPersonToRetryIt() {
            Script s = script();
            s.submit(BOOK_THEN_FAIL);
            s.on(ok("book", 1));
            s.on(failed("pay", 1, false));
            assertEquals(List.of("CompensationAttemptFailed book#1 boom", "CompensationFailed"),
                    s.on(new Input.CallEnded("book", COMPENSATION, 1, new Outcome.Failure("boom", "no", false, null))));
            assertEquals(RunStatus.COMPENSATION_FAILED, s.run.status());
            assertEquals(List.of("CompensationRetryRequested", "CompensationStarted book#2", "StartTool book#2 COMPENSATION undo"),
                    s.on(new Input.RetryCompensation("alice")));
        }

        @Test
        void aCancelStopsTheCallsInFlightThenUnwinds() {
            Script s = script();
            s.submit(BOOK_THEN_FAIL);
            s.on(ok("book", 1));
            assertEquals(List.of("TaskCancelled pay", "RunUnwinding CANCELLED", "CompensationStarted book#1", "Interrupt pay",
                    "StartTool book#1 COMPENSATION undo"), s.on(new Input.Cancel("alice")));
        }
    }

    @Nested
    class Replans {
        /** A planner that may replan; the decider only asks whether it can. */
        final GoalPlanner planner = new GoalPlanner() {
            @Override
            public ProposedPlan plan(PlanningRequest request) throws PlanningException {
                throw new PlanningException("unused", "not asked in these tables");
            }

            @Override
            public boolean canReplan(JsonNode runOptions) {
                return true;
            }
        };

        Script replanning() {
            return new Script(tools(), OrchestratorOptions.builder().planner(planner).maxReplans(1).build());
        }

        static final String TWO_AND_ONE = """
                {"tasks": [{"id": "a", "tool": "once", "args": {}}, {"id": "slow", "tool": "echo", "args": {}},
                           {"id": "c", "tool": "echo", "args": {}, "dependsOn": ["a"]}]}""";

        @Test
        void aTaskFailingForGoodReplansOnceTheCallsInFlightHaveEnded() {
            Script s = replanning();
            s.submit(TWO_AND_ONE);
            assertEquals(List.of("TaskAttemptFailed a#1 boom", "ReplanStarted task_failed"), s.on(failed("a", 1, false)),
                    "slow is still running: the planner is asked once it has ended");
            assertEquals(List.of("TaskSucceeded slow#1", "AskReplanner after 0 messages"), s.on(ok("slow", 1)));
        }

        @Test
        void aValidNewPlanCancelsTheUnfinishedRestAndKeepsWhatSucceeded() {
            Script s = replanning();
            s.submit(TWO_AND_ONE);
            s.on(ok("slow", 1));
            s.on(failed("a", 1, false));
            JsonNode next = Script.json("""
                    {"tasks": [{"id": "slow", "tool": "echo", "args": {}}, {"id": "d", "tool": "echo", "args": {}}]}""");
            assertEquals(List.of("TaskCancelled c", "PlanProposed", "PlanAccepted v2", "TaskReady d", "TaskStarted d#1 until +5000ms",
                    "StartTool d#1 TASK echo"), s.on(new Input.Replanned(new GoalPlanner.ProposedPlan(next, "llm"), null, 0)));
            assertEquals(TaskStatus.SUCCEEDED, s.run.task("slow").status());
        }

        @Test
        void aReplanThatDropsASucceededTaskFailsAndTheRunGoesOnWithItsPlan() {
            Script s = replanning();
            s.submit(TWO_AND_ONE);
            s.on(ok("slow", 1));
            s.on(failed("a", 1, false));
            JsonNode dropping = Script.json("""
                    {"tasks": [{"id": "d", "tool": "echo", "args": {}}]}""");
            assertEquals(List.of("ReplanFailed replan_invalid", "TaskSkipped c", "RunFailed task_failed"),
                    s.on(new Input.Replanned(new GoalPlanner.ProposedPlan(dropping, "llm"), null, 0)));
            assertEquals(true, s.run.error().message().contains("replanning failed"), s.run.error().message());
        }

        @Test
        void aUserMessageReplansARunningRun() {
            Script s = replanning();
            s.submit(CHAIN);
            s.on(ok("a", 1));
            assertEquals(List.of("UserMessage", "ReplanStarted message"), s.on(new Input.Message("also do c", "alice")),
                    "b is running: the planner waits for it");
            assertEquals(List.of("TaskSucceeded b#1", "AskReplanner after 1 messages"), s.on(ok("b", 1)));
        }
    }

    @Nested
    class Recovery {
        @Test
        void aCallCutOffByACrashIsMadeAgainWithTheSameAttemptAndKey() {
            Script s = script();
            s.submit(CHAIN);
            String key = s.run.task("a").idempotencyKey();
            assertEquals(List.of("TaskStarted a#1 until +7000ms", "StartTool a#1 TASK echo"), s.crash().after(2000).owed());
            assertEquals(key, s.run.task("a").idempotencyKey());
            assertEquals(List.of(), s.owed(), "a call in flight owes nothing");
        }

        @Test
        void timersAreOwedForTheirOriginalTime() {
            Script s = script();
            s.submit("""
                    {"tasks": [{"id": "a", "tool": "echo", "args": {}},
                               {"id": "w", "wait": "PT1H"},
                               {"id": "p", "tool": "pay", "args": {}, "approval": {"required": true, "timeout": "PT2H"}}]}""");
            s.on(failed("a", 1, true));
            assertEquals(List.of("ArmTimer a RETRY +1000ms", "ArmTimer w WAIT_OVER +3600000ms", "ArmTimer p APPROVAL_EXPIRY +7200000ms"),
                    s.crash().after(30_000).owed());
        }

        @Test
        void callsCutOffBeyondTheFreeSlotsWaitForOne() {
            Script s = new Script(tools(), OrchestratorOptions.builder().maxConcurrentCalls(1).build());
            s.submit("""
                    {"tasks": [{"id": "a", "tool": "echo", "args": {}}, {"id": "b", "tool": "echo", "args": {}}]}""");
            assertEquals(List.of("TaskStarted a#1 until +5000ms", "StartTool a#1 TASK echo", "AwaitSlot b"), s.crash().owed());
        }

        @Test
        void aRunStillPlanningWithNoPlannerLeftFailsAndAskedPlannerIsAskedAgain() {
            Script s = script();
            assertEquals(List.of("RunCreated", "AskPlanner"), s.on(new Input.Create("a goal", Json.object(), Json.object(), null, null, null)));
            assertEquals(List.of("RunFailed interrupted"), s.crash().owed(), "this decider has no planner to ask");
        }
    }

    /** The answer a run may ask for: it never holds up SUCCEEDED, and follows it as its own events. */
    @Nested
    class Answers {
        private Script withWriter() {
            return new Script(tools(), OrchestratorOptions.builder().maxConcurrentCalls(8).resultWriter(request -> "unused").build());
        }

        @Test
        void aRunThatAsksForNoAnswerSucceedsWithNoModelCallEvenWithAWriter() {
            Script s = withWriter();
            s.submit(CHAIN);
            s.on(ok("a", 1));
            assertEquals(List.of("TaskSucceeded b#1", "RunSucceeded"), s.on(ok("b", 1)), "no WriteAnswer: options.answer is not set");
            assertEquals(null, s.run.answerStatus());
        }

        @Test
        void aRunThatAsksForAnAnswerSucceedsAtOnceAndTheAnswerFollows() {
            Script s = withWriter();
            s.submit(CHAIN, "{}", "{\"answer\": true}");
            s.on(ok("a", 1));
            assertEquals(List.of("TaskSucceeded b#1", "RunSucceeded answering", "WriteAnswer a,b"), s.on(ok("b", 1)));
            assertEquals(RunStatus.SUCCEEDED, s.run.status(), "SUCCEEDED while the answer is written");
            assertEquals(RunState.AnswerStatus.WRITING, s.run.answerStatus());
            assertEquals(List.of("AnswerWritten Done [b]."), s.on(new Input.AnswerWritten("Done [b].", null)));
            assertEquals(RunStatus.SUCCEEDED, s.run.status());
            assertEquals("Done [b].", s.run.result().path("answer").asText());
            assertEquals("b", s.run.result().path("outputs").path("b").path("done").asText(), "the outputs stay");
            assertEquals(List.of(), s.on(new Input.AnswerWritten("again", null)), "a second answer is stale: ignored");
        }

        @Test
        void aFailedAnswerLeavesTheRunSucceededWithAnAnswerError() {
            Script s = withWriter();
            s.submit(CHAIN, "{}", "{\"answer\": true}");
            s.on(ok("a", 1));
            s.on(ok("b", 1));
            assertEquals(List.of("AnswerFailed answer_failed"), s.on(new Input.AnswerWritten(null, new IllegalStateException("model down"))));
            assertEquals(RunStatus.SUCCEEDED, s.run.status());
            assertEquals(RunState.AnswerStatus.FAILED, s.run.answerStatus());
            assertEquals("the answer could not be written: model down", s.run.result().path("answerError").asText());
        }

        @Test
        void anAnswerForARunNotWaitingForOneIsIgnored() {
            Script s = withWriter();
            s.submit(CHAIN);
            assertEquals(List.of(), s.on(new Input.AnswerWritten("early", null)), "RUNNING: no answer was asked for");
            s.on(ok("a", 1));
            s.on(ok("b", 1));
            assertEquals(List.of(), s.on(new Input.AnswerWritten("late", null)), "SUCCEEDED without answering: none was asked for");
        }

        @Test
        void anAnswerCutOffByACrashIsAskedAgainAtRecovery() {
            Script s = withWriter();
            s.submit(CHAIN, "{}", "{\"answer\": true}");
            s.on(ok("a", 1));
            s.on(ok("b", 1));
            assertEquals(List.of("WriteAnswer a,b"), s.crash().owed(), "the answer in flight is asked again");
            s.on(new Input.AnswerWritten("Done.", null));
            assertEquals(List.of(), s.crash().owed(), "a written answer owes nothing");
        }

        @Test
        void anAnswerCutOffByACrashOnAServerWithNoModelNowFails() {
            Script s = withWriter();
            s.submit(CHAIN, "{}", "{\"answer\": true}");
            s.on(ok("a", 1));
            s.on(ok("b", 1));
            Script without = new Script(tools(), OrchestratorOptions.builder().maxConcurrentCalls(8).build());
            RunState replayed = RunState.replay(s.run.id(), s.events());
            assertEquals(List.of("AnswerFailed model_not_configured"), without.owedOf(replayed));
        }
    }
}
