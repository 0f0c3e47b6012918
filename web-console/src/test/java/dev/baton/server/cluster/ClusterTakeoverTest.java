package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.UpstreamCalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node killed with {@code kill -9} while its runs wait on a timer (the retry backoff after an
 * upstream 503) and on an approval: the surviving nodes take its runs over (the approval still
 * waits, the timer fires), approvals are decided on nodes that do not own the run, every run
 * succeeds, and the upstream answers each idempotency key with success exactly once.
 */
class ClusterTakeoverTest {
    private static final int RUNS_PER_NODE = 2;
    /** The retry backoff after the 503: long enough to still be pending when the node dies and its lease lapses. */
    private static final Duration BACKOFF = Duration.ofSeconds(8);
    private static final Duration AWAIT = Duration.ofSeconds(40);

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance().options(options().dynamicPort().bindAddress("127.0.0.1")).build();

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-takeover");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aKilledNodesRunsAreTakenOverAndEveryUpstreamCallIsMadeOnce() {
        Cluster cluster = Cluster.start(servers, 3, List.of());
        cluster.awaitMembers(3);

        // Run i: /flaky/i answers 503 once (the task waits out its backoff), then 200; /after/i once the gate is approved.
        Map<String, Integer> runs = new LinkedHashMap<>();
        int i = 0;
        for (ServerProcess node : cluster.live()) {
            for (int k = 0; k < RUNS_PER_NODE; k++, i++) {
                stubFlaky(i);
                runs.put(node.api().startRun("takeover " + i, plan(i)).path("id").asText(), i);
            }
        }
        upstream.stubFor(post(urlPathMatching("/after/\\d+")).willReturn(aResponse().withBody("{\"ok\": true}")));

        // Every run waits: on its retry timer (after one 503) and on its approval.
        for (String runId : runs.keySet()) {
            cluster.node(1).api().awaitRun(runId, run -> status(run, "flaky").equals("RETRY_WAIT")
                    && status(run, "gate").equals("WAITING_APPROVAL"), AWAIT);
        }
        String first = runs.keySet().iterator().next();
        ServerProcess victim = cluster.owner(first);
        assertTrue(victim != null, "run " + first + " has a live owner");
        long victimEpoch = Cluster.epoch(victim);
        List<String> orphans = new ArrayList<>();
        for (String runId : runs.keySet()) if (Long.valueOf(victimEpoch).equals(cluster.ownerEpoch(runId))) orphans.add(runId);
        say(cluster.name(victim) + " (epoch " + victimEpoch + ") owns " + orphans + "; killing it");
        victim.kill();
        Instant killed = Instant.now();

        // The survivors take its runs over: a live node owns each, and its approval still waits.
        for (String runId : orphans) {
            Api.await(() -> cluster.owner(runId), owner -> owner != null, Cluster.TAKEOVER,
                    "a surviving node to own run " + runId);
            JsonNode run = cluster.live().get(0).api().run(runId);
            assertEquals("WAITING_APPROVAL", status(run, "gate"), "the approval still waits after the takeover: " + run);
            assertEquals("RUNNING", run.path("status").asText(), run.toString());
        }
        say("every run of the dead node taken over within " + Duration.between(killed, Instant.now()).toMillis() + " ms");

        // Decided on a node that does not own the run: the command is forwarded to the owner.
        for (String runId : runs.keySet()) {
            ServerProcess owner = cluster.owner(runId);
            ServerProcess elsewhere = cluster.notOwner(runId);
            Api.Response decided = elsewhere.api().post("/api/runs/" + runId + "/tasks/gate/approval",
                    Json.object().put("decision", "approve").put("comment", "from " + cluster.name(elsewhere)));
            assertEquals(200, decided.status(), "approving " + runId + " (owned by " + cluster.name(owner) + ") on "
                    + cluster.name(elsewhere) + ": " + decided.body());
            assertEquals("APPROVED", decided.json().path("approval").path("status").asText(), decided.body());
        }

        for (String runId : runs.keySet()) {
            ServerProcess reader = cluster.live().get(0);
            JsonNode done = reader.api().awaitRun(runId, run -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(run.path("status").asText()),
                    AWAIT);
            assertEquals("SUCCEEDED", done.path("status").asText(), () -> "run " + runId + ": " + done + cluster.logTails());
            assertEquals(2, Api.task(done, "flaky").path("attempts").asInt(), "one 503, one retry: " + done);
            List<Long> seqs = cluster.journalSeqs(runId);
            Cluster.assertGapFree(seqs, "run " + runId);
            List<String> types = cluster.journalTypes(runId);
            assertEquals(1, types.stream().filter("ApprovalDecided"::equals).count(), "decided once: " + types);
            assertEquals("RunSucceeded", types.get(types.size() - 1), types.toString());
        }

        // Exactly once per idempotency key: the 503 and its retry share the task's key; /after is called once.
        var flaky = UpstreamCalls.byKey(UpstreamCalls.of(upstream, "/flaky/"));
        var after = UpstreamCalls.byKey(UpstreamCalls.of(upstream, "/after/"));
        UpstreamCalls.assertOnceEach(flaky, "/flaky");
        UpstreamCalls.assertOnceEach(after, "/after");
        assertEquals(runs.size(), flaky.size(), "one key per run's flaky task: " + flaky.keySet());
        assertEquals(runs.size(), after.size(), "one key per run's after task: " + after.keySet());
        flaky.forEach((key, calls) -> assertEquals(List.of(503, 200), calls.stream().map(UpstreamCalls.Call::status).toList(),
                "key " + key + ": one 503, then one success, nothing repeated: " + calls));
        after.forEach((key, calls) -> assertEquals(1, calls.size(), "key " + key + " was called once: " + calls));
        for (String runId : runs.keySet()) {
            assertTrue(flaky.keySet().stream().anyMatch(k -> k.contains(runId)), "the run's key names it: " + flaky.keySet());
        }
        assertFalse(victim.isAlive());
    }

    private static void stubFlaky(int i) {
        String scenario = "flaky-" + i;
        upstream.stubFor(get(urlPathEqualTo("/flaky/" + i)).inScenario(scenario).whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("recovered").willReturn(aResponse().withStatus(503).withBody("busy")));
        upstream.stubFor(get(urlPathEqualTo("/flaky/" + i)).inScenario(scenario).whenScenarioStateIs("recovered")
                .willReturn(aResponse().withBody("{\"ok\": true}")));
    }

    private static String plan(int i) {
        String base = "http://127.0.0.1:" + upstream.getPort();
        return """
                {"tasks": [
                  {"id": "flaky", "tool": "http.request", "args": {"method": "GET", "url": "%s/flaky/%d"},
                   "retry": {"maxAttempts": 3, "backoff": "%s"}},
                  {"id": "gate", "tool": "echo", "args": {"run": %d}, "approval": "required"},
                  {"id": "after", "tool": "http.request", "args": {"method": "POST", "url": "%s/after/%d", "body": {"run": %d}},
                   "dependsOn": ["flaky", "gate"]}
                ]}""".formatted(base, i, BACKOFF, i, base, i, i);
    }

    static String status(JsonNode run, String task) {
        return Api.task(run, task).path("status").asText();
    }

    static void say(String what) {
        System.out.println(Instant.now() + " " + what);
    }
}
