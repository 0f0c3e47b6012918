package dev.baton.server;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** GET /metrics: the Prometheus text format, with counters that follow what the server did. */
class MetricsApiTest {
    /** {@code name{labels} value}: labels as {@code key="value"} pairs; the value a Prometheus float. */
    static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*)?})?"
                    + " (-?(?:[0-9]+(?:\\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|NaN|\\+Inf|-Inf))( -?[0-9]+)?");
    static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    /** Every sample, keyed by name plus labels, checking the format line by line. */
    static Map<String, Double> scrape() {
        return scrapeFrom(api);
    }

    /** {@link #scrape()} from another server. */
    static Map<String, Double> scrapeFrom(Api api) {
        Api.Response response = api.get("/metrics");
        assertEquals(200, response.status(), response.body());
        assertTrue(response.header("Content-Type").startsWith("text/plain"), response.header("Content-Type"));
        assertTrue(response.header("Content-Type").contains("version=0.0.4"), response.header("Content-Type"));
        assertTrue(response.body().endsWith("\n"), "the text format ends with a newline");
        Map<String, Double> samples = new LinkedHashMap<>();
        Set<String> typed = new HashSet<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("#")) {
                Matcher type = TYPE.matcher(line);
                if (type.matches()) {
                    assertTrue(typed.add(type.group(1)), "one TYPE line per metric: " + line);
                } else if (!line.startsWith("# HELP ")) {
                    fail("a comment is HELP or TYPE: " + line);
                }
                continue;
            }
            if (line.isEmpty()) continue;
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) fail("not a Prometheus sample line: '" + line + "'");
            String family = m.group(1).replaceFirst("_(bucket|sum|count)$", "");
            assertTrue(typed.contains(m.group(1)) || typed.contains(family), "the TYPE of " + m.group(1) + " comes before its samples");
            String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
            assertTrue(samples.put(key, Double.parseDouble(m.group(5))) == null, "no repeated sample: " + key);
        }
        return samples;
    }

    @Test
    void metricsAreValidPrometheusText() {
        Map<String, Double> samples = scrape();
        for (String name : new String[]{"baton_runs_started_total", "baton_task_attempts_total", "baton_calls_in_flight",
                "baton_journal_events_total", "baton_approvals_requested_total"}) {
            assertTrue(samples.containsKey(name), name + " is exported: " + samples.keySet());
        }
        assertTrue(samples.containsKey("baton_runs_finished_total{status=\"SUCCEEDED\"}"), samples.keySet().toString());
        // Baton's own samples; the JVM's say -1 for a memory pool without a maximum (jvm_memory_max_bytes).
        samples.forEach((k, v) -> assertTrue(!k.startsWith("baton_") || v >= 0, k + " is not negative"));
        // no auth on /metrics by default, and no API error format: it is not under /api
        assertEquals(200, api.get("/metrics").status());
    }

    @Test
    void runCountersGrowByTheRunsThisTestMade() {
        Map<String, Double> before = scrape();
        int runs = 3;
        String[] ids = new String[runs];
        for (int i = 0; i < runs; i++) {
            ids[i] = api.startRun("metrics " + i, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}},"
                    + " {\"id\": \"b\", \"tool\": \"echo\", \"args\": {}, \"dependsOn\": [\"a\"]}]}").path("id").asText();
        }
        for (String id : ids) api.awaitRunStatus(id, "SUCCEEDED");
        Map<String, Double> after = Api.await(MetricsApiTest::scrape,
                m -> m.get("baton_runs_finished_total{status=\"SUCCEEDED\"}") >= before.get("baton_runs_finished_total{status=\"SUCCEEDED\"}") + runs,
                Duration.ofSeconds(10), "the finished counter to catch up");
        assertEquals(before.get("baton_runs_started_total") + runs, after.get("baton_runs_started_total"));
        assertEquals(before.get("baton_runs_finished_total{status=\"SUCCEEDED\"}") + runs,
                after.get("baton_runs_finished_total{status=\"SUCCEEDED\"}"));
        assertEquals(before.get("baton_tasks_succeeded_total") + 2 * runs, after.get("baton_tasks_succeeded_total"));
        assertEquals(before.get("baton_task_attempts_total") + 2 * runs, after.get("baton_task_attempts_total"));
        assertTrue(after.get("baton_journal_events_total") > before.get("baton_journal_events_total"));

        // a refused plan starts no run
        assertEquals(400, api.post("/api/runs", "{\"goal\": \"bad\", \"plan\": {\"tasks\": []}}").status());
        assertEquals(after.get("baton_runs_started_total"), scrape().get("baton_runs_started_total"));
    }

    @Test
    void triggerCountersFollowTheFiringsOfASchedule() {
        Map<String, Double> before = scrape();
        assertEquals(0.0, before.get("baton_triggers{state=\"paused\"}"));
        Api.Response created = api.post("/api/triggers", """
                {"name": "metrics-tick", "goal": "tick", "schedule": {"every": "PT1S"},
                 "plan": {"tasks": [{"id": "a", "tool": "echo", "args": {}}]}}""");
        assertEquals(201, created.status(), created.body());
        Api.await(() -> api.get("/api/triggers/metrics-tick").json(), t -> t.path("firings").path("started").asInt() >= 2,
                Duration.ofSeconds(15), "two firings");
        assertEquals(200, api.post("/api/triggers/metrics-tick/pause", "{}").status());
        // A firing in flight at the pause still lands: compare once the API and the metrics agree, and then exactly.
        Map<String, Double> after = Api.await(MetricsApiTest::scrape, m -> m.get("baton_trigger_firings_total{outcome=\"started\"}")
                        - before.get("baton_trigger_firings_total{outcome=\"started\"}")
                        == api.get("/api/triggers/metrics-tick").json().path("firings").path("started").asDouble(),
                Duration.ofSeconds(10), "the firing counter to match the trigger's");
        double started = after.get("baton_trigger_firings_total{outcome=\"started\"}") - before.get("baton_trigger_firings_total{outcome=\"started\"}");
        assertTrue(started >= 2, "started " + started);
        assertEquals(1.0, after.get("baton_triggers{state=\"paused\"}"));
        assertEquals(started, after.get("baton_trigger_start_seconds_count") - before.get("baton_trigger_start_seconds_count"),
                "one start latency per firing that started a run");
        assertTrue(after.get("baton_trigger_dispatch_lateness_seconds_count") - before.get("baton_trigger_dispatch_lateness_seconds_count") >= started,
                "every started firing was taken up by the scheduler first");
        assertEquals(0.0, after.get("baton_trigger_firings_pending"));
        assertEquals(204, api.send(api.request("/api/triggers/metrics-tick").DELETE()).status());
        assertEquals(0.0, scrape().get("baton_triggers{state=\"paused\"}"));
    }
}
