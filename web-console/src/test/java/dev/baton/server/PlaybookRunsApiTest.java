package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without a model, a goal runs the playbook closest to it in meaning (in-process MiniLM embeddings). */
class PlaybookRunsApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static WireMockServer site;
    static final Api api = servers.api();

    @BeforeAll
    static void start() {
        site = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        site.start();
        site.stubFor(get("/health").willReturn(aResponse().withStatus(204)));
    }

    @AfterAll
    static void stop() {
        site.stop();
    }

    @Test
    void thePlaybooksAreListedAndHealthSaysThereIsNoModel() {
        JsonNode playbooks = api.get("/api/playbooks").json();
        assertTrue(playbooks.size() >= 3, playbooks.toString());
        boolean found = false;
        for (JsonNode p : playbooks) found |= p.path("name").asText().equals("check-url-health") && p.path("tasks").asInt() == 2;
        assertTrue(found, playbooks.toString());
        JsonNode health = api.get("/api/health").json();
        assertEquals(false, health.path("model").path("configured").asBoolean());
        assertTrue(health.path("model").path("hint").asText().contains("BATON_MODEL"));
    }

    @Test
    void aGoalIsMatchedToAPlaybookWhichRuns() {
        String url = "http://127.0.0.1:" + site.port() + "/health";
        var body = Json.object();
        body.put("goal", "is our status page still reachable? tell me what HTTP code it answers");
        body.putObject("input").put("url", url);
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        JsonNode run = api.awaitRun(runId, r -> r.path("status").asText().equals("SUCCEEDED") || r.path("status").asText().equals("FAILED"),
                Duration.ofSeconds(60));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals("playbook:check-url-health", run.path("plan").path("source").asText());
        assertEquals(204, Api.task(run, "report").path("output").path("status").asInt());
        site.verify(1, getRequestedFor(urlEqualTo("/health")));
    }

    @Test
    void aPlaybookCanBeNamedAndItsInputIsChecked() {
        var body = Json.object();
        body.put("goal", "whatever the words");
        body.putObject("options").put("playbook", "check-url-health");
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        JsonNode run = api.awaitRunStatus(created.json().path("id").asText(), "FAILED");
        assertEquals("input_invalid", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("url"), run.path("error").toString());
    }
}
