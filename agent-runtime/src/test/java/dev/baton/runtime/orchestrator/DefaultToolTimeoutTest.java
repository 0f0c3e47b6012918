package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every tool call has a timeout: the plan's, else the tool's, else the orchestrator's default. */
@Timeout(60)
class DefaultToolTimeoutTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void releaseTools() {
        release.countDown();
    }

    private void start(OrchestratorOptions options) throws Exception {
        ToolRegistry tools = new ToolRegistry();
        tools.register(waiting("undeclared", null));
        tools.register(waiting("declared", Duration.ofMillis(400)));
        orchestrator = harness.start(tools, options);
    }

    /** Waits (interruptibly) until the test ends: it never answers within any timeout here. */
    private BatonTool waiting(String name, Duration timeout) {
        ToolDescriptor descriptor = ToolDescriptor.builder(name).parameters(Json.object().put("type", "object")).timeout(timeout).build();
        return new BatonTool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) throws Exception {
                release.await();
                return Json.object();
            }
        };
    }

    /** Runs one task of {@code tool} (with {@code timeout} in the plan when not null), tried once. */
    private JsonNode runOnce(String tool, String timeout) throws Exception {
        String plan = "{\"tasks\": [{\"id\": \"t\", \"tool\": \"" + tool + "\", \"args\": {}, \"retry\": {\"maxAttempts\": 1}"
                + (timeout == null ? "" : ", \"timeout\": \"" + timeout + "\"") + "}]}";
        String runId = harness.submit(new RunRequest("timeouts", null, Json.parse(plan), null, null, null));
        return harness.finished(runId);
    }

    /** How long the attempt was given: its TaskStarted deadline minus the event's time. */
    private Duration allowed(JsonNode run) throws Exception {
        for (RunEvent event : harness.events(run.path("id").asText())) {
            if (event.data() instanceof EventData.TaskStarted started) return Duration.between(event.at(), started.deadline());
        }
        throw new AssertionError("no TaskStarted in " + run);
    }

    private static String error(JsonNode run) {
        JsonNode error = run.path("plan").path("tasks").get(0).path("error");
        return error.path("code").asText() + ": " + error.path("message").asText();
    }

    @Test
    void aToolThatDeclaresNoTimeoutGetsTheConfiguredDefault() throws Exception {
        start(OrchestratorOptions.builder().defaultToolTimeout(Duration.ofMillis(300)).build());
        JsonNode run = runOnce("undeclared", null);
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals("timeout: no answer within PT0.3S", error(run));
        assertEquals(Duration.ofMillis(300), allowed(run));
    }

    @Test
    void theToolsOwnTimeoutAndThePlansWinOverTheDefault() throws Exception {
        start(OrchestratorOptions.builder().defaultToolTimeout(Duration.ofMillis(300)).build());
        JsonNode declared = runOnce("declared", null);
        assertEquals("timeout: no answer within PT0.4S", error(declared));
        assertEquals(Duration.ofMillis(400), allowed(declared));
        JsonNode planned = runOnce("undeclared", "PT0.2S");
        assertEquals("timeout: no answer within PT0.2S", error(planned));
    }

    @Test
    void byDefaultEveryToolCallHasThirtySeconds() throws Exception {
        assertEquals(Duration.ofSeconds(30), OrchestratorOptions.defaults().defaultToolTimeout());
        assertNull(ToolDescriptor.builder("plain").build().timeout(), "a tool without a timeout of its own");
        start(OrchestratorOptions.defaults());
        String runId = harness.submit(new RunRequest("default", null,
                Json.parse("{\"tasks\": [{\"id\": \"t\", \"tool\": \"undeclared\", \"args\": {}}]}"), null, null, null));
        JsonNode run = harness.run(runId);
        assertEquals(Duration.ofSeconds(30), allowed(run));
        OrchestratorHarness.await(orchestrator.cancel(runId, "test"));
    }

    @Test
    void aDefaultThatIsNotPositiveIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> OrchestratorOptions.builder().defaultToolTimeout(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> OrchestratorOptions.builder().defaultToolTimeout(Duration.ofSeconds(-1)).build());
    }
}
