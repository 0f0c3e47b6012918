package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start does its work side by side (the journal opens beside the tools' registration, the embedding models load
 * from the first moment): over real HTTP, a server whose classifier is not ready yet answers, says it is not ready,
 * and routes a ticket posted meanwhile once the classifier is; and a start that fails still says why.
 */
class StartWhileWarmingUpApiTest {

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTicketPostedBeforeTheClassifierIsReadyIsRoutedOnceItIs() throws Exception {
        // As in HealthProbesApiTest: the examples file is a named pipe that the start reads once (to check the categories);
        // the warm-up reads it again when it builds the classifier and waits there until the test writes it a second time.
        Path dir = Files.createTempDirectory("baton-start-");
        Path fifo = dir.resolve("examples.csv");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        List<LabelledExample> examples = HealthProbesApiTest.fewExamples();
        String csv = ExamplesCsv.format(examples);
        CompletableFuture<Void> firstRead = CompletableFuture.runAsync(() -> HealthProbesApiTest.write(fifo, csv));
        Config config = TestServer.config().withTriage(new Config.TriageConfig(null, fifo, null, dir.resolve("cache"), true));
        try (TestServer server = TestServer.start(config, r -> { })) {
            firstRead.get(30, TimeUnit.SECONDS);
            Api api = server.api();
            assertEquals(503, api.get("/health/ready").status(), "not ready while the classifier waits for its examples");
            assertEquals(200, api.get("/health/live").status());

            Api.Response posted = api.post("/api/tickets", TicketsApiTest.ticket("Card still not here",
                    "I ordered my card two weeks ago and it has not arrived."));
            assertEquals(202, posted.status(), posted.body());
            String id = posted.json().path("id").asText();
            JsonNode waiting = api.get("/api/tickets/" + id).json();
            assertEquals("TRIAGING", waiting.path("status").asText(), "the ticket waits for the classifier: " + waiting);
            assertEquals(200, api.get("/api/routing").status(), "the API answers meanwhile");

            HealthProbesApiTest.write(fifo, csv); // the warm-up goes on
            JsonNode routed = Api.await(() -> api.get("/api/tickets/" + id).json(), t -> !"TRIAGING".equals(t.path("status").asText()),
                    Duration.ofMinutes(4), "the ticket triaged once the classifier is ready");
            Set<String> categories = Set.copyOf(examples.stream().map(LabelledExample::category).toList());
            assertTrue(categories.contains(routed.path("category").asText()), "classified into one of the examples' categories: " + routed);
            Api.await(() -> api.get("/health/ready").status(), status -> status == 200, Duration.ofSeconds(30), "ready");
        }
    }

    @Test
    void aJournalThatCannotOpenIsTheReasonGivenEvenWhenAnotherSettingIsWrongToo() throws Exception {
        // The journal opens beside the tools' registration; its failure is still the one reported, as when it opened first.
        Path dir = Files.createTempDirectory("baton-start-");
        Config config = TestServer.config().withDbUrl("jdbc:nosuch:journal").withPlaybooksDir(dir.resolve("no-such-folder"));
        ConfigException refused = assertThrows(ConfigException.class, () -> BatonServer.start(config));
        assertTrue(refused.getMessage().contains("is not a journal URL"), refused.getMessage());
        // and the other setting's own failure, once the journal opens
        ConfigException playbooks = assertThrows(ConfigException.class,
                () -> BatonServer.start(TestServer.config().withPlaybooksDir(dir.resolve("no-such-folder"))));
        assertTrue(playbooks.getMessage().startsWith("BATON_PLAYBOOKS_DIR"), playbooks.getMessage());
    }

    /** A few examples of each of three categories the bundled routing table routes. */
}
