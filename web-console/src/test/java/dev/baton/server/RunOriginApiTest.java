package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Over HTTP: a run's origin. A trigger's run shows its {@code options.trigger} as before, and its
 * RunCreated event carries the typed origin beside it; a client's run is a client's; a client
 * still cannot take a ticket's or a trigger's marks or keys.
 */
class RunOriginApiTest {
    private static final String PLAN = "{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @Test
    void aTriggersRunShowsItsMarkAsBeforeAndItsRunCreatedTheOrigin() {
        ObjectNode body = Json.object();
        body.put("name", "origin-hook");
        body.put("goal", "an event came");
        body.putObject("event");
        body.set("plan", TestTools.json(PLAN));
        assertEquals(201, api.post("/api/triggers", body).status());

        HttpRequest.Builder event = Webhooks.request(api, "origin-hook", "{\"a\": 1}", null).header("X-Baton-Event-Id", "ev-7");
        Api.Response posted = api.send(event);
        assertEquals(202, posted.status(), posted.body());
        String runId = posted.json().path("runId").asText();
        JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");

        JsonNode mark = run.path("options").path("trigger");
        String receivedAt = mark.path("receivedAt").asText();
        assertEquals("{\"trigger\":{\"name\":\"origin-hook\",\"kind\":\"event\",\"eventId\":\"ev-7\",\"receivedAt\":\"" + receivedAt + "\"}}",
                run.path("options").toString(), "the options as triggers always wrote them");

        List<JsonNode> events = api.events(runId, null, 1);
        JsonNode created = events.get(0).path("data");
        assertEquals("RunCreated", events.get(0).path("type").asText());
        assertEquals(run.path("options"), created.path("options"));
        assertEquals("{\"kind\":\"trigger\",\"name\":\"origin-hook\",\"firing\":{\"kind\":\"event\",\"id\":\"ev-7\",\"receivedAt\":\""
                + receivedAt + "\"},\"playbook\":null}", created.path("origin").toString());
    }

    @Test
    void aClientsRunIsAClientsAndCannotTakeATicketsOrATriggersMarksOrKeys() {
        JsonNode run = api.startRun("a client's run", TestTools.json(PLAN));
        JsonNode created = api.events(run.path("id").asText(), null, 1).get(0).path("data");
        assertEquals("{\"kind\":\"client\"}", created.path("origin").toString());

        for (String mark : new String[]{"ticket", "trigger"}) {
            ObjectNode body = Json.object().put("goal", "g");
            body.set("plan", TestTools.json(PLAN));
            body.putObject("options").putObject(mark).put("id", "t_1").put("name", "n");
            Api.Response refused = api.post("/api/runs", body);
            assertEquals(400, refused.status(), refused.body());
            assertEquals("bad_request", refused.errorCode());
        }
        for (String key : new String[]{"ticket:external:x", "trigger:n@2026-01-01T00:00:00Z"}) {
            ObjectNode body = Json.object().put("goal", "g");
            body.set("plan", TestTools.json(PLAN));
            Api.Response refused = api.post("/api/runs", body.toString(), "application/json", key);
            assertEquals(400, refused.status(), refused.body());
            assertEquals("Idempotency-Key values starting with 'trigger:' or 'ticket:' are reserved for Baton's own runs",
                    refused.errorMessage());
        }
    }
}
