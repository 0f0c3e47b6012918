package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.runtime.planning.ResultWriter;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static dev.baton.runtime.testing.OrchestratorHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replanning, follow-up messages and the final answer: the orchestrator's side, with
 * deterministic planners (RUNNING -> REPLANNING -> RUNNING).
 */
@Timeout(60)
class ReplanningTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    /** Calls of the {@code count} tool, by task id: a kept task must not run again. */
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final CountDownLatch slowRelease = new CountDownLatch(1);

    @AfterEach
    void releaseTools() {
        slowRelease.countDown();
    }

    // ------------------------------------------------------------------ fixtures

    private ToolRegistry tools() {
        ToolRegistry tools = OrchestratorHarness.builtinTools();
        tools.register(tool("count", (args, ctx) -> {
            calls.computeIfAbsent(ctx.taskId(), k -> new AtomicInteger()).incrementAndGet();
            return Json.object().put("task", ctx.taskId()).put("value", args.path("value").asText(""));
        }));
        tools.register(tool("broken", (args, ctx) -> {
            throw ToolException.permanent("http_404", "the upstream answered 404 Not Found");
        }));
        tools.register(tool("slow", (args, ctx) -> {
            calls.computeIfAbsent(ctx.taskId(), k -> new AtomicInteger()).incrementAndGet();
            slowRelease.await(30, TimeUnit.SECONDS);
            return Json.object().put("slow", "done");
        }));
        return tools;
    }

    private static BatonTool tool(String name, LambdaTool.Body body) {
        return LambdaTool.of(name, body);
    }

    /** Plans with a fixed first plan and replans with a function of the request; records the replan requests. */
    static final class ScriptedPlanner implements GoalPlanner {
        final String first;
        final Function<ReplanningRequest, String> replans;
        final List<ReplanningRequest> requests = new CopyOnWriteArrayList<>();

        ScriptedPlanner(String first, Function<ReplanningRequest, String> replans) {
            this.first = first;
            this.replans = replans;
        }

        @Override
        public ProposedPlan plan(PlanningRequest request) {
            return new ProposedPlan(json(first), "scripted");
        }

        @Override
        public boolean canReplan(JsonNode runOptions) {
            return true;
        }

        @Override
        public ProposedPlan replan(ReplanningRequest request) throws PlanningException {
            requests.add(request);
            String answer = replans.apply(request);
            if (answer == null) throw new PlanningException("plan_invalid_after_repairs", "the model could not route around it");
            return new ProposedPlan(json(answer), "scripted");
        }
    }

    private void start(GoalPlanner planner, Function<OrchestratorOptions.Builder, OrchestratorOptions.Builder> more) throws Exception {
        start(planner, more, Journals.open("memory", Path.of(".")));
    }

    private void start(GoalPlanner planner, Function<OrchestratorOptions.Builder, OrchestratorOptions.Builder> more, Journal journal)
            throws Exception {
        orchestrator = harness.start(journal, tools(), more.apply(OrchestratorOptions.builder().planner(planner)).build());
    }

    private String submitGoal(String goal) throws Exception {
        return harness.submit(new RunRequest(goal, Json.object(), null, null, null, null));
    }

    /** A run that asks for an answer ({@code options.answer}): a result writer writes one only then. */
    private String submitGoalWithAnswer(String goal) throws Exception {
        return harness.submit(new RunRequest(goal, Json.object(), null, Json.object().put("answer", true), null, null));
    }

    /** The run once its answer, which follows its success, is written or has failed. */
    private JsonNode answered(String runId) throws Exception {
        harness.finished(runId);
        Await.until("the answer of " + runId, () -> !"WRITING".equals(harness.run(runId).path("answerStatus").asText()));
        return harness.run(runId);
    }

    private JsonNode finished(String runId) throws Exception {
        return harness.finished(runId);
    }

    private static JsonNode task(JsonNode run, String id) {
        return OrchestratorHarness.taskOrNull(run, id);
    }

    private List<String> eventTypes(String runId) throws Exception {
        return harness.eventTypes(runId);
    }

    private int calls(String taskId) {
        AtomicInteger n = calls.get(taskId);
        return n == null ? 0 : n.get();
    }

    static final String FAILING_PLAN = """
            {"tasks": [
              {"id": "a", "tool": "count", "args": {"value": "first"}},
              {"id": "b", "tool": "broken", "args": {}, "dependsOn": ["a"]},
              {"id": "c", "tool": "echo", "args": {"from": "${b.output}"}, "dependsOn": ["b"]}
            ]}""";

    static final String ROUTED_AROUND = """
            {"tasks": [
              {"id": "a", "tool": "count", "args": {"value": "first"}},
              {"id": "b2", "tool": "count", "args": {"value": "${a.output.value}"}, "dependsOn": ["a"]}
            ]}""";

    // ------------------------------------------------------------------ tests

    @Test
    void aTaskThatFailsForGoodIsReplannedAroundAndTheSucceededTaskIsKept() throws Exception {
        ScriptedPlanner planner = new ScriptedPlanner(FAILING_PLAN, request -> ROUTED_AROUND);
        start(planner, b -> b);
        String runId = submitGoal("count twice");
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(2, run.path("plan").path("version").asInt());
        assertEquals(1, calls("a"), "the succeeded task is kept, not redone");
        assertEquals(1, task(run, "a").path("attempts").asInt());
        assertEquals("first", task(run, "b2").path("output").path("value").asText());
        assertNull(task(run, "b"), "the failed part is replaced");

        assertEquals(1, planner.requests.size());
        GoalPlanner.ReplanningRequest request = planner.requests.get(0);
        assertEquals(List.of("a"), request.succeeded().stream().map(GoalPlanner.SucceededTask::id).toList());
        assertEquals("first", request.succeeded().get(0).output().path("value").asText());
        assertEquals(List.of("b"), request.failed().stream().map(GoalPlanner.FailedTask::id).toList());
        assertEquals("http_404", request.failed().get(0).code());
        assertEquals("b", request.previousPlan().path("tasks").get(1).path("id").asText());

        List<String> types = eventTypes(runId);
        int replan = types.indexOf("ReplanStarted");
        assertTrue(replan > 0 && types.subList(replan, types.size()).contains("PlanAccepted"), types.toString());
        assertTrue(types.subList(replan, types.size()).contains("TaskCancelled"), "the dropped task c is cancelled: " + types);
        assertEquals("first", run.path("result").path("outputs").path("b2").path("value").asText());
    }

    @Test
    void whenTheBudgetIsSpentTheRunFailsAndSaysSo() throws Exception {
        String stillBroken = """
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {"value": "first"}},
                  {"id": "b2", "tool": "broken", "args": {}, "dependsOn": ["a"]}
                ]}""";
        ScriptedPlanner planner = new ScriptedPlanner(FAILING_PLAN, request -> stillBroken);
        start(planner, b -> b.maxReplans(1));
        JsonNode run = finished(submitGoal("count twice"));
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals("task_failed", run.path("error").path("code").asText());
        String message = run.path("error").path("message").asText();
        assertTrue(message.contains("b2") && message.contains("no replan left"), message);
        assertEquals(1, planner.requests.size(), "one replan, the budget");
        assertEquals(1, calls("a"));
    }

    @Test
    void aReplanThatFailsSkipsTheDependantsAndFailsTheRunWithTheReason() throws Exception {
        ScriptedPlanner planner = new ScriptedPlanner(FAILING_PLAN, request -> null);
        start(planner, b -> b);
        String runId = submitGoal("count twice");
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText());
        String message = run.path("error").path("message").asText();
        assertTrue(message.contains("task 'b' failed") && message.contains("replanning failed") && message.contains("route around"), message);
        assertEquals("SKIPPED", task(run, "c").path("status").asText());
        assertTrue(eventTypes(runId).contains("ReplanFailed"));
    }

    @Test
    void aNewPlanThatChangesASucceededTaskIsRefused() throws Exception {
        String changesA = """
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {"value": "again"}},
                  {"id": "b2", "tool": "count", "args": {}, "dependsOn": ["a"]}
                ]}""";
        ScriptedPlanner planner = new ScriptedPlanner(FAILING_PLAN, request -> changesA);
        start(planner, b -> b);
        JsonNode run = finished(submitGoal("count twice"));
        assertEquals("FAILED", run.path("status").asText());
        assertTrue(run.path("error").path("message").asText().contains("changes task 'a'"), run.path("error").toString());
        assertEquals(1, calls("a"));
    }

    @Test
    void aRejectionIsFinalAndDoesNotReplan() throws Exception {
        String gated = """
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {}},
                  {"id": "pay", "tool": "echo", "args": {}, "approval": "required", "dependsOn": ["a"]}
                ]}""";
        ScriptedPlanner planner = new ScriptedPlanner(gated, request -> ROUTED_AROUND);
        start(planner, b -> b);
        String runId = submitGoal("pay someone");
        harness.awaitTask(runId, "pay", "WAITING_APPROVAL");
        OrchestratorHarness.await(orchestrator.decide(new ApprovalDecision(runId, "pay", false, "boss", false, "no", null)));
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("task_rejected", run.path("error").path("code").asText());
        assertEquals(0, planner.requests.size());
        assertFalse(eventTypes(runId).contains("ReplanStarted"));
    }

    @Test
    void withoutAReplanningPlannerAFailureSkipsTheDependantsAsBefore() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json(FAILING_PLAN), "fixed"), b -> b);
        String runId = submitGoal("count twice");
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("task 'b' failed: the upstream answered 404 Not Found", run.path("error").path("message").asText());
        assertEquals("SKIPPED", task(run, "c").path("status").asText());
        assertFalse(eventTypes(runId).contains("ReplanStarted"));
        try {
            OrchestratorHarness.await(orchestrator.message(runId, "hello", "op"));
            throw new AssertionError("expected model_not_configured");
        } catch (dev.baton.runtime.BatonException e) {
            assertEquals("model_not_configured", e.code());
        }
    }

    @Test
    void aMessageMidRunReplansOnceTheRunningTaskHasFinished() throws Exception {
        String plan = """
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {"value": "first"}},
                  {"id": "s", "tool": "slow", "args": {}, "dependsOn": ["a"]},
                  {"id": "old", "tool": "count", "args": {}, "dependsOn": ["s"]}
                ]}""";
        String withMessage = """
                {"tasks": [
                  {"id": "a", "tool": "count", "args": {"value": "first"}},
                  {"id": "s", "tool": "slow", "args": {}, "dependsOn": ["a"]},
                  {"id": "extra", "tool": "count", "args": {"value": "in French"}, "dependsOn": ["s"]}
                ]}""";
        // Whether the slow task had been let go when the planner was asked: it must have been, every time.
        List<Boolean> askedAfterRelease = new CopyOnWriteArrayList<>();
        ScriptedPlanner planner = new ScriptedPlanner(plan, request -> {
            askedAfterRelease.add(slowRelease.getCount() == 0);
            return withMessage;
        });
        start(planner, b -> b);
        String runId = submitGoal("do it");
        Await.until("the slow task to start", () -> calls("s") > 0);
        JsonNode answered = OrchestratorHarness.await(orchestrator.message(runId, "also answer in French", "operator"));
        assertEquals("REPLANNING", answered.path("status").asText());
        assertEquals("also answer in French", answered.path("messages").get(0).path("text").asText());
        slowRelease.countDown();
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(List.of(true), askedAfterRelease, "the planner waits for the running task");
        assertEquals(1, planner.requests.size());
        assertEquals(List.of("also answer in French"), planner.requests.get(0).messages());
        assertEquals(List.of("a", "s"), planner.requests.get(0).succeeded().stream().map(GoalPlanner.SucceededTask::id).toList());
        assertEquals(1, calls("a"));
        assertEquals(1, calls("s"));
        assertEquals(0, calls("old"));
        assertEquals(1, calls("extra"));
        assertEquals("operator", run.path("messages").get(0).path("by").asText());
    }

    @Test
    void aMessageToAFinishedRunIsAConflict() throws Exception {
        ScriptedPlanner planner = new ScriptedPlanner(ROUTED_AROUND, request -> ROUTED_AROUND);
        start(planner, b -> b);
        String runId = submitGoal("count");
        finished(runId);
        try {
            OrchestratorHarness.await(orchestrator.message(runId, "more", "op"));
            throw new AssertionError("expected a conflict");
        } catch (dev.baton.runtime.BatonException e) {
            assertEquals(dev.baton.runtime.BatonException.Kind.CONFLICT, e.kind());
        }
    }

    @Test
    void aCrashWhileReplanningIsRecoveredByReplanningAgain(@TempDir Path dir) throws Exception {
        CountDownLatch stuck = new CountDownLatch(1);
        ScriptedPlanner hanging = new ScriptedPlanner(FAILING_PLAN, request -> {
            try {
                stuck.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        start(hanging, b -> b, Journals.open("", dir));
        String runId = submitGoal("count twice");
        harness.awaitStatus(runId, "REPLANNING");
        Await.until("the planner to be asked", () -> !hanging.requests.isEmpty());
        orchestrator.close(); // the "crash": the planner never answered
        stuck.countDown();

        ScriptedPlanner answering = new ScriptedPlanner(FAILING_PLAN, request -> ROUTED_AROUND);
        start(answering, b -> b, Journals.open("", dir));
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(1, answering.requests.size());
        assertEquals(1, calls("a"), "the succeeded task is kept across the restart");
        assertEquals(1, calls("b2"));
        assertEquals(1, eventTypes(runId).stream().filter("ReplanStarted"::equals).count(), "the replan is not counted twice");
    }

    @Test
    void theFinalAnswerIsWrittenIntoTheResult() throws Exception {
        List<ResultWriter.Request> asked = new CopyOnWriteArrayList<>();
        ScriptedPlanner planner = new ScriptedPlanner(ROUTED_AROUND, request -> null);
        start(planner, b -> b.resultWriter(request -> {
            asked.add(request);
            return "Counted 'first' twice [a] [b2].";
        }));
        JsonNode run = answered(submitGoalWithAnswer("count twice"));
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals("Counted 'first' twice [a] [b2].", run.path("result").path("answer").asText());
        assertEquals("first", run.path("result").path("outputs").path("b2").path("value").asText());
        assertEquals(List.of("a", "b2"), List.copyOf(asked.get(0).outputs().keySet()));
        assertEquals("count twice", asked.get(0).goal());
    }

    @Test
    void aFailingAnswerDoesNotFailTheRun() throws Exception {
        ScriptedPlanner planner = new ScriptedPlanner(ROUTED_AROUND, request -> null);
        start(planner, b -> b.resultWriter(request -> {
            throw new IllegalStateException("model down");
        }));
        JsonNode run = answered(submitGoalWithAnswer("count twice"));
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertTrue(run.path("result").path("answerError").asText().contains("model down"), run.path("result").toString());
        assertFalse(run.path("result").has("answer"));
        assertEquals("first", run.path("result").path("outputs").path("b2").path("value").asText());
    }

    @Test
    void aCrashWhileTheAnswerIsWrittenWritesItAgain(@TempDir Path dir) throws Exception {
        CountDownLatch stuck = new CountDownLatch(1);
        AtomicInteger asked = new AtomicInteger();
        ScriptedPlanner planner = new ScriptedPlanner(ROUTED_AROUND, request -> null);
        start(planner, b -> b.resultWriter(request -> {
            asked.incrementAndGet();
            stuck.await(30, TimeUnit.SECONDS);
            return "too late";
        }), Journals.open("", dir));
        String runId = submitGoalWithAnswer("count twice");
        Await.until("the answer to be asked for", () -> asked.get() > 0);
        // The run succeeded when its tasks did; the answer is being written after it.
        assertEquals("SUCCEEDED", harness.run(runId).path("status").asText());
        assertEquals("WRITING", harness.run(runId).path("answerStatus").asText());
        orchestrator.close();
        stuck.countDown();

        start(planner, b -> b.resultWriter(request -> "Counted [b2]."), Journals.open("", dir));
        JsonNode run = answered(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals("Counted [b2].", run.path("result").path("answer").asText());
        assertEquals(1, calls("b2"), "the tasks are not run again");
    }
}
