package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A follow-up after a finished run is a new run linked to it: POST /api/runs with
 * {@code "continues": <runId>} (issue 16). The link is checked, shown, and the model planner reads
 * the earlier run's goal and outcome as context.
 */
class ContinuesRunApiTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-test-0123456789abcdef").model("test-model").build());
    });
    static final Api api = servers.api();
    static final String PLAN = "{\"tasks\": [{\"id\": \"greet\", \"tool\": \"echo\", \"args\": {\"text\": \"hello\"}}]}";

    @BeforeAll
    static void stub() {
        // every model call (plans and answers) gets this plan as its text
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(PLAN, 100, 20))));
    }

    @AfterAll
    static void stop() {
        model.stop();
    }

    @Test
    void aFollowUpIsANewRunLinkedToTheFinishedOneAndItsPlannerReadsTheEarlierRun() {
        Api.Response first = api.post("/api/runs", Json.object().put("goal", "greet the team in the morning standup"));
        assertEquals(201, first.status(), first.body());
        String firstId = first.json().path("id").asText();
        JsonNode done = api.awaitRunStatus(firstId, "SUCCEEDED");
        assertTrue(done.path("continues").isMissingNode(), "a first run continues nothing: " + done);

        Api.Response second = api.post("/api/runs", Json.object().put("goal", "now say it in Italian").put("continues", firstId));
        assertEquals(201, second.status(), second.body());
        String secondId = second.json().path("id").asText();
        assertEquals(firstId, second.json().path("continues").asText(), second.body());
        JsonNode run = api.awaitRunStatus(secondId, "SUCCEEDED");
        assertEquals(firstId, run.path("continues").asText(), "GET /api/runs/{id} shows the link");
        assertEquals("now say it in Italian", run.path("goal").asText(), "the goal stays the user's words");
        JsonNode previous = run.path("options").path("previous");
        assertEquals("greet the team in the morning standup", previous.path("goal").asText(), previous.toString());
        assertEquals("SUCCEEDED", previous.path("status").asText());
        assertTrue(previous.toString().length() < 5_000, "the summary is bounded");

        List<LoggedRequest> calls = model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        LoggedRequest planning = calls.stream().filter(c -> c.getBodyAsString().contains("now say it in Italian")).findFirst().orElseThrow();
        String prompt = planning.getBodyAsString();
        assertTrue(prompt.contains("follows up an earlier run") && prompt.contains("greet the team in the morning standup"),
                "the planner is told about the earlier run: " + prompt);
        assertFalse(calls.stream().filter(c -> c.getBodyAsString().contains("greet the team in the morning standup"))
                .anyMatch(c -> c.getBodyAsString().contains("follows up an earlier run") && !c.getBodyAsString().contains("Italian")),
                "only the follow-up's planning carries the context");
    }

    @Test
    void aFollowUpOfAnUnknownRunIsRefusedAndCreatesNothing() {
        int before = api.get("/api/runs?limit=500").json().path("runs").size();
        Api.Response refused = api.post("/api/runs", Json.object().put("goal", "go on").put("continues", "r_nosuchrun"));
        assertEquals(404, refused.status(), refused.body());
        assertEquals("not_found", refused.errorCode());
        assertTrue(refused.errorMessage().contains("continues") && refused.errorMessage().contains("r_nosuchrun"), refused.body());
        assertEquals(before, api.get("/api/runs?limit=500").json().path("runs").size(), "no run was created");
    }

    @Test
    void aMalformedLinkIsABadRequest() {
        Api.Response number = api.post("/api/runs", "{\"goal\": \"go on\", \"continues\": 42}", "application/json", null);
        assertEquals(400, number.status(), number.body());
        assertTrue(number.errorMessage().contains("continues"), number.body());
        Api.Response blank = api.post("/api/runs", Json.object().put("goal", "go on").put("continues", " "));
        assertEquals(400, blank.status(), blank.body());
        var body = Json.object().put("goal", "go on");
        body.putObject("options").put("continues", "r_x");
        Api.Response forged = api.post("/api/runs", body);
        assertEquals(400, forged.status(), "the link is set through the field, never forged in options: " + forged.body());
    }

    @Test
    void aRunStillGoingIsSentAMessageNotContinued() {
        Api.Response waiting = api.post("/api/runs", "{\"goal\": \"wait a while\", \"plan\": {\"tasks\": [{\"id\": \"nap\", \"wait\": \"PT1H\"}]}}",
                "application/json", null);
        assertEquals(201, waiting.status(), waiting.body());
        String id = waiting.json().path("id").asText();
        Api.Response refused = api.post("/api/runs", Json.object().put("goal", "go on").put("continues", id));
        assertEquals(409, refused.status(), refused.body());
        assertTrue(refused.errorMessage().contains("/messages"), refused.body());
        api.post("/api/runs/" + id + "/cancel", Json.object());
    }
}
