package dev.baton.plan.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.baton.json.Json;
import dev.langchain4j.model.openai.OpenAiChatModel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;

/**
 * WireMock standing in for the OpenAI API, answering {@code POST /v1/chat/completions} in the
 * real wire format, one scripted answer per call (a WireMock scenario), the last one repeated.
 */
final class FakeOpenAi implements AutoCloseable {

    static final String PATH = "/v1/chat/completions";
    private static final String SCENARIO = "planner";

    final WireMockServer server = new WireMockServer(WireMockConfiguration.options().dynamicPort());

    FakeOpenAi() {
        server.start();
    }

    /** A real OpenAI chat model pointed at this server, without retries of its own. */
    OpenAiChatModel model() {
        return OpenAiChatModel.builder()
                .baseUrl(server.baseUrl() + "/v1")
                .apiKey("sk-test-not-a-key")
                .modelName("gpt-4o-mini")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(10))
                .build();
    }

    /** The model answers these contents in turn; after the last, it keeps answering the last. */
    FakeOpenAi answers(String... contents) {
        for (int i = 0; i < contents.length; i++) {
            String state = i == 0 ? STARTED : "answer-" + i;
            var stub = post(urlEqualTo(PATH)).inScenario(SCENARIO).whenScenarioStateIs(state)
                    .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                            .withBody(completion(contents[i], i)));
            if (i + 1 < contents.length) stub = stub.willSetStateTo("answer-" + (i + 1));
            server.stubFor(stub);
        }
        return this;
    }

    /** Every call fails with this status and an OpenAI error body. */
    FakeOpenAi failing(int status) {
        server.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}")));
        return this;
    }

    /** The body of an OpenAI chat.completions response whose message holds {@code content}. */
    static String completion(String content, int n) {
        ObjectNode body = Json.object();
        body.put("id", "chatcmpl-test" + n);
        body.put("object", "chat.completion");
        body.put("created", 1_763_900_000L + n);
        body.put("model", "gpt-4o-mini-2024-07-18");
        ArrayNode choices = body.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", content);
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", 900 + n);
        usage.put("completion_tokens", 120);
        usage.put("total_tokens", 1020 + n);
        body.put("system_fingerprint", "fp_test");
        return Json.write(body);
    }

    /** The bodies of the chat requests received, oldest first. */
    List<JsonNode> requests() {
        List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first
        List<JsonNode> bodies = new ArrayList<>();
        for (ServeEvent event : events) {
            try {
                bodies.add(Json.parse(event.getRequest().getBodyAsString()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return bodies;
    }

    @Override
    public void close() {
        server.stop();
    }
}
