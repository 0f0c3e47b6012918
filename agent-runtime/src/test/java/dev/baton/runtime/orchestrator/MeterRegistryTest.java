package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.ToolRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runtime records into the registry an embedder gives it (OrchestratorOptions.meterRegistry): runs,
 * tasks, calls per tool and the journal's commits; and runs as well with metrics off ({@link Meters#off()}).
 */
class MeterRegistryTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();

    private static final String TWO_CALLS = """
            {"tasks": [{"id": "a", "tool": "count", "args": {}}, {"id": "b", "tool": "count", "args": {}, "dependsOn": ["a"]}]}""";

    private static ToolRegistry tools() {
        ToolRegistry tools = new ToolRegistry();
        tools.register(LambdaTool.of("count", (args, context) -> Json.object().put("task", context.taskId())));
        return tools;
    }

    @Test
    void theRuntimeRecordsIntoTheRegistryItIsGiven() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Orchestrator orchestrator = harness.start(tools(), OrchestratorOptions.builder().meterRegistry(registry).build());
        int runs = 3;
        for (int i = 0; i < runs; i++) {
            JsonNode run = harness.finished(harness.submit(TWO_CALLS));
            assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        }
        assertEquals(runs, registry.get("baton.runs.started").counter().count());
        assertEquals(runs, registry.get("baton.runs.finished").tag("status", "SUCCEEDED").counter().count());
        assertEquals(2 * runs, registry.get("baton.tasks.succeeded").counter().count());
        Timer calls = registry.get("baton.task.duration").tags("kind", "tool", "name", "count").timer();
        assertEquals(2 * runs, calls.count());
        assertTrue(calls.totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(0, registry.get("baton.task.call.failures").tags("kind", "tool", "name", "count").counter().count());
        assertTrue(registry.get("baton.journal.events").functionCounter().count() > 0, "the journal is bound to the registry too");
        assertNotNull(registry.get("baton.journal.commit").timer());
        assertEquals(0, registry.get("baton.calls.in.flight").gauge().value());
        // the orchestrator's own view reads the same meters
        assertEquals(runs, orchestrator.metrics().runsStarted());
        assertTrue(orchestrator.metrics().registry() == registry);
    }

    @Test
    void withMetricsOffRunsRunAndNothingIsCounted() {
        Orchestrator orchestrator = harness.start(tools(), OrchestratorOptions.builder().meterRegistry(Meters.off()).build());
        JsonNode run = harness.finished(harness.submit(TWO_CALLS));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(0, orchestrator.metrics().runsStarted());
        assertEquals(0, orchestrator.metrics().taskAttempts());
        assertEquals(0, orchestrator.metrics().calls().get(new OrchestratorMetrics.CallKey("tool", "count")).timer().count(),
                "the call was timed into a no-op timer");
    }

    @Test
    void withoutARegistryTheOrchestratorCountsInItsOwn() {
        Orchestrator orchestrator = harness.start(tools(), OrchestratorOptions.builder().build());
        harness.finished(harness.submit(TWO_CALLS));
        assertEquals(1, orchestrator.metrics().runsStarted());
        assertEquals(2, orchestrator.metrics().calls().get(new OrchestratorMetrics.CallKey("tool", "count")).timer().count());
    }
}
