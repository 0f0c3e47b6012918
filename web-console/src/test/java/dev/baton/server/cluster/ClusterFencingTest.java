package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.UpstreamCalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node stopped with SIGSTOP past its lease (a long GC pause, a frozen VM) while its runs wait on
 * timers: the others take its runs over and finish them; resumed with SIGCONT, it is fenced: it
 * writes nothing more for those runs (their journal is what it was when they finished elsewhere,
 * seqs without gap or repeat), no upstream call is made again under a new key, its
 * {@code /api/health} answers 503 and then 200 once it has rejoined with a new epoch.
 */
class ClusterFencingTest {
    private static final Duration TIMER = Duration.ofSeconds(6);
    private static final Duration AWAIT = Duration.ofSeconds(40);
    /** The log line CLUSTER-CONTRACT.md promises, "this node lost its lease ... rejoining with a new epoch", however worded in between. */
    private static final Pattern LOST_LEASE = Pattern.compile("this node\\b.*\\blost its (cluster )?lease");

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance().options(options().dynamicPort().bindAddress("127.0.0.1")).build();

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-fencing");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aNodeStoppedPastItsLeaseIsFencedWritesNothingAndRejoinsWithANewEpoch() {
        upstream.stubFor(post(urlPathMatching("/fenced/\\d+")).willReturn(aResponse().withBody("{\"ok\": true}")));
        Cluster cluster = Cluster.start(servers, 3, List.of());
        cluster.awaitMembers(3);

        Map<String, Integer> runs = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            // Most on node-2, the one to be stopped; one elsewhere, as a control.
            ServerProcess node = i < 3 ? cluster.node(2) : cluster.node(3);
            runs.put(node.api().startRun("fenced " + i, plan(i)).path("id").asText(), i);
        }
        for (String runId : runs.keySet()) {
            cluster.node(1).api().awaitRun(runId, run -> Api.task(run, "timer").path("status").asText().equals("RUNNING"), AWAIT);
        }
        String first = runs.keySet().iterator().next();
        ServerProcess victim = cluster.owner(first);
        assertTrue(victim != null, "run " + first + " has a live owner");
        long oldEpoch = Cluster.epoch(victim);
        List<String> orphans = new ArrayList<>();
        for (String runId : runs.keySet()) if (Long.valueOf(oldEpoch).equals(cluster.ownerEpoch(runId))) orphans.add(runId);
        ClusterTakeoverTest.say("stopping " + cluster.name(victim) + " (pid " + victim.pid() + ", epoch " + oldEpoch + "), owner of " + orphans);
        victim.suspend();
        Instant stopped = Instant.now();

        // Taken over and finished elsewhere while it sleeps.
        Map<String, List<String>> journalAtFinish = new LinkedHashMap<>();
        for (String runId : runs.keySet()) {
            ServerProcess reader = cluster.live().get(0);
            JsonNode done = reader.api().awaitRun(runId, run -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(run.path("status").asText()),
                    Duration.ofSeconds(60));
            assertEquals("SUCCEEDED", done.path("status").asText(), () -> "run " + runId + ": " + done + cluster.logTails());
            journalAtFinish.put(runId, cluster.journalTypes(runId));
        }
        for (String runId : orphans) {
            Long owner = cluster.ownerEpoch(runId);
            assertTrue(owner != null && owner != oldEpoch, "run " + runId + " changed owner while its owner was stopped: " + owner);
        }
        Duration asleep = Duration.between(stopped, Instant.now());
        assertTrue(asleep.compareTo(Cluster.LEASE) > 0, "stopped past its lease: " + asleep);

        ClusterTakeoverTest.say("resuming " + cluster.name(victim) + " after " + asleep.toMillis() + " ms");
        victim.resume();
        // Its health says 503 until it has rejoined, then 200.
        List<Integer> healths = new ArrayList<>();
        Api.await(() -> {
            int status = victim.api().get("/api/health").status();
            if (healths.isEmpty() || healths.get(healths.size() - 1) != status) healths.add(status);
            return status;
        }, status -> status == 200 && healths.contains(503), Cluster.TAKEOVER, "the resumed node to answer 503, then 200; seen " + healths);
        assertEquals(List.of(503, 200), healths, "the resumed node's /api/health: 503 until it rejoined, then 200");
        assertTrue(LOST_LEASE.matcher(victim.logText()).find(), "the resumed node says it lost its lease:\n" + victim.logTail());

        long newEpoch = Cluster.epoch(victim);
        assertTrue(newEpoch > oldEpoch, "it rejoined with a new epoch: " + oldEpoch + " -> " + newEpoch);
        cluster.awaitMembers(3);
        Map<Long, String> states = nodeStates(cluster.dbUrl());
        assertEquals("ALIVE", states.get(newEpoch), "baton_nodes: " + states);
        assertFalse("ALIVE".equals(states.get(oldEpoch)), "its old epoch is not alive any more: " + states);

        // It wrote nothing for the runs it lost: each journal is as it was when the run finished elsewhere.
        for (String runId : runs.keySet()) {
            List<Long> seqs = cluster.journalSeqs(runId);
            Cluster.assertGapFree(seqs, "run " + runId);
            assertEquals(journalAtFinish.get(runId), cluster.journalTypes(runId), "run " + runId + "'s journal after the stopped node woke up");
            assertEquals(1, cluster.journalTypes(runId).stream().filter("RunSucceeded"::equals).count());
        }
        // No call was made again, under the same key or a new one.
        var calls = UpstreamCalls.byKey(UpstreamCalls.of(upstream, "/fenced/"));
        UpstreamCalls.assertOnceEach(calls, "/fenced");
        assertEquals(runs.size(), calls.size(), "one key per run: " + calls.keySet());
        calls.forEach((key, list) -> assertEquals(1, list.size(), "key " + key + " called once: " + list));
    }

    /** Each node row's state by epoch ({@code baton_nodes}, CLUSTER-CONTRACT.md). */
    static Map<Long, String> nodeStates(String dbUrl) {
        Map<Long, String> states = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch, state FROM baton_nodes ORDER BY epoch")) {
            while (rs.next()) states.put(rs.getLong(1), rs.getString(2));
        } catch (SQLException e) {
            throw new AssertionError("reading baton_nodes: " + e.getMessage(), e);
        }
        return states;
    }

    private static String plan(int i) {
        return """
                {"tasks": [
                  {"id": "timer", "wait": "%s"},
                  {"id": "call", "tool": "http.request", "args": {"method": "POST", "url": "http://127.0.0.1:%d/fenced/%d", "body": {"run": %d}},
                   "dependsOn": ["timer"]}
                ]}""".formatted(TIMER, upstream.getPort(), i, i);
    }
}
