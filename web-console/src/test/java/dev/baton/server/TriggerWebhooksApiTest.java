package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.standardwebhooks.Webhook;
import dev.baton.json.Json;
import dev.baton.runtime.trigger.Signatures;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import dev.baton.server.testing.TriggerRuns;
import dev.baton.server.testing.Webhooks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Webhooks from callers without a token, over real HTTP against a real server with tokens: events
 * signed as Standard Webhooks signs them start runs once; a captured event cannot be replayed under
 * a new id or after five minutes, nor spoil a future id; the reference library's signatures are
 * taken; and a stranger's body is not read before its headers pass, nor past a small limit.
 */
class TriggerWebhooksApiTest {
    private static final String SECRET = "orders-secret-0123456789";
    private static final String WHSEC = "whsec_" + Base64.getEncoder().encodeToString(
            "twenty-four random bytes".getBytes(StandardCharsets.US_ASCII));
    private static final int NINE_MIB = 9 * 1024 * 1024;
    /** How long a raw-socket test waits for an answer: far more than an early answer takes, far less than the old code's wait. */
    private static final int ANSWER_TIMEOUT_MS = 10_000;

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config);
    static final Api anonymous = servers.api();
    static final Api operator = anonymous.as(Tokens.OPERATOR);

    @BeforeAll
    static void start() {
        create("orders", SECRET);
        create("rotating", WHSEC);
        create("plain", SECRET);
        create("unsigned", null);
    }

    private static void create(String name, String secret) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "hook " + name);
        ObjectNode event = body.putObject("event");
        if (secret != null) event.put("secret", secret);
        body.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        Api.Response r = operator.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
    }

    private static int runs(String trigger) {
        return TriggerRuns.of(operator, trigger).size();
    }

    @Test
    void aCapturedEventCannotBeReplayed() {
        String body = "{\"order\": 1}";
        Webhooks.Signed genuine = Webhooks.sign(SECRET, "evt-1", body);
        Api.Response first = Webhooks.send(anonymous, "orders", body, genuine);
        assertEquals(202, first.status(), first.body());
        String runId = first.json().path("runId").asText();

        // the same delivery again (a sender's retry): the same run
        Api.Response again = Webhooks.send(anonymous, "orders", body, genuine);
        assertEquals(200, again.status(), again.body());
        assertTrue(again.json().path("duplicate").asBoolean());
        assertEquals(runId, again.json().path("runId").asText());

        // captured and sent again under a new id: the id is signed, so the signature no longer matches
        Api.Response newId = Webhooks.send(anonymous, "orders", body, genuine.withId("evt-1-again"));
        assertEquals(401, newId.status(), newId.body());
        assertEquals("bad_signature", newId.errorCode());
        // ... nor under a new time
        Api.Response newTime = Webhooks.send(anonymous, "orders", body,
                new Webhooks.Signed("evt-1", genuine.timestamp() + 1, genuine.signature()));
        assertEquals(401, newTime.status(), newTime.body());

        // signed correctly, but six minutes old or ahead of the server's clock: refused
        for (Duration offset : List.of(Duration.ofMinutes(-6), Duration.ofMinutes(6))) {
            Api.Response stale = Webhooks.send(anonymous, "orders", body, Webhooks.sign(SECRET, "evt-stale", body, Instant.now().plus(offset)));
            assertEquals(401, stale.status(), stale.body());
            assertTrue(stale.errorMessage().contains(offset.isNegative() ? "before the server's time" : "after the server's time"), stale.body());
        }
        // the captured signature sent ahead under the id of an event that has not come yet ...
        Api.Response ahead = Webhooks.send(anonymous, "orders", body, genuine.withId("evt-2"));
        assertEquals(401, ahead.status(), ahead.body());
        // ... does not make that event a duplicate when it comes
        Api.Response second = Webhooks.send(anonymous, "orders", "{\"order\": 2}", Webhooks.sign(SECRET, "evt-2", "{\"order\": 2}"));
        assertEquals(202, second.status(), second.body());
        assertNotEquals(runId, second.json().path("runId").asText());
        assertEquals(2, runs("orders"));

        // the body-only signature of earlier versions is refused, and the answer says why
        Api.Response legacy = anonymous.send(anonymous.request("/api/triggers/orders/events")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("X-Baton-Signature", "sha256=" + "ab".repeat(32)).header("X-Baton-Event-Id", "evt-9"));
        assertEquals(401, legacy.status(), legacy.body());
        assertTrue(legacy.errorMessage().contains("X-Baton-Signature") && legacy.errorMessage().contains("no longer accepted"), legacy.body());
        assertEquals(2, runs("orders"));
    }

    @Test
    void theReferenceLibrarysSignaturesAndKeyRotationAreTaken() throws Exception {
        String body = "{\"order\": \"ref\"}";
        long now = Instant.now().getEpochSecond();
        // com.standardwebhooks signs: a whsec_ secret, and another secret given to it as its UTF-8 bytes
        String whsec = new Webhook(WHSEC).sign("ref-1", now, body);
        Api.Response r = Webhooks.send(anonymous, "rotating", body, new Webhooks.Signed("ref-1", now, whsec));
        assertEquals(202, r.status(), r.body());
        String plain = new Webhook(SECRET.getBytes(StandardCharsets.UTF_8)).sign("ref-2", now, body);
        r = Webhooks.send(anonymous, "plain", body, new Webhooks.Signed("ref-2", now, plain));
        assertEquals(202, r.status(), r.body());

        // rotation: the sender signs with the old and the new secret while both are in use
        String old = Signatures.sign("the-retired-secret-000", "rot-1", now, body.getBytes(StandardCharsets.UTF_8));
        String current = Signatures.sign(WHSEC, "rot-1", now, body.getBytes(StandardCharsets.UTF_8));
        r = Webhooks.send(anonymous, "rotating", body, new Webhooks.Signed("rot-1", now, old + " " + current));
        assertEquals(202, r.status(), r.body());
        r = Webhooks.send(anonymous, "rotating", body, new Webhooks.Signed("rot-2", now, old + " v1a," + current.substring(3)));
        assertEquals(401, r.status(), "only v1 signatures count: " + r.body());
        assertEquals(2, runs("rotating"));
    }

    // ------------------------------------------------------------------ not buffering a stranger's body

    /** A raw HTTP/1.1 request: the head, and as much of the body as the test chooses to send. */
    private static String head(String trigger, String extraHeaders, String length) {
        return "POST /api/triggers/" + trigger + "/events HTTP/1.1\r\nHost: 127.0.0.1:" + servers.server().port() + "\r\n"
                + "Content-Type: application/json\r\n" + length + extraHeaders + "\r\n";
    }

    private static String freshHeaders() {
        return Signatures.ID + ": evt-big\r\n" + Signatures.TIMESTAMP + ": " + Instant.now().getEpochSecond() + "\r\n"
                + Signatures.SIGNATURE + ": v1," + "A".repeat(43) + "=\r\n";
    }

    /** The status line and JSON body of the answer, read while the request is still unfinished; fails on a timeout. */
    private static JsonNode answerWhileSending(Socket socket, int expectedStatus) throws IOException {
        socket.setSoTimeout(ANSWER_TIMEOUT_MS);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try {
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) fail("the server closed the connection without an answer: " + head);
                head.write(b);
            }
        } catch (SocketTimeoutException e) {
            fail("no answer within " + ANSWER_TIMEOUT_MS + " ms while the body was unfinished: the server waits for the whole body");
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 " + expectedStatus + " "), text);
        int length = Integer.parseInt(text.replaceAll("(?is).*\r\ncontent-length: *([0-9]+)\r\n.*", "$1"));
        return Json.parse(new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    @Test
    void aStrangersBodyIsNotReadBeforeItsHeadersPass() throws IOException {
        // 9 MiB announced, 64 KiB sent: no signature headers, to a trigger that exists and to one that does not
        for (String trigger : new String[]{"orders", "no-such-trigger"}) {
            try (Socket socket = new Socket("127.0.0.1", servers.server().port())) {
                OutputStream out = socket.getOutputStream();
                out.write(head(trigger, "", "Content-Length: " + NINE_MIB + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(new byte[64 * 1024]);
                out.flush();
                JsonNode error = answerWhileSending(socket, 401);
                assertEquals("bad_signature", error.path("error").path("code").asText(), error.toString());
            }
        }
        // a timestamp six minutes old: 401 before the body too
        try (Socket socket = new Socket("127.0.0.1", servers.server().port())) {
            String stale = freshHeaders().replaceAll(Signatures.TIMESTAMP + ": [0-9]+",
                    Signatures.TIMESTAMP + ": " + Instant.now().minus(Duration.ofMinutes(6)).getEpochSecond());
            socket.getOutputStream().write(head("orders", stale, "Content-Length: " + NINE_MIB + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            answerWhileSending(socket, 401);
        }
    }

    @Test
    void aStrangersBodyIsReadOnlyUpToTheWebhookLimit() throws IOException {
        long limit = servers.server().server().config().webhookBodyLimit();
        // headers that pass the checks made before the body: announced over the limit, refused before any of it is sent
        try (Socket socket = new Socket("127.0.0.1", servers.server().port())) {
            socket.getOutputStream().write(head("orders", freshHeaders(), "Content-Length: " + NINE_MIB + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            JsonNode error = answerWhileSending(socket, 413);
            assertEquals("body_too_large", error.path("error").path("code").asText());
            assertTrue(error.path("error").path("message").asText().contains("BATON_WEBHOOK_BODY_LIMIT"), error.toString());
        }
        // not announced (chunked): refused once past the limit, while the sender is still sending
        try (Socket socket = new Socket("127.0.0.1", servers.server().port())) {
            OutputStream out = socket.getOutputStream();
            out.write(head("orders", freshHeaders(), "Transfer-Encoding: chunked\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[16 * 1024];
            for (long sent = 0; sent <= limit; sent += chunk.length) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush(); // and no last chunk: the body is unfinished
            assertEquals("body_too_large", answerWhileSending(socket, 413).path("error").path("code").asText());
        }
        // a signed event over the limit from a stranger is refused; an operator's token lifts the limit to the API's
        String big = "{\"pad\": \"" + "x".repeat((int) limit) + "\"}";
        Api.Response stranger = Webhooks.send(anonymous, "unsigned", big, Webhooks.sign(SECRET, "big-1", big));
        assertEquals(413, stranger.status(), stranger.errorMessage());
        Api.Response op = operator.send(Webhooks.request(operator, "unsigned", big, null).header("X-Baton-Event-Id", "big-1"));
        assertEquals(202, op.status(), op.body());
    }
}
