package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs posted with a goal only: the orchestrator's side of planning, with deterministic planners. */
@Timeout(30)
class PlanningTest {
    private Vertx vertx;
    private Orchestrator orchestrator;

    private void start(GoalPlanner planner) throws Exception {
        vertx = Vertx.vertx();
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        orchestrator = Orchestrator.start(vertx, Journals.open("memory", Path.of(".")), tools,
                OrchestratorOptions.builder().planner(planner).build()).await(10, TimeUnit.SECONDS);
    }

    private static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (orchestrator != null) orchestrator.close();
        if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
    }

    private Submitted submitGoal(String goal, JsonNode options) throws Exception {
        return orchestrator.submit(new RunRequest(goal, Json.object().put("name", "Ada"), null, options, null, null))
                .await(10, TimeUnit.SECONDS);
    }

    @Test
    void aGoalIsPlannedThenRun() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json(
                "{\"tasks\": [{\"id\": \"hello\", \"tool\": \"echo\", \"args\": {\"to\": \"${input.name}\", \"goal\": \"" + request.goal() + "\"}}]}"),
                "test-planner"));
        Submitted submitted = submitGoal("greet Ada", null);
        JsonNode run = orchestrator.whenFinished(submitted.runId()).await(10, TimeUnit.SECONDS);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals("test-planner", run.path("plan").path("source").asText());
        JsonNode hello = run.path("plan").path("tasks").get(0);
        assertEquals("Ada", hello.path("output").path("to").asText());
        assertEquals("greet Ada", hello.path("output").path("goal").asText());
    }

    @Test
    void theRunIsPlanningUntilThePlannerAnswers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        start(request -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new GoalPlanner.ProposedPlan(json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"), "slow");
        });
        Submitted submitted = submitGoal("slow planning", null);
        assertEquals("PLANNING", submitted.run().path("status").asText(), "the answer does not wait for the planner");
        release.countDown();
        assertEquals("SUCCEEDED", orchestrator.whenFinished(submitted.runId()).await(10, TimeUnit.SECONDS).path("status").asText());
    }

    @Test
    void aPlannerThatCannotPlanFailsTheRunWithItsMessage() throws Exception {
        start(request -> {
            throw new PlanningException("no_playbook_matched", "no playbook is close enough to the goal");
        });
        JsonNode run = orchestrator.whenFinished(submitGoal("write a poem", null).runId()).await(10, TimeUnit.SECONDS);
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("no_playbook_matched", run.path("error").path("code").asText());
    }

    @Test
    void aPlannersInvalidPlanIsCaughtByTheValidator() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json(
                "{\"tasks\": [{\"id\": \"a\", \"tool\": \"no.such.tool\", \"args\": {}}]}"), "careless"));
        JsonNode run = orchestrator.whenFinished(submitGoal("anything", null).runId()).await(10, TimeUnit.SECONDS);
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("plan_invalid", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("no.such.tool"), run.path("error").toString());
    }

    @Test
    void withPlanApprovalTheProposedPlanWaitsForAPerson() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"), "p"));
        Submitted submitted = submitGoal("needs a look", Json.object().put("planApproval", true));
        String runId = submitted.runId();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!orchestrator.run(runId).await(10, TimeUnit.SECONDS).path("status").asText().equals("AWAITING_PLAN_APPROVAL")) {
            assertTrue(System.nanoTime() < deadline, "the run never reached AWAITING_PLAN_APPROVAL");
            Thread.sleep(10);
        }
        orchestrator.decidePlan(runId, true, "reviewer", null, null).await(10, TimeUnit.SECONDS);
        assertEquals("SUCCEEDED", orchestrator.whenFinished(runId).await(10, TimeUnit.SECONDS).path("status").asText());
    }
}
