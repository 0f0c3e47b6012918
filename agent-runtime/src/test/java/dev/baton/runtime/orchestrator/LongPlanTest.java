package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.testing.OrchestratorHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tasks that finish the moment they start (zero-length waits) make the scheduler's work
 * re-enter itself; a long chain of them must run without deep recursion.
 */
@Timeout(60)
class LongPlanTest {
    private static final int TASKS = 10_000;

    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();

    @BeforeEach
    void start() {
        harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults());
    }

    @ParameterizedTest(name = "listed {0}")
    @ValueSource(strings = {"in order", "last first"})
    void aChainOfTenThousandInstantTasksRunsToTheEnd(String order) throws Exception {
        ArrayNode tasks = Json.array();
        for (int i = 0; i < TASKS; i++) {
            int index = order.equals("in order") ? i : TASKS - 1 - i;
            ObjectNode task = tasks.addObject().put("id", "t" + index).put("wait", "PT0S");
            if (index > 0) task.putArray("dependsOn").add("t" + (index - 1));
        }
        ObjectNode plan = Json.object();
        plan.set("tasks", tasks);
        String runId = harness.submit(new RunRequest("a long chain", null, plan, null, null, null));
        JsonNode run = harness.finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        int succeeded = 0;
        for (JsonNode task : run.path("plan").path("tasks")) if (task.path("status").asText().equals("SUCCEEDED")) succeeded++;
        assertEquals(TASKS, succeeded);
    }
}
