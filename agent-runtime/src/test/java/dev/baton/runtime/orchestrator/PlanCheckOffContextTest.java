package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.testing.OrchestratorHarness;
import io.vertx.core.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Checking a plan of the largest size takes a long while; it happens off the context that every
 * run shares, so that an unrelated small run does not wait for it.
 */
@Timeout(120)
class PlanCheckOffContextTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;

    @BeforeEach
    void start() {
        orchestrator = harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults());
    }

    /** The most tasks a plan may have: one gated echo, the rest waiting on it (nothing runs). */
    private static JsonNode biggestPlan() {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        tasks.addObject().put("id", "gate").put("tool", "echo").put("approval", "required").putObject("args").put("step", "gate");
        for (int i = 1; i < 25_000; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("tool", "echo");
            task.putObject("args").put("i", i).put("text", "${gate.output.step}");
            task.putArray("dependsOn").add("gate");
        }
        return plan;
    }

    private JsonNode smallRun() throws Exception {
        JsonNode plan = Json.parse("{\"tasks\": [{\"id\": \"e\", \"tool\": \"echo\", \"args\": {\"x\": 1}}]}");
        String runId = orchestrator.submit(new RunRequest("small", null, plan, null, null, null)).await(60, TimeUnit.SECONDS).runId();
        return orchestrator.whenFinished(runId).await(60, TimeUnit.SECONDS);
    }

    @Test
    void aSmallRunFinishesWhileABigPlanIsBeingChecked() throws Exception {
        JsonNode big = biggestPlan();
        orchestrator.checkPlan(big).await(60, TimeUnit.SECONDS); // warm up
        smallRun();

        Future<Submitted> submitted = orchestrator.submit(new RunRequest("big", null, big, null, null, null));
        assertEquals("SUCCEEDED", smallRun().path("status").asText());
        assertFalse(submitted.isComplete(), "the small run waited until the big plan was accepted");
        submitted.await(60, TimeUnit.SECONDS);

        Future<Void> checked = orchestrator.checkPlan(big);
        assertEquals("SUCCEEDED", smallRun().path("status").asText());
        assertFalse(checked.isComplete(), "the small run waited until the big plan was checked");
        checked.await(60, TimeUnit.SECONDS);
    }
}
