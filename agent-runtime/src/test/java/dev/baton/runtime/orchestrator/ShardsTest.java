package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.baton.runtime.testing.OrchestratorHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs spread over several shards (Vert.x contexts) behave as on one: the node's bound on calls
 * in flight holds across shards and a freed slot wakes a task waiting on another shard; one
 * idempotency key gives one run however many shards see it at once; every run finishes and can
 * be read, cancelled and recovered whichever shard it lives on.
 */
class ShardsTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();

    private static final String TWO_CALLS = """
            {"tasks": [{"id": "a", "tool": "count", "args": {}}, {"id": "b", "tool": "count", "args": {}, "dependsOn": ["a"]}]}""";

    @Test
    void theBoundOnCallsHoldsAcrossShardsAndAFreedSlotWakesAnotherShard() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("count", (args, context) -> {
            int now = running.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            Thread.sleep(5); // long enough for calls of other shards' runs to overlap, if the bound let them
            running.decrementAndGet();
            return Json.object().put("task", context.taskId());
        }));
        Orchestrator orchestrator = harness.start(tools, OrchestratorOptions.builder().shards(4).maxConcurrentCalls(2).build());
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 40; i++) runs.add(harness.submit(TWO_CALLS));
        for (String runId : runs) {
            JsonNode run = harness.finished(runId);
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        }
        assertTrue(most.get() <= 2 + 3, "at most the bound, and one call more per other shard for a moment: " + most.get());
        assertEquals(0, orchestrator.metrics().callsInFlight());
        assertEquals(0, orchestrator.metrics().readyQueueDepth());
        Set<Integer> shardsUsed = new HashSet<>();
        for (String runId : runs) shardsUsed.add(Math.floorMod(runId.hashCode(), 4));
        assertEquals(4, shardsUsed.size(), "40 runs landed on every shard: " + shardsUsed);
    }

    @Test
    void oneIdempotencyKeyGivesOneRunThoughItsRequestsComeAtOnce() {
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("count", (args, context) -> Json.object()));
        Orchestrator orchestrator = harness.start(tools, OrchestratorOptions.builder().shards(4).build());
        // Many keys, each asked 20 times at once: a run made durable while another request for its
        // key was reading the journal must still be found (the in-memory journal is durable at once).
        for (int k = 0; k < 25; k++) {
            String key = "key-" + k;
            List<Future<Submitted>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(orchestrator.submit(new RunRequest("same", Json.object(), OrchestratorHarness.json(TWO_CALLS), null, key, "h")));
            }
            Set<String> ids = new HashSet<>();
            int created = 0;
            for (Future<Submitted> answer : answers) {
                Submitted submitted = await(answer);
                ids.add(submitted.runId());
                if (!submitted.replayed()) created++;
            }
            assertEquals(1, ids.size(), "one run for " + key + ": " + ids);
            assertEquals(1, created, key);
        }
    }

    @Test
    void runsOnEveryShardAreRecoveredAfterARestart(@org.junit.jupiter.api.io.TempDir Path dir) {
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("count", (args, context) -> Json.object()));
        OrchestratorOptions options = OrchestratorOptions.builder().shards(3).build();
        harness.start(Journals.open("", dir), tools, options);
        List<String> runs = new ArrayList<>();
        String gated = """
                {"tasks": [{"id": "gate", "tool": "count", "args": {}, "approval": "required"}]}""";
        for (int i = 0; i < 12; i++) runs.add(harness.submit(gated));
        for (String runId : runs) harness.awaitTask(runId, "gate", "WAITING_APPROVAL");
        Orchestrator again = harness.restart(Journals.open("", dir), tools, options);
        for (String runId : runs) {
            await(again.decide(new ApprovalDecision(runId, "gate", true, "alice", false, null, null)));
            assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());
        }
    }
}
