package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.TicketClassifiers;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /api/routing says how far the classifier's first training is (issue 18, ready at start),
 * over real HTTP against real servers with the classifier warm-up on; every answer is checked
 * against the OpenAPI document's Routing schema.
 */
class ClassifierProgressApiTest {

    /** The bundled demo on an empty cache: its trained state comes from the jar, nothing is embedded or trained. */
    @Test
    void aFreshInstallOfTheBundledDemoIsReadyFromTheJar() throws Exception {
        Path cache = Files.createTempDirectory("baton-progress-cache-");
        Config config = TestServer.config();
        config = config.withTriage(new Config.TriageConfig(null, null, null, cache, true));
        try (TestServer s = TestServer.start(config, registry -> {
        })) {
            JsonNode schema = routingSchema(s.api());
            JsonNode routing = Api.await(() -> checked(s.api(), schema), r -> r.path("classifierReady").asBoolean(),
                    Duration.ofMinutes(2), "the bundled classifier to be ready");
            JsonNode p = routing.path("classifierProgress");
            assertEquals("READY", p.path("phase").asText(), routing.toString());
            assertEquals(0, p.path("toEmbed").asLong(), "nothing to embed: " + p);
            assertEquals(0, p.path("embedded").asLong(), p.toString());
            assertEquals(0, p.path("foldsTrained").asInt(), "nothing trained: " + p);
            assertEquals(0, p.path("remainingMs").asLong(), p.toString());
            awaitReady(s);
        }
        try (var files = Files.walk(cache)) {
            assertEquals(0, files.filter(Files::isRegularFile).count(), "the bundled state is read from the jar, not copied");
        }
    }

    /** A user's own examples on an empty cache: embedded and trained in the background, the progress visible until ready. */
    @Test
    void ownExamplesTrainInTheBackgroundWithVisibleProgress() throws Exception {
        List<LabelledExample> all;
        try (InputStream in = TicketClassifiers.class.getResourceAsStream(TicketClassifiers.BUNDLED_EXAMPLES)) {
            all = ExamplesCsv.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "train.csv");
        }
        Map<String, Integer> taken = new LinkedHashMap<>();
        List<LabelledExample> own = new ArrayList<>();
        for (LabelledExample e : all) {
            if (taken.merge(e.category(), 1, Integer::sum) <= 4) own.add(new LabelledExample(e.text() + " (ticket)", e.category()));
        }
        Path dir = Files.createTempDirectory("baton-progress-");
        Path examples = dir.resolve("examples.csv");
        Files.writeString(examples, ExamplesCsv.format(own));
        Config config = TestServer.config().withTriage(new Config.TriageConfig(null, examples, null, dir.resolve("cache"), true));
        Set<String> phases = new LinkedHashSet<>();
        try (TestServer s = TestServer.start(config, registry -> {
        })) {
            JsonNode schema = routingSchema(s.api());
            JsonNode routing = Api.await(() -> {
                int health = s.api().get("/health/ready").status(); // first: readiness only ever turns on
                JsonNode r = checked(s.api(), schema);
                JsonNode p = r.path("classifierProgress");
                phases.add(p.path("phase").asText());
                assertTrue(p.path("embedded").asLong() <= p.path("toEmbed").asLong(), p.toString());
                assertTrue(p.path("foldsTrained").asInt() <= p.path("folds").asInt(), p.toString());
                if (!r.path("classifierReady").asBoolean()) assertEquals(503, health, "STARTING while the classifier trains");
                return r;
            }, r -> r.path("classifierReady").asBoolean(), Duration.ofMinutes(5), "the classifier on its own examples to be ready");
            JsonNode p = routing.path("classifierProgress");
            assertEquals("READY", p.path("phase").asText());
            assertEquals(2L * own.size(), p.path("toEmbed").asLong(), "every example by both encoders: " + p);
            assertEquals(p.path("toEmbed").asLong(), p.path("embedded").asLong(), p.toString());
            assertEquals(p.path("folds").asInt(), p.path("foldsTrained").asInt(), p.toString());
            assertTrue(p.path("elapsedMs").asLong() > 0, p.toString());
            assertFalse(phases.contains("FAILED"), phases.toString());
            awaitReady(s);
        }
    }

    /** Without warm-up and before the first ticket there is no classifier yet: its progress is null. */
    @Test
    void beforeTheClassifierIsBuiltItsProgressIsNull() {
        try (TestServer s = TestServer.start()) {
            JsonNode routing = checked(s.api(), routingSchema(s.api()));
            assertFalse(routing.path("classifierReady").asBoolean());
            assertTrue(routing.has("classifierProgress") && routing.get("classifierProgress").isNull(), routing.toString());
        }
    }

    /** /health/ready reports a check result up to a second old. */
    private static void awaitReady(TestServer s) {
        Api.await(() -> s.api().get("/health/ready").status(), status -> status == 200, Duration.ofSeconds(10), "/health/ready 200");
    }

    /** The document's Routing schema, its references resolved against components.schemas as $defs. */
    private static JsonNode routingSchema(Api api) {
        Api.Response doc = api.get(OpenApi.PATH);
        assertEquals(200, doc.status(), doc.body());
        JsonNode answerSchema = doc.json().path("paths").path("/api/routing").path("get").path("responses").path("200")
                .path("content").path("application/json").path("schema");
        assertEquals("#/components/schemas/Routing", answerSchema.path("$ref").asText(), "GET /api/routing answers a Routing");
        ObjectNode root = Json.object();
        root.put("$ref", "#/$defs/Routing");
        root.set("$defs", doc.json().path("components").path("schemas"));
        try {
            return Json.parse(root.toString().replace("#/components/schemas/", "#/$defs/"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode checked(Api api, JsonNode schema) {
        Api.Response r = api.get("/api/routing");
        assertEquals(200, r.status(), r.body());
        assertEquals(List.of(), JsonSchemaValidator.validate(schema, r.json()), "Routing takes " + r.body());
        return r.json();
    }
}
