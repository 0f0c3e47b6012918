package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The bundled demo's trained state ships in the jar and matches the bundled examples and the
 * default options: a fresh install becomes ready without embedding an example or training. When
 * this fails, the bundle is stale (train.csv, the recipe, the options or the cache format
 * changed): rerun {@link Pretrain#COMMAND} and commit its output.
 */
class PretrainedStateTest {

    private static final String RERUN = "the bundled pretrained state is stale; rerun from the repository root: " + Pretrain.COMMAND;

    @TempDir
    Path cacheDir;

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = PretrainedStateTest.class.getResourceAsStream(path)) {
            if (in == null) fail("missing on the classpath: " + path + "; " + RERUN);
            return in.readAllBytes();
        }
    }

    @Test
    void theManifestMatchesTheBundledExamplesTheDefaultsAndItsEntries() throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(resource(EmbeddingCache.BUNDLED + Pretrain.MANIFEST));
        EmbeddingClassifier.Options defaults = EmbeddingClassifier.Options.defaults();
        assertEquals(EmbeddingCache.sha256(resource(TicketClassifiers.BUNDLED_EXAMPLES)), manifest.path("examplesSha256").asText(),
                "train.csv changed: " + RERUN);
        assertEquals(defaults.recipe().name(), manifest.path("recipe").asText(), "the default recipe changed: " + RERUN);
        assertEquals(defaults.key(), manifest.path("optionsKey").asText(), "the default options changed: " + RERUN);
        List<String> encoders = new ArrayList<>();
        manifest.path("encoders").forEach(e -> encoders.add(e.asText()));
        assertEquals(List.copyOf(defaults.recipe().encoders()), encoders, RERUN);
        int embeddings = 0, models = 0;
        for (JsonNode e : manifest.path("entries")) {
            byte[] bytes = resource(EmbeddingCache.BUNDLED + e.path("file").asText());
            assertEquals(e.path("bytes").asLong(), bytes.length, e.path("file").asText());
            assertEquals(e.path("sha256").asText(), EmbeddingCache.sha256(bytes), e.path("file").asText());
            if (e.path("kind").asText().equals("embeddings")) embeddings++;
            if (e.path("kind").asText().equals("model")) models++;
        }
        assertEquals(encoders.size(), embeddings, "one embeddings entry per encoder");
        assertEquals(1, models, "one model entry");
    }

    @Test
    void aFreshInstallIsReadyWithoutEmbeddingOrTrainingAndRoutesSensibly() throws Exception {
        long start = System.nanoTime();
        try (EmbeddingClassifier c = TicketClassifiers.embedded(null, cacheDir)) {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!c.ready().isDone()) {
                EmbeddingClassifier.Progress p = c.progress();
                if (p.phase() == EmbeddingClassifier.Progress.Phase.EMBEDDING || p.phase() == EmbeddingClassifier.Progress.Phase.TRAINING) {
                    fail("a fresh install started " + p.phase() + " the bundled examples (" + p + "): " + RERUN);
                }
                if (System.nanoTime() > deadline) fail("not ready after 120 s: " + p);
                Thread.sleep(20);
            }
            c.ready().join();
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("bundled pretrained state: ready in " + millis + " ms, " + c.progress());
            assertEquals(0, c.examplesEmbedded(), RERUN);
            assertEquals(0, c.trainings(), RERUN);
            assertEquals(EmbeddingClassifier.Progress.Phase.READY, c.progress().phase());
            Map<String, String> tickets = Map.of(
                    "I lost my card yesterday, someone may have it", "lost_or_stolen_card",
                    "How do I change the PIN of my card?", "change_pin",
                    "My top-up failed, what went wrong?", "top_up_failed",
                    "The ATM kept my card and did not give it back", "card_swallowed",
                    "I want to close my account", "terminate_account");
            for (Map.Entry<String, String> t : tickets.entrySet()) {
                Classification answer = c.classify(new TicketText(null, t.getKey()));
                assertEquals(t.getValue(), answer.category(), t.getKey() + ": " + answer);
            }
            assertTrue(c.suggestedThreshold(RoutingTable.AUTO_PRECISION) > 0, "the calibration came with the model");
        }
        try (var files = Files.walk(cacheDir)) {
            assertEquals(0, files.filter(Files::isRegularFile).count(), "nothing was written: the bundled entries are read in place");
        }
    }
}
