package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.runtime.metrics.Meters;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live metrics: {@code /metrics} read by a strict parser of the Prometheus text format
 * (families, types, label escapes, histogram buckets), with per-tool histograms, retries,
 * failures and approvals that follow the runs this test made; and the dashboard's JSON.
 */
class LiveMetricsApiTest {
    static WireMockServer upstream;
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterAll
    static void stop() {
        if (upstream != null) upstream.stop();
    }

    // ---------------------------------------------------------------- a strict parser

    /** One sample: its name, its labels (unescaped), its value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String key() {
            return name + new TreeMap<>(labels);
        }
    }

    /** Parses the whole exposition, failing on anything the format does not allow. */
    static Map<String, Sample> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) throw new AssertionError("the text format ends with a newline");
        Map<String, Sample> samples = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> closed = new HashSet<>();
        String family = null;
        Map<String, List<Sample>> histograms = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) continue;
            String where = "line " + lineNo + " '" + line + "': ";
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ", 2);
                String name = parts[0];
                if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) throw new AssertionError(where + "bad metric name");
                if (closed.contains(name)) throw new AssertionError(where + "the family appeared before: its lines must be together");
                if (family != null && !family.equals(name)) closed.add(family);
                family = name;
                if (line.startsWith("# HELP ")) {
                    if (!helped.add(name)) throw new AssertionError(where + "a second HELP");
                    if (parts.length < 2) throw new AssertionError(where + "HELP without text");
                    for (int k = 0; k < parts[1].length(); k++) {
                        if (parts[1].charAt(k) != '\\') continue;
                        if (k + 1 >= parts[1].length() || (parts[1].charAt(k + 1) != '\\' && parts[1].charAt(k + 1) != 'n')) {
                            throw new AssertionError(where + "HELP escapes only \\\\ and \\n");
                        }
                        k++;
                    }
                } else {
                    if (types.containsKey(name)) throw new AssertionError(where + "a second TYPE");
                    if (parts.length < 2 || !Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[1])) {
                        throw new AssertionError(where + "unknown type");
                    }
                    types.put(name, parts[1]);
                }
                continue;
            }
            if (line.startsWith("#")) throw new AssertionError(where + "a comment that is neither HELP nor TYPE");
            Sample s = sample(line, where);
            String type = family == null ? null : types.get(family);
            if (type == null) throw new AssertionError(where + "a sample before its family's TYPE");
            if (type.equals("histogram")) {
                if (!Set.of(family + "_bucket", family + "_sum", family + "_count").contains(s.name())) {
                    throw new AssertionError(where + "not a sample of histogram " + family);
                }
                Map<String, String> series = new TreeMap<>(s.labels());
                series.remove("le");
                histograms.computeIfAbsent(family + series, k -> new ArrayList<>()).add(s);
            } else if (type.equals("summary")) {
                if (!Set.of(family, family + "_sum", family + "_count").contains(s.name())) {
                    throw new AssertionError(where + "not a sample of summary " + family);
                }
                if (s.name().equals(family) && !s.labels().containsKey("quantile")) throw new AssertionError(where + "a summary sample without quantile");
            } else if (!s.name().equals(family)) {
                throw new AssertionError(where + "not a sample of " + family);
            }
            if (type.equals("counter") && s.value() < 0) throw new AssertionError(where + "a negative counter");
            if (samples.put(s.key(), s) != null) throw new AssertionError(where + "a repeated sample");
        }
        histograms.forEach(LiveMetricsApiTest::checkHistogram);
        return samples;
    }

    private static void checkHistogram(String series, List<Sample> samples) {
        double lastLe = Double.NEGATIVE_INFINITY;
        double lastCount = 0;
        Double inf = null;
        Double count = null;
        boolean sum = false;
        for (Sample s : samples) {
            if (s.name().endsWith("_bucket")) {
                String le = s.labels().get("le");
                if (le == null) throw new AssertionError(series + ": a bucket without le");
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                if (!(bound > lastLe)) throw new AssertionError(series + ": le must increase");
                if (s.value() < lastCount) throw new AssertionError(series + ": buckets are cumulative");
                lastLe = bound;
                lastCount = s.value();
                if (bound == Double.POSITIVE_INFINITY) inf = s.value();
            } else if (s.name().endsWith("_count")) {
                count = s.value();
            } else {
                sum = true;
            }
        }
        if (inf == null || count == null || !sum) throw new AssertionError(series + ": needs a +Inf bucket, _sum and _count");
        assertEquals(inf, count, series + ": the +Inf bucket equals _count");
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) i++;
        String name = line.substring(0, i);
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) throw new AssertionError(where + "bad sample name");
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf("=\"", i);
                if (eq < 0) throw new AssertionError(where + "a label without =\"");
                String label = line.substring(i, eq);
                if (!label.matches("[a-zA-Z_][a-zA-Z0-9_]*")) throw new AssertionError(where + "bad label name '" + label + "'");
                i = eq + 2;
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (i >= line.length()) throw new AssertionError(where + "an unterminated label value");
                    char c = line.charAt(i++);
                    if (c == '"') break;
                    if (c == '\\') {
                        char e = line.charAt(i++);
                        if (e == '\\') value.append('\\');
                        else if (e == '"') value.append('"');
                        else if (e == 'n') value.append('\n');
                        else throw new AssertionError(where + "a bad escape \\" + e);
                    } else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) throw new AssertionError(where + "a repeated label");
                if (line.charAt(i) == ',') i++;
                else if (line.charAt(i) != '}') throw new AssertionError(where + "labels are separated by commas");
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') throw new AssertionError(where + "a space before the value");
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length > 2) throw new AssertionError(where + "value and an optional timestamp only");
        double value;
        if (rest[0].equals("+Inf")) value = Double.POSITIVE_INFINITY;
        else if (rest[0].equals("-Inf")) value = Double.NEGATIVE_INFINITY;
        else if (rest[0].equals("NaN")) value = Double.NaN;
        else if (rest[0].matches("-?[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?")) value = Double.parseDouble(rest[0]);
        else throw new AssertionError(where + "not a number: " + rest[0]);
        if (rest.length == 2 && !rest[1].matches("-?[0-9]+")) throw new AssertionError(where + "a bad timestamp");
        return new Sample(name, labels, value);
    }

    static Map<String, Sample> scrape() {
        Api.Response r = api.get("/metrics");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("text/plain; version=0.0.4"), r.header("Content-Type"));
        return parse(r.body());
    }

    static double value(Map<String, Sample> samples, String name, String... labels) {
        Map<String, String> l = new TreeMap<>();
        for (int i = 0; i + 1 < labels.length; i += 2) l.put(labels[i], labels[i + 1]);
        Sample s = samples.get(name + l);
        return s == null ? 0 : s.value();
    }

    // ---------------------------------------------------------------- tests

    @Test
    void theParserRefusesWhatTheFormatDoesNotAllow() {
        assertThrows(AssertionError.class, () -> parse("x 1\n"), "a sample without TYPE");
        assertThrows(AssertionError.class, () -> parse("# TYPE x counter\nx{a=\"b\\q\"} 1\n"), "a bad escape");
        assertThrows(AssertionError.class, () -> parse("# TYPE x counter\nx 1\nx 2\n"), "a repeated sample");
        assertThrows(AssertionError.class, () -> parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
        assertThrows(AssertionError.class, () -> parse("# TYPE x counter\nx 1"), "no final newline");
        assertThrows(AssertionError.class, () -> parse("# TYPE s summary\ns_bucket{le=\"1\"} 1\n"), "a summary has no buckets");
        assertEquals(2, parse("# TYPE s summary\ns_count 2\ns_sum 0.5\n").size(), "a summary's _count and _sum");
    }

    @Test
    void labelValuesAreEscapedAndHistogramsWellFormed() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String nasty = "a \"quoted\" back\\slash\nnewline";
        Counter.builder("t").description("help with a \\ and a\nnewline").tag("name", nasty).register(registry).increment(3);
        Timer h = Meters.timer(registry, "h", "durations", "name", nasty);
        h.record(Duration.ofMillis(3));
        h.record(Duration.ofMillis(200));
        h.record(Duration.ofSeconds(120));
        String text = registry.scrape();
        Map<String, Sample> samples = parse(text);
        assertEquals(3, value(samples, "t_total", "name", nasty), text);
        assertEquals(3, value(samples, "h_seconds_count", "name", nasty), text);
        assertEquals(1, value(samples, "h_seconds_bucket", "name", nasty, "le", "0.005"), text);
        assertEquals(2, value(samples, "h_seconds_bucket", "name", nasty, "le", "60.0"), text);
        assertEquals(3, value(samples, "h_seconds_bucket", "name", nasty, "le", "+Inf"), text);
        assertEquals(120.203, value(samples, "h_seconds_sum", "name", nasty), 1e-9);
        registry.close();
    }

    @Test
    void countersAndHistogramsFollowTheRunsThisTestMade() {
        Map<String, Sample> before = scrape();
        int runs = 3;
        for (int i = 0; i < runs; i++) {
            String id = api.startRun("live " + i, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}},"
                    + " {\"id\": \"b\", \"tool\": \"echo\", \"args\": {}, \"dependsOn\": [\"a\"]}]}").path("id").asText();
            api.awaitRunStatus(id, "SUCCEEDED");
        }
        // a flaky upstream: one failed call, retried, then one that succeeds
        upstream.stubFor(get(urlEqualTo("/flaky")).inScenario("f").whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        upstream.stubFor(get(urlEqualTo("/flaky")).inScenario("f").whenScenarioStateIs("up").willReturn(aResponse().withBody("ok")));
        String flaky = api.startRun("flaky", """
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"url": "http://127.0.0.1:%d/flaky"},
                            "retry": {"maxAttempts": 3, "backoff": "PT0.05S"}}]}""".formatted(upstream.port())).path("id").asText();
        api.awaitRunStatus(flaky, "SUCCEEDED");
        // a run that fails for good
        upstream.stubFor(get(urlEqualTo("/gone")).willReturn(aResponse().withStatus(404)));
        String failed = api.startRun("gone", """
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"url": "http://127.0.0.1:%d/gone"}}]}"""
                .formatted(upstream.port())).path("id").asText();
        api.awaitRunStatus(failed, "FAILED");
        // a run waiting for a person
        String waiting = api.startRun("wait", "{\"tasks\": [{\"id\": \"g\", \"title\": \"Sign it\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"}]}")
                .path("id").asText();
        api.awaitTaskStatus(waiting, "g", "WAITING_APPROVAL");

        Map<String, Sample> after = Api.await(LiveMetricsApiTest::scrape,
                m -> value(m, "baton_runs_finished_total", "status", "FAILED") >= value(before, "baton_runs_finished_total", "status", "FAILED") + 1
                        && value(m, "baton_approvals_oldest_wait_seconds") > 0,
                Duration.ofSeconds(10), "the counters to catch up");
        assertEquals(value(before, "baton_runs_started_total") + runs + 3, value(after, "baton_runs_started_total"));
        assertEquals(value(before, "baton_runs_finished_total", "status", "SUCCEEDED") + runs + 1,
                value(after, "baton_runs_finished_total", "status", "SUCCEEDED"));
        assertEquals(value(before, "baton_runs_finished_total", "status", "FAILED") + 1, value(after, "baton_runs_finished_total", "status", "FAILED"));
        assertEquals(value(before, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo") + 2 * runs,
                value(after, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo"));
        assertEquals(value(before, "baton_task_duration_seconds_count", "kind", "tool", "name", "http.request") + 3,
                value(after, "baton_task_duration_seconds_count", "kind", "tool", "name", "http.request"), "3 calls: 503, 200, 404");
        assertEquals(value(before, "baton_task_call_failures_total", "kind", "tool", "name", "http.request") + 2,
                value(after, "baton_task_call_failures_total", "kind", "tool", "name", "http.request"));
        assertEquals(value(before, "baton_task_call_failures_total", "kind", "tool", "name", "echo"),
                value(after, "baton_task_call_failures_total", "kind", "tool", "name", "echo"));
        assertEquals(value(before, "baton_task_retries_total") + 1, value(after, "baton_task_retries_total"));
        assertEquals(value(before, "baton_tasks_failed_total") + 1, value(after, "baton_tasks_failed_total"));
        assertTrue(value(after, "baton_task_duration_seconds_sum", "kind", "tool", "name", "echo") > 0);
        assertTrue(value(after, "baton_approvals_waiting") >= 1);
        assertTrue(value(after, "baton_journal_commit_seconds_count") > value(before, "baton_journal_commit_seconds_count"));
        assertEquals(value(after, "baton_journal_batches_total"), value(after, "baton_journal_commit_seconds_count"),
                "one latency observation per committed batch");
        assertEquals(value(after, "baton_journal_events_total"), value(after, "baton_journal_batch_events_sum"),
                "the batch sizes add up to the events written");
        assertEquals(0, value(after, "baton_ready_queue_depth"));

        JsonNode summary = api.get("/api/metrics/summary").json();
        JsonNode echo = null;
        for (JsonNode row : summary.path("calls")) if (row.path("name").asText().equals("echo")) echo = row;
        assertTrue(echo != null, summary.toString());
        assertEquals((long) value(after, "baton_task_duration_seconds_count", "kind", "tool", "name", "echo"), echo.path("calls").asLong());
        boolean listed = false;
        for (JsonNode a : summary.path("approvals").path("oldest")) listed |= a.path("runId").asText().equals(waiting);
        assertTrue(listed, "the waiting approval is among the oldest: " + summary.path("approvals"));
        api.post("/api/runs/" + waiting + "/cancel", "{}");
    }
}
