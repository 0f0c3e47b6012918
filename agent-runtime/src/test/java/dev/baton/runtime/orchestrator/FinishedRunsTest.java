package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.baton.runtime.testing.OrchestratorHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A finished run leaves memory once its events are durable (see {@link RunCache}): a node that has
 * run many tickets holds only the runs that still work or wait, not thousands of finished ones whose
 * task results the GC would copy at every young collection. A finished run is still read whole, from
 * the journal, and one that waits for a person stays in memory.
 */
class FinishedRunsTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();

    @TempDir
    Path dir;

    private static final String TWO_CALLS = """
            {"tasks": [{"id": "a", "tool": "count", "args": {}}, {"id": "b", "tool": "count", "args": {}, "dependsOn": ["a"]}]}""";
    private static final String GATED = """
            {"tasks": [{"id": "gate", "tool": "count", "args": {}, "approval": "required"}]}""";

    @Test
    void finishedRunsLeaveMemoryAndAreStillReadWholeWhileAWaitingRunStays() {
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("count", (args, context) -> Json.object().put("task", context.taskId())));
        Orchestrator orchestrator = harness.start(Journals.open("", dir), tools, OrchestratorOptions.builder().shards(2).build());

        String gated = harness.submit(GATED);
        harness.awaitTask(gated, "gate", "WAITING_APPROVAL");
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 20; i++) runs.add(harness.submit(TWO_CALLS));
        for (String runId : runs) assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());

        Await.until("only the run waiting for approval is left in memory (20 finished runs dropped)",
                () -> orchestrator.metrics().runsInMemory() == 1);
        for (String runId : runs) {
            JsonNode run = harness.run(runId);
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
            assertEquals("b", OrchestratorHarness.task(run, "b").path("output").path("task").asText(), run.toString());
        }

        await(orchestrator.decide(new ApprovalDecision(gated, "gate", true, "alice", false, null, null)));
        assertEquals("SUCCEEDED", harness.finished(gated).path("status").asText());
        assertEquals("gate", OrchestratorHarness.task(harness.run(gated), "gate").path("output").path("task").asText());
    }
}
