package dev.baton.server;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server-sent events: a run's stream (replay, live, resume, end) and the all-runs live stream. */
class EventStreamApiTest {
    /** echo, then a 0.8 s timer, then echo: long enough to watch it live. */
    static final String SLOW_PLAN = """
            {"tasks": [
              {"id": "a", "tool": "echo", "args": {"x": 1}},
              {"id": "pause", "wait": "PT0.8S", "dependsOn": ["a"]},
              {"id": "b", "tool": "echo", "args": {"y": "${a.output.x}"}, "dependsOn": ["pause"]}
            ]}""";
    static final Duration T = Duration.ofSeconds(15);

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    private static Sse open(String path, Map<String, String> headers) {
        Sse sse = Sse.open(api, path, headers, Duration.ofSeconds(10));
        assertEquals(200, sse.status(), sse.errorBody());
        return sse;
    }

    private static void assertFrames(List<Sse.Event> events, String runId, long firstSeq) {
        for (int i = 0; i < events.size(); i++) {
            Sse.Event e = events.get(i);
            assertEquals(firstSeq + i, e.seq(), "seq increases by one: " + events);
            assertEquals(String.valueOf(e.seq()), e.id(), "the SSE id is the seq");
            assertEquals(e.data().path("type").asText(), e.type(), "the SSE event name is the type");
            assertEquals(runId, e.runId());
            assertNotNull(e.data().path("at").textValue());
            assertTrue(e.data().path("data").isObject(), e.data().toString());
        }
    }

    @Test
    void aRunsStreamDeliversLiveEventsAndClosesAfterTheRunSucceeds() {
        String runId = api.startRun("live", SLOW_PLAN).path("id").asText();
        try (Sse sse = open("/api/runs/" + runId + "/events", Map.of())) {
            assertTrue(sse.header("Content-Type").startsWith("text/event-stream"), sse.header("Content-Type"));
            List<Sse.Event> early = sse.readUntil(e -> e.type().equals("TaskStarted") && "pause".equals(e.taskId()), T);
            assertEquals("RunCreated", early.get(0).type());
            assertEquals("RUNNING", api.run(runId).path("status").asText(),
                    "the stream delivered the timer's start while the run was still running");
            List<Sse.Event> rest = sse.readToEnd(T);
            assertFalse(rest.isEmpty(), "more events followed live");
            assertEquals("RunSucceeded", rest.get(rest.size() - 1).type(), "the stream ends with the run: " + rest);
            assertTrue(rest.stream().anyMatch(e -> e.type().equals("TaskSucceeded") && "b".equals(e.taskId())));
            List<Sse.Event> all = new java.util.ArrayList<>(early);
            all.addAll(rest);
            assertFrames(all, runId, 1);
            assertEquals(api.run(runId).path("lastSeq").asLong(), all.get(all.size() - 1).seq(), "every event was delivered");
        }
    }

    @Test
    void lastEventIdResumesExactlyAfterThatSeq() {
        String runId = api.startRun("resume", SLOW_PLAN).path("id").asText();
        List<Sse.Event> all;
        try (Sse sse = open("/api/runs/" + runId + "/events", Map.of())) {
            all = sse.readToEnd(T);
        }
        assertFrames(all, runId, 1);
        long last = all.get(all.size() - 1).seq();

        for (long after : new long[]{1, 3, last - 1}) {
            try (Sse sse = open("/api/runs/" + runId + "/events", Map.of("Last-Event-ID", String.valueOf(after)))) {
                List<Sse.Event> resumed = sse.readToEnd(T);
                assertEquals(last - after, resumed.size(), "after " + after + ": " + resumed);
                assertFrames(resumed, runId, after + 1);
                assertEquals(all.subList((int) after, all.size()).stream().map(Sse.Event::data).toList(),
                        resumed.stream().map(Sse.Event::data).toList(), "the same events as the first time");
            }
        }
        try (Sse sse = open("/api/runs/" + runId + "/events?lastEventId=2", Map.of())) {
            assertEquals(3, sse.readToEnd(T).get(0).seq(), "the lastEventId parameter works like the header");
        }
        try (Sse sse = open("/api/runs/" + runId + "/events", Map.of("Last-Event-ID", String.valueOf(last)))) {
            assertTrue(sse.readToEnd(T).isEmpty(), "resuming after the last event of a finished run: nothing, and the stream closes");
        }
    }

    @Test
    void resumingARunningRunContinuesLive() {
        String runId = api.startRun("resume live", SLOW_PLAN).path("id").asText();
        long seen;
        try (Sse sse = open("/api/runs/" + runId + "/events", Map.of())) {
            List<Sse.Event> first = sse.readUntil(e -> e.type().equals("TaskStarted") && "pause".equals(e.taskId()), T);
            seen = first.get(first.size() - 1).seq();
        }
        // the client dropped; it comes back with the last id it saw
        try (Sse sse = open("/api/runs/" + runId + "/events", Map.of("Last-Event-ID", String.valueOf(seen)))) {
            List<Sse.Event> rest = sse.readToEnd(T);
            assertFrames(rest, runId, seen + 1);
            assertEquals("RunSucceeded", rest.get(rest.size() - 1).type());
        }
    }

    @Test
    void theAllRunsStreamDeliversEventsOfARunStartedAfterConnecting() {
        String earlier = api.startRun("before connecting", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        api.awaitRunStatus(earlier, "SUCCEEDED");
        try (Sse sse = open("/api/events", Map.of())) {
            assertTrue(sse.header("Content-Type").startsWith("text/event-stream"));
            String runId = api.startRun("after connecting", SLOW_PLAN).path("id").asText();
            List<Sse.Event> events = sse.readUntil(e -> e.runId().equals(runId) && e.type().equals("RunSucceeded"), T);
            List<Sse.Event> ofRun = events.stream().filter(e -> e.runId().equals(runId)).toList();
            assertEquals("RunCreated", ofRun.get(0).type(), "the stream had subscribed before the run was created");
            assertFrames(ofRun, runId, 1);
            assertTrue(events.stream().noneMatch(e -> e.runId().equals(earlier)), "live only: no replay of runs that finished before");
        }
    }
}
