package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.LiveMetricsApiTest.Sample;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} served from the server's Micrometer registry, read by the strict text-format parser of
 * {@link LiveMetricsApiTest}: the JVM's and Vert.x's families come along with Baton's, Baton's counters
 * follow the runs this test made, and the dashboard's summary reads the same registry.
 */
class MicrometerMetricsApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    static Map<String, Sample> scrape() {
        Api.Response r = api.get("/metrics");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("text/plain; version=0.0.4"), r.header("Content-Type"));
        return LiveMetricsApiTest.parse(r.body());
    }

    static Set<String> names(Map<String, Sample> samples) {
        Set<String> names = new TreeSet<>();
        samples.values().forEach(s -> names.add(s.name()));
        return names;
    }

    /** The sum of a family's samples over all label values (e.g. every status of every route). */
    static double total(Map<String, Sample> samples, String name) {
        return samples.values().stream().filter(s -> s.name().equals(name)).mapToDouble(Sample::value).sum();
    }

    @Test
    void jvmVertxAndBatonFamiliesAreExported() {
        api.get("/api/health"); // at least one request answered before the scrape
        Map<String, Sample> samples = scrape();
        Set<String> names = names(samples);
        for (String name : new String[]{
                // the JVM
                "jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "system_cpu_count", "process_uptime_seconds",
                // Vert.x: the HTTP server, its worker pools
                "vertx_http_server_requests_total", "vertx_http_server_response_time_seconds_count", "vertx_http_server_active_connections",
                "vertx_pool_queue_pending", "vertx_pool_in_use",
                // how late a timer fires on each event loop
                "baton_event_loop_delay_seconds",
                // Baton's own, under the names they had before Micrometer
                "baton_runs_started_total", "baton_runs_finished_total", "baton_task_attempts_total", "baton_calls_in_flight",
                "baton_journal_events_total", "baton_journal_commit_seconds_count", "baton_approvals_waiting", "baton_triggers",
                "baton_event_streams_open", "baton_http_rate_limited_total"}) {
            assertTrue(names.contains(name), name + " is exported: " + names);
        }
        assertTrue(LiveMetricsApiTest.value(samples, "jvm_threads_live_threads") > 0);
        long loops = samples.values().stream().filter(s -> s.name().equals("baton_event_loop_delay_seconds")).count();
        assertEquals(new io.vertx.core.VertxOptions().getEventLoopPoolSize(), loops, "one delay gauge per event loop");
    }

    @Test
    void batonCountersMatchTheRunsThisTestMadeAndTheSummaryReadsTheSameRegistry() {
        Map<String, Sample> before = scrape();
        double requestsBefore = total(before, "vertx_http_server_requests_total");
        int runs = 4;
        String[] ids = new String[runs];
        for (int i = 0; i < runs; i++) {
            ids[i] = api.startRun("micrometer " + i, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        }
        for (String id : ids) api.awaitRunStatus(id, "SUCCEEDED");
        Map<String, Sample> after = Api.await(MicrometerMetricsApiTest::scrape,
                m -> LiveMetricsApiTest.value(m, "baton_runs_finished_total", "status", "SUCCEEDED")
                        >= LiveMetricsApiTest.value(before, "baton_runs_finished_total", "status", "SUCCEEDED") + runs,
                Duration.ofSeconds(10), "the finished counter to catch up");
        assertEquals(LiveMetricsApiTest.value(before, "baton_runs_started_total") + runs, LiveMetricsApiTest.value(after, "baton_runs_started_total"));
        assertEquals(LiveMetricsApiTest.value(before, "baton_runs_finished_total", "status", "SUCCEEDED") + runs,
                LiveMetricsApiTest.value(after, "baton_runs_finished_total", "status", "SUCCEEDED"));
        assertEquals(LiveMetricsApiTest.value(before, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo") + runs,
                LiveMetricsApiTest.value(after, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo"));
        // Vert.x counted this test's requests: the runs posted, their polls, the scrapes
        assertTrue(total(after, "vertx_http_server_requests_total") >= requestsBefore + runs + 1,
                requestsBefore + " -> " + total(after, "vertx_http_server_requests_total"));

        JsonNode summary = api.get("/api/metrics/summary").json();
        Map<String, Sample> now = scrape(); // after the summary: nothing ran in between
        assertEquals((long) LiveMetricsApiTest.value(now, "baton_runs_started_total"), summary.path("runs").path("started").asLong(), summary.toString());
        assertEquals((long) LiveMetricsApiTest.value(now, "baton_runs_finished_total", "status", "SUCCEEDED"),
                summary.path("runs").path("finished").path("SUCCEEDED").asLong());
        assertEquals((long) LiveMetricsApiTest.value(now, "baton_task_attempts_total"), summary.path("tasks").path("attempts").asLong());
        assertEquals((long) LiveMetricsApiTest.value(now, "baton_journal_batches_total"), summary.path("journal").path("batches").asLong());
        JsonNode echo = null;
        for (JsonNode row : summary.path("calls")) if (row.path("name").asText().equals("echo")) echo = row;
        assertTrue(echo != null, summary.toString());
        assertEquals((long) LiveMetricsApiTest.value(now, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo"), echo.path("calls").asLong());
        assertEquals(LiveMetricsApiTest.value(now, "baton_task_duration_seconds_sum", "kind", "tool", "name", "echo"),
                echo.path("totalSeconds").asDouble(), 1e-9);
        assertTrue(echo.path("p95Seconds").asDouble() >= echo.path("p50Seconds").asDouble(), echo.toString());
    }
}
