package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tasks that finish the moment they start (zero-length waits) make the scheduler's work
 * re-enter itself; a long chain of them must run without deep recursion.
 */
@Timeout(60)
class LongPlanTest {
    private static final int TASKS = 10_000;

    private Vertx vertx;
    private Orchestrator orchestrator;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        orchestrator = Orchestrator.start(vertx, Journals.open("memory", Path.of(".")), tools, OrchestratorOptions.defaults())
                .await(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        orchestrator.close();
        vertx.close().await(10, TimeUnit.SECONDS);
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
        String runId = orchestrator.submit(new RunRequest("a long chain", null, plan, null, null, null))
                .await(30, TimeUnit.SECONDS).runId();
        JsonNode run = orchestrator.whenFinished(runId).await(30, TimeUnit.SECONDS);
        assertEquals("SUCCEEDED", run.path("status").asText());
        int succeeded = 0;
        for (JsonNode task : run.path("plan").path("tasks")) if (task.path("status").asText().equals("SUCCEEDED")) succeeded++;
        assertEquals(TASKS, succeeded);
    }
}
