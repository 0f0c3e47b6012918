package dev.baton.examples.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.mcp.McpPeers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example against the real reference server (installed by {@code .ci/mcp.sh}, which {@code .ci/run} runs). */
class McpToolsExampleTest {

    @Test
    void thePlanCallsTwoToolsOfTheReferenceServerAndTheSumWaitsForApproval() throws Exception {
        JsonNode run = McpToolsExample.greetAndAdd(McpPeers.dir()); // skips without BATON_TEST_MCP_DIR, fails on CI
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toPrettyString());
        JsonNode greet = task(run, "greet");
        JsonNode sum = task(run, "sum");
        assertTrue(greet.path("output").toString().contains("hello from Baton"), greet.toPrettyString());
        assertTrue(sum.path("output").toString().contains("42"), sum.toPrettyString());
        assertEquals("APPROVED", sum.path("approval").path("status").asText(), sum.toPrettyString());
        assertEquals("example-approver", sum.path("approval").path("decidedBy").asText());
        assertTrue(greet.path("approval").isMissingNode() || greet.path("approval").isNull(), "echo is read-only: no approval");
    }

    private static JsonNode task(JsonNode run, String id) {
        for (JsonNode task : run.path("plan").path("tasks")) if (task.path("id").asText().equals(id)) return task;
        throw new AssertionError("no task " + id + " in " + run.toPrettyString());
    }
}
