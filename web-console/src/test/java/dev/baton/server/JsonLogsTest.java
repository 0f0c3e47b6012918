package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BATON_LOG_FORMAT=json: a server process's whole output, read line by line, is JSON objects with
 * timestamp, level, logger and message; the lines about a run carry its run_id, and those about
 * one of its tasks the task_id too; a run in a caller's trace carries its trace_id.
 */
class JsonLogsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyLineIsAJsonObjectAndTheLinesAboutARunCarryItsIds() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "json-logs"));
        Path log = dir.resolve("server.log");
        String runId;
        try (ServerProcess server = ServerProcess.start(Files.createTempDirectory(dir, "data"), null, log,
                List.of("--log-format", "json"), List.of(), LoggingToolServer.class)) {
            // The caller's trace (tracing is off in this server: the run still joins it, and its lines say so).
            var request = server.api().request("/api/runs")
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"goal\": \"log a line\", \"plan\": {\"tasks\": [{\"id\": \"say\", \"tool\": \""
                            + LoggingToolServer.TOOL + "\", \"args\": {\"x\": 1}}]}}"));
            Api.Response created = server.api().send(request);
            assertEquals(201, created.status(), created.body());
            runId = created.json().path("id").asText();
            server.api().awaitRunStatus(runId, "SUCCEEDED");
            // A clean stop (SIGTERM): the shutdown's lines are JSON too.
            ProcessHandle process = ProcessHandle.of(server.pid()).orElseThrow();
            process.destroy();
            process.onExit().get(30, TimeUnit.SECONDS);
        }

        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertTrue(lines.get(0).startsWith("$ "), "ServerProcess's own first line: the command");
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            JsonNode event;
            try {
                event = MAPPER.readTree(line);
            } catch (Exception e) {
                throw new AssertionError("not a line of JSON: " + line, e);
            }
            assertTrue(event.isObject(), line);
            for (String field : List.of("timestamp", "level", "logger", "message")) {
                assertTrue(event.path(field).isTextual(), "'" + field + "' in " + line);
            }
            Instant.parse(event.path("timestamp").asText()); // ISO-8601
            events.add(event);
        }
        assertTrue(events.stream().anyMatch(e -> e.path("message").asText().startsWith("Baton is running at http://")), lines.toString());

        String toolLine = String.format(LoggingToolServer.LINE, runId);
        JsonNode fromTool = events.stream().filter(e -> e.path("message").asText().equals(toolLine)).findFirst()
                .orElseThrow(() -> new AssertionError("the tool's line is missing: " + lines));
        assertEquals(runId, fromTool.path("run_id").asText(), fromTool.toString());
        assertEquals("say", fromTool.path("task_id").asText(), fromTool.toString());
        assertEquals(TRACE_ID, fromTool.path("trace_id").asText(), "the run's trace, current in the task's thread: " + fromTool);
        // Every line that names the run is about it, and carries its ids.
        for (JsonNode event : events) {
            if (event.path("message").asText().contains(runId)) {
                assertEquals(runId, event.path("run_id").asText(), event.toString());
                assertEquals(TRACE_ID, event.path("trace_id").asText(), event.toString());
            }
        }
        // Lines about no run carry no run id (the context was restored after the run's work).
        JsonNode stopped = events.get(events.size() - 1);
        assertEquals("stopped", stopped.path("message").asText(), stopped.toString());
        assertFalse(stopped.has("run_id"), stopped.toString());
    }

    @Test
    void aLineWithQuotesNewlinesAndAnExceptionIsStillOneLineOfJson() throws Exception {
        ch.qos.logback.classic.LoggerContext context = new ch.qos.logback.classic.LoggerContext();
        ch.qos.logback.classic.Logger logger = context.getLogger("dev.baton.test");
        ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(getClass().getName(), logger,
                ch.qos.logback.classic.Level.WARN, "said \"{}\"\nand more", new IllegalStateException("boom"), new Object[]{"hi"});
        event.setMDCPropertyMap(java.util.Map.of("run_id", "r_1", "task_id", "t"));
        event.setTimeStamp(1_765_000_000_000L);
        JsonLogLayout layout = new JsonLogLayout();
        layout.setContext(context);
        layout.start();
        String line = layout.doLayout(event);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, line);
        JsonNode json = MAPPER.readTree(line);
        assertEquals("2025-12-06T05:46:40.000Z", json.path("timestamp").asText());
        assertEquals("WARN", json.path("level").asText());
        assertEquals("dev.baton.test", json.path("logger").asText());
        assertEquals("said \"hi\"\nand more", json.path("message").asText());
        assertEquals("r_1", json.path("run_id").asText());
        assertEquals("t", json.path("task_id").asText());
        assertTrue(json.path("exception").asText().startsWith("java.lang.IllegalStateException: boom"), line);
    }

    @Test
    void theSettingsAreCheckedAtStart() {
        assertEquals(Config.LogFormat.JSON, Config.logFormat(new String[0], java.util.Map.of("BATON_LOG_FORMAT", "JSON")));
        assertEquals(Config.LogFormat.TEXT, Config.logFormat(new String[0], java.util.Map.of()));
        String bad = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> Config.load(new String[]{"--log-format", "xml"}, java.util.Map.of())).getMessage();
        assertEquals("BATON_LOG_FORMAT (--log-format) must be text or json; got 'xml'", bad);
        assertTrue(Config.load(new String[0], java.util.Map.of()).triage().warmUp(), "warm-up is on by default");
        assertFalse(Config.load(new String[]{"--triage-warm-up", "false"}, java.util.Map.of()).triage().warmUp());
        String notBool = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> Config.load(new String[0], java.util.Map.of("BATON_TRIAGE_WARM_UP", "later"))).getMessage();
        assertEquals("BATON_TRIAGE_WARM_UP (--triage-warm-up) must be true or false; got 'later'", notBool);
    }
}
