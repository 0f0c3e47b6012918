package dev.baton.examples.embed;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EmbeddedRuntimeExampleTest {

    @Test
    void theEmbeddedRunReservesAfterApproval() throws Exception {
        JsonNode run = EmbeddedRuntimeExample.orderTwoUnits();
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toPrettyString());
        JsonNode reserve = null;
        for (JsonNode task : run.path("plan").path("tasks")) if (task.path("id").asText().equals("reserve")) reserve = task;
        assertEquals("APPROVED", reserve.path("approval").path("status").asText());
        assertEquals("example-approver", reserve.path("approval").path("decidedBy").asText());
        assertEquals(2, reserve.path("output").path("quantity").asInt());
        assertEquals(8, reserve.path("output").path("remaining").asInt());
    }
}
