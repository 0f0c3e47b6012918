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
 * Two schedulers over the same triggers, each on its own Vert.x context (its own thread), both due
 * at the same times: each time is claimed in the store by one of them only, which starts its one
 * run (the idempotency key would dedupe a second submit, but none is made). Before claims (issue 13)
 * both fired every time and the key deduplicated.
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
        Await.until("the two schedulers to fire 8 times together", Duration.ofSeconds(30), () -> fromA.size() + fromB.size(),
                fired -> fired >= 8);
        a.close();
        b.close();

        Map<Long, String> runByTime = new HashMap<>();
        for (Triggers.Firing f : fromA) runByTime.put(f.scheduledAtMs(), f.runId());
        for (Triggers.Firing f : fromB) {
            String other = runByTime.get(f.scheduledAtMs());
            assertTrue(other == null, "both schedulers fired the time " + f.scheduledAtMs() + " (runs " + other + ", " + f.runId() + ")");
        }
        // and the journal holds one run per distinct firing time, no more (a submit still in flight at close may land late)
        Await.until("one run per firing time (runs, firing times; threads " + threads + ")", Duration.ofSeconds(5), () -> {
            Set<Long> times = new java.util.HashSet<>();
            for (Triggers.Firing f : fromA) times.add(f.scheduledAtMs());
            for (Triggers.Firing f : fromB) times.add(f.scheduledAtMs());
            return List.of(journal.runs(new RunQuery(null, 500, null)).runs().size(), times.size());
        }, runsAndTimes -> runsAndTimes.get(0).equals(runsAndTimes.get(1)));
    }
}
