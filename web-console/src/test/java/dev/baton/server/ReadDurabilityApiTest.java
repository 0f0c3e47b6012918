package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * "Whatever must not be lost is in the journal before anyone is told it happened" (DESIGN.md).
 * GET /api/runs/{id} must therefore never show a state the journal does not hold yet.
 */
class ReadDurabilityApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @Test
    void aRunIsShownFinishedOnlyOnceTheJournalSaysSo() {
        for (int i = 0; i < 200; i++) {
            String runId = api.startRun("durable read " + i, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}")
                    .path("id").asText();
            // poll without pause, to look at the run as soon as it reports the end
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!api.run(runId).path("status").asText().equals("SUCCEEDED")) {
                if (System.nanoTime() > deadline) throw new AssertionError("run " + runId + " did not finish");
            }
            String listed = null;
            for (JsonNode run : api.get("/api/runs?limit=5").json().path("runs")) {
                if (run.path("id").asText().equals(runId)) listed = run.path("status").asText();
            }
            assertEquals("SUCCEEDED", listed, "run " + runId + " was shown SUCCEEDED before the journal held it (iteration " + i + ")");
        }
    }
}
