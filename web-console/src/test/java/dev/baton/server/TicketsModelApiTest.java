package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tickets with a model configured (WireMock speaking the OpenAI wire format): the classifier's
 * unsure answers go to the model (the cascade), whose structured answer routes the ticket and
 * whose tokens count as the ticket run's usage.
 */
class TicketsModelApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        ModelConfig modelConfig = ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1").apiKey("sk-triage-test")
                .model("test-model").build();
        // A threshold no classifier answer reaches: every ticket is a question for the model.
        return TicketsApiTest.ticketConfig(model.port(), 0.999).withModel(modelConfig);
    });
    static final Api api = servers.api();

    @BeforeAll
    static void start() {
        TicketsApiTest.awaitClassifier(servers.server());
    }

    @AfterAll
    static void stop() {
        if (model != null) model.stop();
    }

    @Test
    void anUnsureTicketIsRoutedByTheModelsStructuredAnswerAndItsTokensCountForTheRun() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody(OpenAiStubs.answer("{\"category\": \"card_arrival\", \"rationale\": \"The customer is still waiting for a card.\"}",
                        300, 20))));
        // the "cards" queue's webhook lives on the same WireMock
        model.stubFor(post(urlEqualTo("/hooks/cards")).willReturn(aResponse().withStatus(200).withBody("{}")));

        JsonNode ticket = TicketsApiTest.submit(api, TicketsApiTest.ticket("Card", "I ordered my card two weeks ago and it still has not come"));

        assertEquals("ROUTED", ticket.path("status").asText(), ticket.toString());
        assertEquals("card_arrival", ticket.path("category").asText());
        assertEquals("cards", ticket.path("queue").asText());
        assertEquals("model", ticket.path("method").asText());
        assertEquals("The customer is still waiting for a card.", ticket.path("rationale").asText());
        // the model saw the categories as an enum and was asked for this ticket
        model.verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(containing("card_arrival"))
                .withRequestBody(containing("it still has not come")));
        JsonNode run = api.get("/api/runs/" + ticket.path("runId").asText()).json();
        assertTrue(run.path("usage").path("promptTokens").asInt() >= 300, run.path("usage").toString());
        assertTrue(run.path("usage").path("llmCalls").asInt() >= 1, run.path("usage").toString());
    }
}
