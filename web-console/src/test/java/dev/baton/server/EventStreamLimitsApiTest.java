package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.baton.server.testing.ApiAssert.assertNoStackTrace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The caps on event streams, over HTTP: per client (its token) and in all, a 429 with
 * {@code Retry-After} and a JSON error beyond them, places given back when streams close, and
 * the counts in {@code /metrics}. The server here allows 3 streams per client and 5 in all.
 */
class EventStreamLimitsApiTest {
    static final int PER_CLIENT = 3;
    static final int TOTAL = 5;
    static final Duration T = Duration.ofSeconds(15);
    /** A run that waits an hour: its stream stays open. */
    static final String WAITING = "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}";

    // The in-memory journal: the slow-reader test writes megabytes of events.
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(
            () -> Tokens.config().withDbUrl("memory").withEventStreams(new Config.StreamLimits(PER_CLIENT, TOTAL)));
    static final Api viewer = servers.api().as(Tokens.VIEWER);
    static final Api operator = servers.api().as(Tokens.OPERATOR);
    static final Api approver = servers.api().as(Tokens.APPROVER);
    static final Api admin = servers.api().as(Tokens.ADMIN);
    static String waitingRun;
    final List<Sse> opened = new ArrayList<>();

    @BeforeAll
    static void start() {
        waitingRun = operator.startRun("waits", WAITING).path("id").asText();
    }

    @AfterEach
    void closeStreams() {
        opened.forEach(Sse::close);
        awaitOpenStreams(0);
    }

    private Sse open(Api as, String path) {
        Sse sse = Sse.open(as, path, Map.of(), T);
        opened.add(sse);
        return sse;
    }

    private Sse openOk(Api as, String path) {
        Sse sse = open(as, path);
        assertEquals(200, sse.status(), sse.errorBody());
        return sse;
    }

    private static String runStream() {
        return "/api/runs/" + waitingRun + "/events";
    }

    /** A sample of {@code /metrics}, e.g. {@code baton_event_streams_refused_total{limit="client"}}. */
    static double metric(String sample) {
        return metricOf(admin, sample);
    }

    static double metricOf(Api api, String sample) {
        String text = api.get("/metrics").body();
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) return Double.parseDouble(line.substring(sample.length() + 1).trim());
        }
        throw new AssertionError("no sample " + sample + " in /metrics:\n" + text);
    }

    static void awaitOpenStreams(int n) {
        Api.await(() -> metric("baton_event_streams_open"), open -> open == n, T, n + " event streams open");
    }

    private static void assertTooMany(Sse refused, String scope, int limit, String... fragments) {
        assertEquals(429, refused.status(), "over the cap: " + refused.errorBody());
        assertEquals(String.valueOf(EventStream.RETRY_AFTER_SECONDS), refused.header("Retry-After"), "429 says when to try again");
        assertTrue(refused.header("Content-Type").startsWith("application/json"), refused.header("Content-Type"));
        assertNoStackTrace(refused.errorBody());
        JsonNode error = refused.errorJson().path("error");
        assertEquals("too_many_streams", error.path("code").asText(), refused.errorBody());
        assertEquals(scope, error.path("details").path("scope").asText(), refused.errorBody());
        assertEquals(limit, error.path("details").path("limit").asInt(), refused.errorBody());
        for (String fragment : fragments) assertTrue(error.path("message").asText().contains(fragment), error.toString());
    }

    @Test
    void aClientOverItsCapGets429WhileAnotherClientStillOpensStreams() {
        double refusedBefore = metric("baton_event_streams_refused_total{limit=\"client\"}");
        openOk(viewer, "/api/events");
        openOk(viewer, runStream());
        openOk(viewer, runStream());
        assertTooMany(open(viewer, runStream()), "client", PER_CLIENT, "'vera'", "BATON_MAX_EVENT_STREAMS_PER_CLIENT");
        assertTooMany(open(viewer, "/api/events"), "client", PER_CLIENT);
        // another token is another client
        Sse other = openOk(operator, runStream());
        Sse otherAll = openOk(operator, "/api/events");
        assertEquals(5, metric("baton_event_streams_open"));
        assertEquals(refusedBefore + 2, metric("baton_event_streams_refused_total{limit=\"client\"}"));

        // the refused client's streams still work, and so do the other's: a run's events reach all of them
        String runId = operator.startRun("seen by all", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        for (Sse sse : List.of(opened.get(0), otherAll)) {
            sse.readUntil(e -> e.runId().equals(runId) && e.type().equals("RunSucceeded"), T);
        }
        assertEquals("RunCreated", other.next(T).type(), "the other client's run stream replays");
    }

    @Test
    void theServerWideCapRefusesEveryClientOnceReached() {
        double refusedBefore = metric("baton_event_streams_refused_total{limit=\"total\"}");
        for (int i = 0; i < PER_CLIENT; i++) openOk(viewer, runStream());
        openOk(operator, runStream());
        openOk(operator, "/api/events");
        assertTooMany(open(approver, "/api/events"), "total", TOTAL, "BATON_MAX_EVENT_STREAMS");
        assertEquals(refusedBefore + 1, metric("baton_event_streams_refused_total{limit=\"total\"}"));
        assertEquals(TOTAL, metric("baton_event_streams_open"));
        // one closes: a place is free for anyone
        opened.get(0).close();
        awaitOpenStreams(TOTAL - 1);
        openOk(approver, "/api/events");
    }

    @Test
    void closingAStreamGivesItsPlaceBack() {
        List<Sse> mine = new ArrayList<>();
        for (int i = 0; i < PER_CLIENT; i++) mine.add(openOk(viewer, i == 0 ? "/api/events" : runStream()));
        assertEquals(429, open(viewer, runStream()).status());
        mine.get(0).close(); // the client leaves the all-runs stream
        mine.get(1).close(); // and a run's stream
        awaitOpenStreams(PER_CLIENT - 2);
        mine.add(openOk(viewer, runStream()));
        mine.add(openOk(viewer, "/api/events"));
        assertEquals(429, open(viewer, "/api/events").status());
        // again and again: nothing leaks
        for (int round = 0; round < 10; round++) {
            mine.remove(mine.size() - 1).close();
            awaitOpenStreams(PER_CLIENT - 1);
            mine.add(openOk(viewer, round % 2 == 0 ? runStream() : "/api/events"));
            assertEquals(429, open(viewer, runStream()).status(), "round " + round);
        }
    }

    @Test
    void aStreamThatEndsWithItsRunGivesItsPlaceBack() {
        String done = operator.startRun("quick", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        operator.awaitRunStatus(done, "SUCCEEDED");
        for (int i = 0; i < PER_CLIENT * 3; i++) {
            try (Sse sse = openOk(viewer, "/api/runs/" + done + "/events")) {
                List<Sse.Event> events = sse.readToEnd(T);
                assertEquals("RunSucceeded", events.get(events.size() - 1).type());
            }
            awaitOpenStreams(0);
        }
        // a stream of an unknown run is a 404 and takes no place either
        for (int i = 0; i < PER_CLIENT + 1; i++) {
            Sse missing = open(viewer, "/api/runs/r_nope/events");
            assertEquals(404, missing.status(), missing.errorBody());
        }
        awaitOpenStreams(0);
    }

    /**
     * A client that opens a stream and stops reading is disconnected once the server's send
     * queue is full (it would resume with Last-Event-ID), rather than having events pile up in
     * the server's memory; its place is given back.
     */
    @Test
    void aClientThatStopsReadingIsCutAndItsPlaceGivenBack() throws Exception {
        double cutBefore = metric("baton_event_streams_cut_total");
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", servers.server().port()), 5_000);
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Tokens.VIEWER + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = new byte[12];
            assertEquals(12, in.readNBytes(head, 0, 12));
            assertEquals("HTTP/1.1 200", new String(head, StandardCharsets.US_ASCII));
            awaitOpenStreams(1);
            // Runs of 8 tasks with 200 KB of arguments each (about 5 MB of events apiece) until the server gives up on the reader.
            String big = "x".repeat(200 * 1024);
            StringBuilder tasks = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                tasks.append(i == 0 ? "" : ", ").append("{\"id\": \"big").append(i).append("\", \"tool\": \"echo\", \"args\": {\"blob\": \"")
                        .append(big).append("\"}}");
            }
            String plan = "{\"tasks\": [" + tasks + "]}";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int runs = 0;
            while (metric("baton_event_streams_cut_total") == cutBefore) {
                assertTrue(System.nanoTime() < deadline, "the reader was not cut after " + runs + " runs of ~5 MB of events");
                String id = operator.startRun("big " + runs, plan).path("id").asText();
                operator.awaitRunStatus(id, "SUCCEEDED");
                runs++;
            }
            awaitOpenStreams(0);
            // More runs: none of it goes to the reader any more.
            for (int i = 0; i < 3; i++) operator.awaitRunStatus(operator.startRun("after " + i, plan).path("id").asText(), "SUCCEEDED");
            // What the client finds once it reads again: what reached its socket before the cut, then the end of the connection.
            byte[] buffer = new byte[1 << 16];
            long read = 0;
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) read += n;
            } catch (IOException reset) {
                // a reset is an end as well
            }
            // Socket buffers (a few MB here), the server's bound on unsent bytes (256 KB) and one write (a run's events) at most;
            // (runs + 3) x ~6 MB were written to the other streams meanwhile.
            assertTrue(read < 20L * 1024 * 1024, "the server kept sending to a reader that did not read: " + read + " bytes read after "
                    + (runs + 3) + " runs");
        }
    }
}
