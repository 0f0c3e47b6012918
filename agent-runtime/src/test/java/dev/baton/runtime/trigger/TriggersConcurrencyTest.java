package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
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
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void twoSchedulersFireEachTimeOnce() throws Exception {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        MemoryJournal journal = new MemoryJournal();
        Orchestrator orchestrator = Orchestrator.start(vertx, journal, tools, OrchestratorOptions.defaults()).await(30, TimeUnit.SECONDS);
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((fromA.size() < 4 || fromB.size() < 4) && System.nanoTime() < deadline) Thread.sleep(20);
        a.close();
        b.close();
        assertTrue(fromA.size() >= 4 && fromB.size() >= 4, "both fired: " + fromA.size() + ", " + fromB.size());

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
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int runs;
        Set<Long> times;
        do {
            Thread.sleep(20);
            times = new java.util.HashSet<>();
            for (Triggers.Firing f : fromA) times.add(f.scheduledAtMs());
            for (Triggers.Firing f : fromB) times.add(f.scheduledAtMs());
            runs = journal.runs(new RunQuery(null, 500, null)).runs().size();
        } while (runs != times.size() && System.nanoTime() < settle);
        assertEquals(times.size(), runs, "runs " + runs + " for " + times.size() + " firing times; threads " + threads);
        orchestrator.close();
    }
}
