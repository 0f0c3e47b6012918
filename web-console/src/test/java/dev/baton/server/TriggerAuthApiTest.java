package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.trigger.Signatures;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import dev.baton.server.testing.TriggerRuns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Triggers on a server with bearer tokens: managing them takes an operator; a webhook without a
 * token gets in only with the trigger's signature, and learns nothing about other triggers.
 */
class TriggerAuthApiTest {
    private static final String SECRET = "webhook-secret-0123456789";
    static TestServer server;
    static Api anonymous;
    static Api viewer;
    static Api operator;

    @BeforeAll
    static void start() {
        server = TestServer.start(Tokens.config(), registry -> {
        });
        anonymous = server.api();
        viewer = anonymous.as(Tokens.VIEWER);
        operator = anonymous.as(Tokens.OPERATOR);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static ObjectNode trigger(String name, String secret) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "hook " + name);
        ObjectNode event = body.putObject("event");
        if (secret != null) event.put("secret", secret);
        body.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        return body;
    }

    private static int post(Api as, String name, String body, String signature) {
        HttpRequest.Builder b = as.request("/api/triggers/" + name + "/events")
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (signature != null) b.header("X-Baton-Signature", signature);
        return as.send(b).status();
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
        String good = Signatures.sign(SECRET, body.getBytes(StandardCharsets.UTF_8));
        assertEquals(202, post(anonymous, "signed", body, good));
        assertEquals(401, post(anonymous, "signed", body, null));
        assertEquals(401, post(anonymous, "signed", "{\"x\": 2}", good));
        // a trigger without a secret: an operator's token, not a stranger
        assertEquals(401, post(anonymous, "unsigned", body, null));
        assertEquals(401, post(viewer, "unsigned", body, null));
        assertEquals(202, post(operator, "unsigned", body, null));
        // a stranger cannot tell a missing trigger from one it may not post to
        assertEquals(401, post(anonymous, "no-such-trigger", body, good));
        assertEquals(404, post(operator, "no-such-trigger", body, null));
        assertEquals(1, TriggerRuns.of(operator, "signed").size());
        assertEquals(1, TriggerRuns.of(operator, "unsigned").size());
    }
}
