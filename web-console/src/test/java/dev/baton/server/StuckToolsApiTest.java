package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * BATON_TOOL_TIMEOUT gives a tool without a timeout of its own its timeout, shown in the catalogue;
 * a call that ignores the interrupt after it shows in /metrics as abandoned until it returns.
 */
@Timeout(60)
class StuckToolsApiTest {
    private static final String ABANDONED = "baton_abandoned_calls{kind=\"tool\",name=\"stuck\"}";

    private final CountDownLatch release = new CountDownLatch(1);
    private TestServer server;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) server.close();
    }

    /** Declares no timeout, and swallows interrupts until the test releases it. */
    private BatonTool stuck() {
        ToolDescriptor descriptor = ToolDescriptor.builder("stuck").parameters(Json.object().put("type", "object")).build();
        return new BatonTool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) {
                while (true) {
                    try {
                        if (release.await(1, TimeUnit.SECONDS)) return Json.object();
                    } catch (InterruptedException ignored) {
                        // carries on regardless
                    }
                }
            }
        };
    }

    private static double sample(Api api, String key) {
        Map<String, Double> samples = MetricsApiTest.scrapeFrom(api);
        return samples.getOrDefault(key, -1.0);
    }

    @Test
    void theConfiguredDefaultTimesOutAToolWithoutOneAndTheAbandonedCallIsCountedUntilItReturns() {
        Config config = TestServer.config().withDbUrl("memory").withToolTimeout(Duration.ofMillis(300));
        server = TestServer.start(config, tools -> tools.register(stuck()));
        Api api = server.api();

        for (JsonNode tool : api.get("/api/tools").json()) {
            if (tool.path("name").asText().equals("stuck")) assertEquals("PT0.3S", tool.path("timeout").asText(), tool.toString());
            if (tool.path("name").asText().equals("http.request")) assertEquals("PT30S", tool.path("timeout").asText(), tool.toString());
        }

        String runId = api.startRun("a stuck call", "{\"tasks\": [{\"id\": \"s\", \"tool\": \"stuck\", \"args\": {},"
                + " \"retry\": {\"maxAttempts\": 1}}]}").path("id").asText();
        JsonNode run = api.awaitRunStatus(runId, "FAILED");
        JsonNode error = Api.task(run, "s").path("error");
        assertEquals("timeout", error.path("code").asText(), run.toString());
        assertEquals("no answer within PT0.3S", error.path("message").asText(), run.toString());

        Api.await(() -> sample(api, ABANDONED), v -> v == 1.0, Duration.ofSeconds(10), "one abandoned call in /metrics");
        assertEquals(1, api.get("/api/metrics/summary").json().path("tasks").path("abandonedCalls").asInt());
        // The call slot is free: another run goes through meanwhile.
        String echo = api.startRun("echo", "{\"tasks\": [{\"id\": \"e\", \"tool\": \"echo\", \"args\": {\"x\": 1}}]}").path("id").asText();
        api.awaitRunStatus(echo, "SUCCEEDED");

        release.countDown();
        Api.await(() -> sample(api, ABANDONED), v -> v == 0.0, Duration.ofSeconds(10), "no abandoned call in /metrics");
        assertEquals("FAILED", api.run(runId).path("status").asText(), "its late answer changes nothing");
    }
}
