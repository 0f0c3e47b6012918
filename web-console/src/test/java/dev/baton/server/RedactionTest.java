package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The masking rule on its own: which keys, which values, which callers; and base URLs without credentials. */
class RedactionTest {
    static final Caller VIEWER = new Caller("vera", Set.of(Role.VIEWER));

    private static JsonNode json(String text) throws Exception {
        return Json.parse(text);
    }

    @Test
    void keysNamedLikeCredentialsAreMaskedAtAnyDepthWhateverTheirCase() throws Exception {
        JsonNode in = json("""
                {"token": "t1", "access_token": "t2", "refreshToken": "t3", "X-Auth-Token": "t4",
                 "password": "p1", "PASSWD": "p2", "db_passphrase": "p3", "pwd": "p4",
                 "secret": "s1", "clientSecret": "s2", "Authorization": "Bearer b", "proxy-authorization": "Basic c",
                 "api_key": "k1", "apiKey": "k2", "API-KEY": "k3", "x-api-key": "k4", "aws_access_key_id": "k5",
                 "private_key": {"pem": "-----BEGIN"}, "Cookie": "c=1", "set-cookie": ["a=1"], "credentials": {"user": "u"},
                 "auth": {"user": "u", "pass": "p"},
                 "list": [{"deep": {"Password": 1234}}], "nothing": null}""");
        JsonNode out = Redaction.forCaller(VIEWER, in);
        out.properties().forEach(field -> {
            if (field.getKey().equals("list") || field.getKey().equals("nothing")) return;
            assertEquals(Redaction.MASK, field.getValue().asText(), field.getKey() + " in " + out);
        });
        assertEquals(Redaction.MASK, out.path("list").get(0).path("deep").path("Password").asText(), "a number under a password key too");
        assertTrue(out.path("nothing").isNull(), "null stays null");
        assertEquals("t1", in.path("token").asText(), "the caller's node itself is left alone");
    }

    @Test
    void tokenCountsAndOrdinaryKeysStay() throws Exception {
        JsonNode in = json("""
                {"usage": {"promptTokens": 12, "completionTokens": 3, "maxTokens": 100}, "idempotencyKey": "r_1:a",
                 "key": "route", "keyboard": "de", "author": "ann", "title": "reset the password form", "status": "RUNNING",
                 "args": {"user": "bob", "url": "https://example.com/a?page=2"}}""");
        JsonNode out = Redaction.forCaller(VIEWER, in);
        assertSame(in, out, "nothing to mask: the node itself");
    }

    @Test
    void credentialsInsideStringsAreMasked() {
        assertEquals("https://***@example.com/v1", Redaction.maskText("https://bob:hunter2@example.com/v1"));
        assertEquals("see postgres://***@db:5432/x and https://***@h/", Redaction.maskText("see postgres://u:p@db:5432/x and https://t@h/"));
        assertEquals("https://h/x?api_key=***&page=2&access_token=***",
                Redaction.maskText("https://h/x?api_key=K&page=2&access_token=T"));
        assertEquals(null, Redaction.maskText("https://h/x?page=2"), "nothing to mask");
        assertEquals(null, Redaction.maskText("a = b"), "nothing to mask");
        assertEquals(null, Redaction.maskText("https://***@h/x?token=***"), "masked already");
    }

    @Test
    void onlyCallersWhoMayOnlyReadSeeMasks() {
        assertTrue(Redaction.masks(VIEWER));
        assertFalse(Redaction.masks(new Caller("otto", Set.of(Role.OPERATOR))));
        assertFalse(Redaction.masks(new Caller("alice", Set.of(Role.APPROVER))));
        assertFalse(Redaction.masks(new Caller("ops", Set.of(Role.VIEWER, Role.OPERATOR))));
        assertFalse(Redaction.masks(new Caller("root", Set.of(Role.ADMIN))));
        assertFalse(Redaction.masks(Caller.LOCAL), "without tokens everyone is the local admin");
    }

    @Test
    void aBaseUrlLosesItsUserPasswordQueryAndFragment() {
        assertEquals("https://host/v1", Redaction.url("https://user:pass@host/v1?key=abc"));
        assertEquals("https://models.example.com:8443/v1", Redaction.url("https://u:p@models.example.com:8443/v1?api-key=q#f"));
        assertEquals("http://localhost:11434/v1", Redaction.url("http://localhost:11434/v1"));
        assertEquals("http://[::1]:8080/v1", Redaction.url("http://k@[::1]:8080/v1"));
        assertEquals("https://host/a%20b", Redaction.url("https://host/a%20b"));
        assertEquals("https://host/v1", Redaction.url("https://user:p@ss w@host/v1?x"), "not a URI Java reads: cut by hand");
    }
}
