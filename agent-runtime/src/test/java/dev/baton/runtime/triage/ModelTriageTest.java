package dev.baton.runtime.triage;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import dev.baton.json.Json;
import dev.baton.runtime.model.CallContext;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.model.ModelGateway;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.triage.Classification;
import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.TicketClassifiers;
import dev.baton.triage.TicketText;

/**
 * The model classifier and the cascade against WireMock answering as the OpenAI API: the
 * structured answer is used, the prompt holds the retrieved examples and not the whole file, an
 * answer outside the categories is repaired once and then sent to review, confident tickets cost
 * no model call, and tokens count for the run.
 */
@Timeout(180)
class ModelTriageTest {

    private static final String PATH = "/v1/chat/completions";
    private static WireMockServer wiremock;
    private static EmbeddingClassifier classifier;
    private static List<LabelledExample> examples;
    private ModelGateway gateway;

    @BeforeAll
    static void start() throws IOException {
        wiremock = new WireMockServer(options().dynamicPort());
        wiremock.start();
        examples = perCategory(4);
        classifier = TicketClassifiers.embedded(examples, Path.of("target", "triage-test-cache"),
                EmbeddingClassifier.Options.defaults().withFolds(3));
        classifier.ready().join();
    }

    @AfterAll
    static void stop() {
        wiremock.stop();
        classifier.close();
    }

    @BeforeEach
    void reset() {
        wiremock.resetAll();
        gateway = ModelGateway.create(ModelConfig.builder().baseUrl(wiremock.baseUrl() + "/v1").apiKey("sk-test")
                .model("gpt-test").timeout(Duration.ofSeconds(10)).maxRetries(0).build(), Duration.ofMillis(10));
    }

    /** The first {@code n} bundled examples of each category. */
    private static List<LabelledExample> perCategory(int n) throws IOException {
        try (InputStream in = TicketClassifiers.class.getResourceAsStream(TicketClassifiers.BUNDLED_EXAMPLES)) {
            List<LabelledExample> all = ExamplesCsv.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bundled");
            Map<String, Integer> seen = new HashMap<>();
            List<LabelledExample> out = new ArrayList<>();
            for (LabelledExample e : all) if (seen.merge(e.category(), 1, Integer::sum) <= n) out.add(e);
            return out;
        }
    }

    private static void answer(String scenarioState, String nextState, String content) {
        var response = aResponse().withHeader("Content-Type", "application/json")
                .withBody(OpenAiStubs.answer(content, 120, 15));
        if (scenarioState == null) {
            wiremock.stubFor(post(urlEqualTo(PATH)).willReturn(response));
            return;
        }
        var stub = post(urlEqualTo(PATH)).inScenario("repair").whenScenarioStateIs(scenarioState);
        if (nextState != null) stub = stub.willSetStateTo(nextState);
        wiremock.stubFor(stub.willReturn(response));
    }

    private static List<JsonNode> requests() {
        List<JsonNode> out = new ArrayList<>();
        wiremock.findAll(postRequestedFor(urlEqualTo(PATH))).forEach(r -> {
            try {
                out.add(Json.parse(r.getBodyAsString()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return out;
    }

    private static String userMessage(JsonNode request, int index) {
        List<String> users = new ArrayList<>();
        request.path("messages").forEach(m -> {
            if (m.path("role").asText().equals("user")) users.add(m.path("content").asText());
        });
        return users.get(index);
    }

    @Test
    void theStructuredAnswerIsUsedAndItsTokensCountForTheRun() {
        answer(null, null, "{\"category\": \"card_arrival\", \"rationale\": \"The customer is waiting for a card.\"}");
        ModelClassifier model = new ModelClassifier(gateway, classifier, 5);

        Classification c = model.classify(new TicketText("Card?", "Where is the card you sent me last week?"),
                CallContext.forRun("r_1", "triage"));

        assertEquals("card_arrival", c.category());
        assertEquals("model", c.method());
        assertEquals("The customer is waiting for a card.", c.rationale());
        assertEquals(1, gateway.usage("r_1").calls());
        assertEquals(120, gateway.usage("r_1").promptTokens());
        assertEquals(15, gateway.usage("r_1").completionTokens());
        // structured output: a JSON schema whose category is an enum of exactly the categories
        JsonNode format = requests().get(0).path("response_format");
        assertEquals("json_schema", format.path("type").asText(), format.toString());
        JsonNode properties = format.path("json_schema").path("schema").path("properties");
        Set<String> enumValues = new java.util.TreeSet<>();
        properties.path("category").path("enum").forEach(v -> enumValues.add(v.asText()));
        assertEquals(classifier.categories(), enumValues);
        assertTrue(properties.has("rationale"));
    }

    @Test
    void thePromptHoldsTheRetrievedExamplesAndNotTheWholeFile() {
        answer(null, null, "{\"category\": \"card_arrival\", \"rationale\": \"Waiting for a card.\"}");
        ModelClassifier model = new ModelClassifier(gateway, classifier, 6);
        TicketText ticket = new TicketText("", "I still have not received my new card, how long does delivery take?");
        List<LabelledExample> expected = classifier.similar(ticket, 6);

        model.classify(ticket, CallContext.forRun("r_2", "triage"));

        String prompt = userMessage(requests().get(0), 0);
        for (LabelledExample e : expected) {
            assertTrue(prompt.contains(Json.write(e.text()) + " -> " + e.category()), () -> "missing " + e + " in " + prompt);
        }
        Set<String> shown = expected.stream().map(LabelledExample::text).collect(Collectors.toSet());
        long othersInPrompt = examples.stream().filter(e -> !shown.contains(e.text()))
                .filter(e -> prompt.contains(Json.write(e.text()))).count();
        assertEquals(0, othersInPrompt);
        assertEquals(6, prompt.lines().filter(l -> l.startsWith("- ")).count());
        assertTrue(prompt.contains("I still have not received my new card"));
    }

    @Test
    void anAnswerOutsideTheCategoriesIsRepairedOnce() {
        answer(Scenario.STARTED, "asked again", "{\"category\": \"mortgages\", \"rationale\": \"A loan.\"}");
        answer("asked again", null, "{\"category\": \"card_arrival\", \"rationale\": \"Waiting for a card.\"}");
        ModelClassifier model = new ModelClassifier(gateway, classifier, 5);

        ModelClassifier.Answer a = model.ask(new TicketText("", "my card has not arrived"), CallContext.forRun("r_3", "triage"));

        assertTrue(a.valid());
        assertTrue(a.repaired());
        assertEquals("card_arrival", a.category());
        List<JsonNode> requests = requests();
        assertEquals(2, requests.size());
        assertTrue(userMessage(requests.get(1), 1).contains("\"mortgages\" is not one of the categories"));
        assertEquals(2, gateway.usage("r_3").calls());
    }

    @Test
    void anAnswerOutsideTheCategoriesTwiceGoesToReview() {
        answer(Scenario.STARTED, "asked again", "{\"category\": \"mortgages\", \"rationale\": \"A loan.\"}");
        answer("asked again", null, "not json at all");
        CascadeClassifier cascade = new CascadeClassifier(classifier, new ModelClassifier(gateway, classifier, 5), 1.0);

        Classification c = cascade.classify(new TicketText("", "my card has not arrived"), CallContext.forRun("r_4", "triage"));

        assertEquals(2, requests().size());
        assertEquals(0.0, c.confidence());
        assertTrue(cascade.needsReview(c));
        assertTrue(classifier.categories().contains(c.category()));
        assertTrue(c.rationale().contains("outside the categories twice"), c.rationale());
    }

    /** Issue 16: a person reviewing a model's answer outside the categories is told so and still gets the classifier's ranking. */
    @Test
    void anAnswerOutsideTheCategoriesTwiceSaysSoAndKeepsTheClassifiersRanking() {
        answer(Scenario.STARTED, "asked again", "{\"category\": \"mortgages\", \"rationale\": \"A loan.\"}");
        answer("asked again", null, "not json at all");
        CascadeClassifier cascade = new CascadeClassifier(classifier, new ModelClassifier(gateway, classifier, 5), 1.0);
        TicketText text = new TicketText("", "my card has not arrived");

        Classification c = cascade.classify(text, CallContext.forRun("r_16", "triage"));

        assertTrue(c.outsideCategories(), c.toString());
        Classification own = classifier.classify(text);
        assertTrue(c.ranking().size() >= 3, c.ranking().toString());
        assertEquals(own.category(), c.ranking().get(0).category(), "the classifier's pick first");
        assertEquals(own.confidence(), c.ranking().get(0).confidence(), 1e-9);
        for (int i = 1; i < c.ranking().size(); i++) {
            assertTrue(c.ranking().get(i).confidence() <= c.ranking().get(i - 1).confidence(), c.ranking().toString());
        }
        assertFalse(own.outsideCategories());
    }

    @Test
    void theCascadeAsksTheModelOnlyWhenTheClassifierIsUnsure() {
        answer(null, null, "{\"category\": \"card_arrival\", \"rationale\": \"Waiting for a card.\"}");
        ModelClassifier model = new ModelClassifier(gateway, classifier, 5);
        TicketText ticket = new TicketText("", "my card has not arrived yet");

        // everything is sure at threshold 0: no model call, no tokens
        CascadeClassifier sure = new CascadeClassifier(classifier, model, 0.0);
        Classification c = sure.classify(ticket, CallContext.forRun("r_5", "triage"));
        assertEquals("classifier", c.method());
        assertFalse(sure.needsReview(c));
        assertEquals(0, requests().size());
        assertEquals(0, gateway.usage("r_5").calls());

        // a person's correction is sure too
        classifier.learn(new LabelledExample("Please close my account today", "terminate_account"));
        CascadeClassifier strict = new CascadeClassifier(classifier, model, 1.0);
        Classification corrected = strict.classify(new TicketText("", "please close my account today!"),
                CallContext.forRun("r_5", "triage"));
        assertEquals("correction", corrected.method());
        assertEquals(0, requests().size());

        // nothing is sure at threshold 1: the model decides, supported by the examples, so no review
        Classification m = strict.classify(ticket, CallContext.forRun("r_6", "triage"));
        assertEquals("model", m.method());
        assertEquals("card_arrival", m.category());
        assertFalse(strict.needsReview(m));
        assertEquals(1, requests().size());
        assertEquals(1, gateway.usage("r_6").calls());
    }

    @Test
    void aModelAnswerTheEvidenceDoesNotSupportGoesToReview() {
        // a valid category, but far from the ticket: neither a top candidate nor among the examples shown
        answer(null, null, "{\"category\": \"exchange_rate\", \"rationale\": \"Guess.\"}");
        CascadeClassifier cascade = new CascadeClassifier(classifier, new ModelClassifier(gateway, classifier, 3), 0.9999);
        Classification c = cascade.classify(new TicketText("", "my card has not arrived yet, where is it"),
                CallContext.forRun("r_7", "triage"));
        assertEquals("exchange_rate", c.category());
        assertTrue(cascade.needsReview(c), "confidence " + c.confidence());
    }
}
