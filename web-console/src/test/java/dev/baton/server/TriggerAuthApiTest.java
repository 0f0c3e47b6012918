package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import dev.baton.server.testing.TriggerRuns;
import dev.baton.server.testing.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Triggers on a server with bearer tokens: managing them takes an operator; a webhook without a
 * token gets in only with the trigger's signature, and learns nothing about other triggers.
 */
class TriggerAuthApiTest {
    private static final String SECRET = "webhook-secret-0123456789";
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config);
    static final Api anonymous = servers.api();
    static final Api viewer = anonymous.as(Tokens.VIEWER);
    static final Api operator = anonymous.as(Tokens.OPERATOR);

    private static ObjectNode trigger(String name, String secret) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "hook " + name);
        ObjectNode event = body.putObject("event");
        if (secret != null) event.put("secret", secret);
        body.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        return body;
    }

    private static int post(Api as, String name, String body, Webhooks.Signed signed) {
        return Webhooks.send(as, name, body, signed).status();
    }

    @Test
    void onlyOperatorsManageTriggersAndWebhooksNeedTheSignature() {
        assertEquals(401, anonymous.post("/api/triggers", trigger("signed", SECRET)).status());
        assertEquals(403, viewer.post("/api/triggers", trigger("signed", SECRET)).status());
        assertEquals(201, operator.post("/api/triggers", trigger("signed", SECRET)).status());
        assertEquals(201, operator.post("/api/triggers", trigger("unsigned", null)).status());
        assertEquals(401, anonymous.get("/api/triggers").status());
        assertEquals(200, viewer.get("/api/triggers").status());
        assertEquals(403, viewer.post("/api/triggers/signed/pause", null).status());

        String body = "{\"x\": 1}";
        Webhooks.Signed good = Webhooks.sign(SECRET, "evt-1", body);
        assertEquals(202, post(anonymous, "signed", body, good));
        assertEquals(401, post(anonymous, "signed", body, null));
        assertEquals(401, post(anonymous, "signed", "{\"x\": 2}", good.withId("evt-2")));
        // a viewer's token does not replace the signature, but a signed event is a signed event
        assertEquals(202, post(viewer, "signed", body, Webhooks.sign(SECRET, "evt-3", body)));
        assertEquals(401, post(viewer, "signed", body, null));
        // a trigger without a secret: an operator's token, not a stranger or a viewer
        assertEquals(401, post(anonymous, "unsigned", body, null));
        assertEquals(403, post(viewer, "unsigned", body, null));
        assertEquals(202, post(operator, "unsigned", body, null));
        assertEquals(404, post(operator, "no-such-trigger", body, null));
        assertEquals(404, post(viewer, "no-such-trigger", body, null));
        assertEquals(2, TriggerRuns.of(operator, "signed").size());
        assertEquals(1, TriggerRuns.of(operator, "unsigned").size());
    }

    @Test
    void runNowNeedsAnOperatorAndSaysWhoAskedAPreviewAnyRole() {
        assertEquals(201, operator.post("/api/triggers", trigger("ask-me", null)).status());
        assertEquals(401, anonymous.post("/api/triggers/ask-me/run", null).status());
        assertEquals(403, viewer.post("/api/triggers/ask-me/run", null).status());
        Api.Response started = operator.post("/api/triggers/ask-me/run", null);
        assertEquals(202, started.status(), started.body());
        var run = operator.run(started.json().path("runId").asText());
        assertEquals("otto", run.path("options").path("trigger").path("requestedBy").asText(), "the token's holder, never the body: " + run);
        assertEquals(List.of(started.json().path("runId").asText()),
                TriggerRuns.of(operator, "ask-me").stream().map(r -> r.path("id").asText()).toList(), "one run, and only by the operator");

        String schedule = "{\"cron\": \"0 0 9 * * *\"}";
        assertEquals(401, anonymous.post("/api/triggers/preview", schedule).status());
        Api.Response preview = viewer.post("/api/triggers/preview", schedule);
        assertEquals(200, preview.status(), preview.body());
        assertEquals("at 09:00 every day", preview.json().path("description").asText());
    }

    /**
     * Whoever has no token gets the same answer, status and body, for a name that does not exist as
     * for each kind of trigger it cannot post to: names cannot be probed. Callers who may read the
     * triggers get 404 for a name that does not exist.
     */
    @Test
    void strangersCannotTellWhichTriggerNamesExist() {
        assertEquals(201, operator.post("/api/triggers", trigger("probe-signed", SECRET)).status());
        assertEquals(201, operator.post("/api/triggers", trigger("probe-unsigned", null)).status());
        ObjectNode schedule = trigger("probe-schedule", null);
        schedule.remove("event");
        schedule.putObject("schedule").put("every", "PT1H");
        assertEquals(201, operator.post("/api/triggers", schedule).status());

        String body = "{\"x\": 1}";
        // headers that pass every check made before the body is read, signed with a key the stranger guessed
        Webhooks.Signed guessed = Webhooks.sign("a-guessed-secret-0000", "evt-1", body);
        Api.Response unknown = Webhooks.send(anonymous, "no-such-trigger", body, guessed);
        assertEquals(401, unknown.status(), unknown.body());
        assertEquals("bad_signature", unknown.errorCode());
        for (String known : new String[]{"probe-signed", "probe-unsigned", "probe-schedule"}) {
            Api.Response answer = Webhooks.send(anonymous, known, body, guessed);
            assertEquals(unknown.status(), answer.status(), known);
            assertEquals(unknown.body(), answer.body(), known);
            assertEquals(unknown.header("WWW-Authenticate"), answer.header("WWW-Authenticate"), known);
        }
        // without any signature too
        Api.Response bare = Webhooks.send(anonymous, "no-such-trigger", body, null);
        assertEquals(401, bare.status());
        for (String known : new String[]{"probe-signed", "probe-unsigned", "probe-schedule"}) {
            assertEquals(bare.body(), Webhooks.send(anonymous, known, body, null).body(), known);
        }
        assertEquals(0, TriggerRuns.of(operator, "probe-signed").size() + TriggerRuns.of(operator, "probe-unsigned").size());
        // those who may read the triggers anyway are told what is wrong
        assertEquals(404, post(viewer, "no-such-trigger", body, guessed));
        assertEquals(422, post(operator, "probe-schedule", body, null));
    }
}
