package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.PlanningException;
import dev.baton.runtime.testing.OrchestratorHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.baton.runtime.testing.OrchestratorHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs posted with a goal only: the orchestrator's side of planning, with deterministic planners. */
@Timeout(30)
class PlanningTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;

    private void start(GoalPlanner planner) {
        orchestrator = harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.builder().planner(planner).build());
    }

    private Submitted submitGoal(String goal, JsonNode options) {
        return harness.submitted(new RunRequest(goal, Json.object().put("name", "Ada"), null, options, null, null));
    }

    @Test
    void aGoalIsPlannedThenRun() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json(
                "{\"tasks\": [{\"id\": \"hello\", \"tool\": \"echo\", \"args\": {\"to\": \"${input.name}\", \"goal\": \"" + request.goal() + "\"}}]}"),
                "test-planner"));
        Submitted submitted = submitGoal("greet Ada", null);
        JsonNode run = harness.finished(submitted.runId());
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
        assertEquals("SUCCEEDED", harness.finished(submitted.runId()).path("status").asText());
    }

    @Test
    void aPlannerThatCannotPlanFailsTheRunWithItsMessage() throws Exception {
        start(request -> {
            throw new PlanningException("no_playbook_matched", "no playbook is close enough to the goal");
        });
        JsonNode run = harness.finished(submitGoal("write a poem", null).runId());
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("no_playbook_matched", run.path("error").path("code").asText());
    }

    @Test
    void aPlannersInvalidPlanIsCaughtByTheValidator() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json(
                "{\"tasks\": [{\"id\": \"a\", \"tool\": \"no.such.tool\", \"args\": {}}]}"), "careless"));
        JsonNode run = harness.finished(submitGoal("anything", null).runId());
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("plan_invalid", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("no.such.tool"), run.path("error").toString());
    }

    @Test
    void withPlanApprovalTheProposedPlanWaitsForAPerson() throws Exception {
        start(request -> new GoalPlanner.ProposedPlan(json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"), "p"));
        Submitted submitted = submitGoal("needs a look", Json.object().put("planApproval", true));
        String runId = submitted.runId();
        harness.awaitStatus(runId, "AWAITING_PLAN_APPROVAL");
        OrchestratorHarness.await(orchestrator.decidePlan(runId, true, "reviewer", null, null));
        assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());
    }
}
