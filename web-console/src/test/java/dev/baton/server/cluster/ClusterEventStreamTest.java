package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.Sse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run's event stream (API.md: {@code GET /api/runs/{id}/events}) opened on a node that does not
 * own the run shows every event of the run exactly once, in order, also when the owner is killed
 * mid-run and another node takes the run over; reconnecting with {@code Last-Event-ID} on a third
 * node resumes after that event, without repeats. The journal is the reference: the streams must
 * show exactly its seqs.
 */
class ClusterEventStreamTest {
    private static final Duration AWAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-event-stream");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStreamOnAnotherNodeShowsEveryEventOnceAcrossTheOwnersDeath() {
        Cluster cluster = Cluster.start(servers, 3, List.of());
        cluster.awaitMembers(3);

        // Steps before and after a timer: events come before the kill, while the run is taken over, and after.
        String plan = """
                {"tasks": [
                  {"id": "a", "tool": "echo", "args": {"step": "a"}},
                  {"id": "b", "tool": "echo", "args": {"step": "b"}, "dependsOn": ["a"]},
                  {"id": "pause", "wait": "PT6S", "dependsOn": ["b"]},
                  {"id": "c", "tool": "echo", "args": {"step": "c"}, "dependsOn": ["pause"]},
                  {"id": "d", "tool": "echo", "args": {"step": "d"}, "dependsOn": ["c"]}
                ]}""";
        String runId = cluster.node(2).api().startRun("streamed across nodes", plan).path("id").asText();
        ServerProcess owner = Api.await(() -> cluster.owner(runId), o -> o != null, AWAIT, "run " + runId + " to have an owner");
        long ownerEpoch = Cluster.epoch(owner);
        List<ServerProcess> others = cluster.liveExcept(owner);
        ServerProcess watcher = others.get(0);
        ServerProcess third = others.get(1);
        String path = "/api/runs/" + runId + "/events";

        try (Sse whole = Sse.open(watcher.api(), path, Map.of(), Duration.ofSeconds(10));
             Sse half = Sse.open(watcher.api(), path, Map.of(), Duration.ofSeconds(10))) {
            assertEquals(200, whole.status(), whole.errorBody());
            // Up to the timer: the run is parked on it when its owner dies.
            List<Sse.Event> beforeKill = whole.readUntil(e -> "pause".equals(e.taskId()) && e.type().equals("TaskStarted"), AWAIT);
            List<Sse.Event> firstHalf = half.readUntil(e -> "pause".equals(e.taskId()) && e.type().equals("TaskStarted"), AWAIT);
            half.close();

            ClusterTakeoverTest.say("killing the owner " + cluster.name(owner) + " after " + beforeKill.size() + " events; streaming on "
                    + cluster.name(watcher) + ", resuming on " + cluster.name(third));
            owner.kill();

            List<Sse.Event> all = new ArrayList<>(beforeKill);
            all.addAll(whole.readToEnd(AWAIT));
            String lastId = firstHalf.get(firstHalf.size() - 1).id();
            List<Sse.Event> secondHalf;
            try (Sse resumed = Sse.open(third.api(), path, Map.of("Last-Event-ID", lastId), Duration.ofSeconds(10))) {
                assertEquals(200, resumed.status(), resumed.errorBody());
                secondHalf = resumed.readToEnd(AWAIT);
            }

            JsonNode done = third.api().run(runId);
            assertEquals("SUCCEEDED", done.path("status").asText(), () -> done + cluster.logTails());
            assertNotEquals(Long.valueOf(ownerEpoch), cluster.ownerEpoch(runId), "the run was taken over");
            List<Long> journal = cluster.journalSeqs(runId);
            Cluster.assertGapFree(journal, "the journal of " + runId);

            assertEquals(journal, seqs(all), "the stream on a node that never owned the run shows every event once, in order");
            for (Sse.Event e : all) assertEquals(Long.toString(e.seq()), e.id(), "an event's SSE id is its seq: " + e);
            assertEquals("RunSucceeded", all.get(all.size() - 1).type());

            List<Long> stitched = new ArrayList<>(seqs(firstHalf));
            stitched.addAll(seqs(secondHalf));
            assertTrue(!secondHalf.isEmpty() && secondHalf.get(0).seq() == Long.parseLong(lastId) + 1,
                    "resumed right after Last-Event-ID " + lastId + ": " + seqs(secondHalf));
            assertEquals(journal, stitched, "a stream resumed on a third node with Last-Event-ID: nothing missing, nothing twice");
        }
    }

    private static List<Long> seqs(List<Sse.Event> events) {
        return events.stream().map(Sse.Event::seq).toList();
    }
}
