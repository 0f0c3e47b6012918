package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A schedule every second on a three-node cluster (API.md Triggers) fires each due time exactly
 * once across the nodes (the due time is claimed in the database), and goes on firing each one
 * once when the node that fired is killed: nothing twice, nothing left out (catch-up "all", so a
 * due time the dead node had claimed is fired by another, late, rather than skipped).
 */
class ClusterTriggersTest {
    private static final Duration AWAIT = Duration.ofSeconds(40);

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-triggers");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aScheduleFiresEachDueTimeOnceAcrossNodesAlsoWhileOneDies() {
        Cluster cluster = Cluster.start(servers, 3, List.of());
        cluster.awaitMembers(3);
        ObjectNode trigger = Json.object();
        trigger.put("name", "every-second");
        trigger.put("goal", "tick");
        trigger.putObject("schedule").put("every", "PT1S").put("catchUp", "all").put("overlap", "allow");
        trigger.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"tick\", \"tool\": \"echo\", \"args\": {\"tick\": true}}]}"));
        Api.Response created = cluster.node(1).api().post("/api/triggers", trigger);
        assertEquals(201, created.status(), created.body());

        List<JsonNode> before = Api.await(() -> TriggerRuns.of(cluster.node(2).api(), "every-second"), runs -> runs.size() >= 3, AWAIT,
                "three firings");
        // Kill the node that fired last (it owns the run it started), or node 1 if that is not known.
        String lastRun = before.get(before.size() - 1).path("id").asText();
        ServerProcess victim = cluster.owner(lastRun);
        if (victim == null) victim = cluster.node(1);
        ClusterTakeoverTest.say("killing " + cluster.name(victim) + " after " + before.size() + " firings");
        victim.kill();
        Instant killed = Instant.now();
        ServerProcess reader = cluster.live().get(0);
        // Firing goes on: due times well after the dead node's lease lapsed fire.
        Instant goneBy = killed.plus(Cluster.LEASE.multipliedBy(2)).plusSeconds(3);
        Api.await(() -> TriggerRuns.of(reader.api(), "every-second"),
                runs -> runs.stream().anyMatch(r -> TriggerRuns.firing(r).isAfter(goneBy)), AWAIT,
                "the schedule to fire after " + goneBy);
        Api.Response paused = cluster.node(1).isAlive() ? cluster.node(1).api().post("/api/triggers/every-second/pause", null)
                : reader.api().post("/api/triggers/every-second/pause", null);
        assertEquals(200, paused.status(), paused.body());
        Instant pausedAt = Instant.now();

        List<JsonNode> runs = TriggerRuns.of(reader.api(), "every-second");
        Map<Instant, List<String>> byDueTime = new TreeMap<>();
        for (JsonNode run : runs) byDueTime.computeIfAbsent(TriggerRuns.firing(run), t -> new ArrayList<>()).add(run.path("id").asText());
        byDueTime.forEach((at, ids) -> assertEquals(1, ids.size(), "the due time " + at + " fired " + ids.size() + " times: " + ids));

        // Every due time from the first until shortly before the pause fired (the last second may be mid-claim at the pause).
        List<Instant> times = new ArrayList<>(byDueTime.keySet());
        Instant cutoff = pausedAt.minusSeconds(2);
        for (int i = 1; i < times.size() && times.get(i).isBefore(cutoff); i++) {
            assertEquals(Duration.ofSeconds(1), Duration.between(times.get(i - 1), times.get(i)),
                    "no due time left out between " + times.get(i - 1) + " and " + times.get(i) + " (killed at " + killed + "): " + times);
        }
        assertTrue(times.size() >= 6, "the schedule fired over the whole test: " + times);
        // Every firing's run, also those the dead node started, ends well.
        for (JsonNode run : runs) {
            reader.api().awaitRun(run.path("id").asText(), r -> r.path("status").asText().equals("SUCCEEDED"), AWAIT);
        }
        // Any node answers for the trigger (API.md, Cluster: every route on every node), paused on all.
        for (ServerProcess node : cluster.live()) {
            Api.Response r = node.api().get("/api/triggers/every-second");
            assertEquals(200, r.status(), cluster.name(node) + ": " + r.body());
            assertTrue(r.json().path("paused").asBoolean(), cluster.name(node) + " knows the trigger is paused: " + r.body());
        }
        // And every node counts all the trigger's runs, whichever node started them (from the journal, not its own memory).
        for (ServerProcess node : cluster.live()) {
            JsonNode counts = Api.await(() -> node.api().get("/api/triggers/every-second").json().path("runs"),
                    c -> c.path("succeeded").asInt() == c.path("started").asInt()
                            && c.path("started").asInt() == TriggerRuns.of(reader.api(), "every-second").size(), AWAIT,
                    cluster.name(node) + " to count every run of the trigger");
            assertTrue(counts.path("started").asInt() >= runs.size(), cluster.name(node) + ": " + counts);
        }
    }
}
