package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.OrchestratorHarness;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two schedulers over the same triggers, each on its own Vert.x context (its own thread), fire
 * the same schedule at the same times: every firing still starts one run, because both submit
 * it under the same idempotency key.
 */
class TriggersConcurrencyTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();

    @Test
    void twoSchedulersFireEachTimeOnce() throws Exception {
        MemoryJournal journal = new MemoryJournal();
        Orchestrator orchestrator = harness.start(journal, OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults());
        Vertx vertx = harness.vertx();
        MemoryTriggerStore store = new MemoryTriggerStore();
        Triggers a = Triggers.start(vertx, orchestrator, store, null, orchestrator.options().clock()).await(10, TimeUnit.SECONDS);
        ObjectNode body = Json.object();
        body.put("name", "twice");
        body.put("goal", "fire");
        body.putObject("schedule").put("every", "PT1S");
        body.set("plan", Json.parse("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        a.create(body).await(10, TimeUnit.SECONDS);
        Triggers b = Triggers.start(vertx, orchestrator, store, null, orchestrator.options().clock()).await(10, TimeUnit.SECONDS);

        ConcurrentLinkedQueue<Triggers.Firing> fromA = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Triggers.Firing> fromB = new ConcurrentLinkedQueue<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        a.onFiring(f -> {
            threads.add("a:" + Thread.currentThread().getName());
            fromA.add(f);
        });
        b.onFiring(f -> {
            threads.add("b:" + Thread.currentThread().getName());
            fromB.add(f);
        });
        Await.until("both schedulers to fire 4 times", Duration.ofSeconds(30), () -> List.of(fromA.size(), fromB.size()),
                fired -> fired.get(0) >= 4 && fired.get(1) >= 4);
        a.close();
        b.close();

        Map<Long, String> runByTime = new HashMap<>();
        for (Triggers.Firing f : fromA) runByTime.put(f.scheduledAtMs(), f.runId());
        int compared = 0;
        for (Triggers.Firing f : fromB) {
            String other = runByTime.get(f.scheduledAtMs());
            if (other != null) {
                assertEquals(other, f.runId(), "the same firing started two runs at " + f.scheduledAtMs());
                compared++;
            }
        }
        assertTrue(compared >= 3, "firings seen by both: " + compared);
        // and the journal holds one run per distinct firing time, no more (a submit still in flight at close may land late)
        Await.until("one run per firing time (runs, firing times; threads " + threads + ")", Duration.ofSeconds(5), () -> {
            Set<Long> times = new java.util.HashSet<>();
            for (Triggers.Firing f : fromA) times.add(f.scheduledAtMs());
            for (Triggers.Firing f : fromB) times.add(f.scheduledAtMs());
            return List.of(journal.runs(new RunQuery(null, 500, null)).runs().size(), times.size());
        }, runsAndTimes -> runsAndTimes.get(0).equals(runsAndTimes.get(1)));
    }
}
