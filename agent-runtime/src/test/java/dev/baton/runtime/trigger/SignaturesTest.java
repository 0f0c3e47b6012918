package dev.baton.runtime.trigger;

import com.standardwebhooks.Webhook;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Signatures as Standard Webhooks makes them: the specification's own test vector, its reference
 * library (com.standardwebhooks) signing for us and verifying ours, the 5-minute tolerance at its
 * edges on a fixed clock, key rotation, and what a replay under another id or time gets.
 */
class SignaturesTest {
    // The test vector of the Standard Webhooks specification and of every one of its libraries' tests.
    private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long SPEC_TIME = 1614265330;
    private static final String SPEC_PAYLOAD = "{\"test\": 2432232314}";
    private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static Signatures at(long epochSecond) {
        return new Signatures(Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC));
    }

    private static Signatures.Headers headers(String id, long time, String signature) {
        return new Signatures.Headers(id, Long.toString(time), signature, false);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theSpecificationsTestVector() {
        assertEquals(SPEC_SIGNATURE, Signatures.sign(SPEC_SECRET, SPEC_ID, SPEC_TIME, utf8(SPEC_PAYLOAD)));
        byte[] key = Signatures.key(SPEC_SECRET);
        assertDoesNotThrow(() -> at(SPEC_TIME).verify(key, headers(SPEC_ID, SPEC_TIME, SPEC_SIGNATURE), utf8(SPEC_PAYLOAD)));
        // the same signature under another id, time or body, or with another key: refused
        assertThrows(BadSignature.class, () -> at(SPEC_TIME).verify(key, headers("msg_other", SPEC_TIME, SPEC_SIGNATURE), utf8(SPEC_PAYLOAD)));
        assertThrows(BadSignature.class, () -> at(SPEC_TIME).verify(key, headers(SPEC_ID, SPEC_TIME + 1, SPEC_SIGNATURE), utf8(SPEC_PAYLOAD)));
        assertThrows(BadSignature.class, () -> at(SPEC_TIME).verify(key, headers(SPEC_ID, SPEC_TIME, SPEC_SIGNATURE), utf8("{\"test\": 2432232315}")));
        assertThrows(BadSignature.class, () -> at(SPEC_TIME).verify(utf8(SPEC_SECRET), headers(SPEC_ID, SPEC_TIME, SPEC_SIGNATURE), utf8(SPEC_PAYLOAD)));
    }

    @Test
    void theReferenceLibrarySignsWhatWeVerifyAndVerifiesWhatWeSign() throws Exception {
        long now = Instant.now().getEpochSecond();
        String payload = "{\"ticket\": {\"id\": 4711, \"subject\": \"Grüße\"}}";
        // a whsec_ secret: both read it as the base64-decoded key
        String whsec = "whsec_" + Base64.getEncoder().encodeToString(utf8("a key of thirty-two bytes, 256 b"));
        String theirs = new Webhook(whsec).sign("msg_1", now, payload);
        assertDoesNotThrow(() -> Signatures.SYSTEM.verify(Signatures.key(whsec), headers("msg_1", now, theirs), utf8(payload)));
        String ours = Signatures.sign(whsec, "msg_2", now, utf8(payload));
        new Webhook(whsec).verify(payload, Map.of(Signatures.ID, List.of("msg_2"), Signatures.TIMESTAMP, List.of(Long.toString(now)),
                Signatures.SIGNATURE, List.of(ours)));
        // any other secret is its UTF-8 bytes (the library takes those as a byte[] key)
        String plain = "a-plain-secret-with-ümlauts";
        String theirsPlain = new Webhook(utf8(plain)).sign("msg_3", now, payload);
        assertEquals(theirsPlain, Signatures.sign(plain, "msg_3", now, utf8(payload)));
        assertDoesNotThrow(() -> Signatures.SYSTEM.verify(Signatures.key(plain), headers("msg_3", now, theirsPlain), utf8(payload)));
    }

    @Test
    void aTimestampMoreThanFiveMinutesFromTheClockIsRefusedEitherWay() {
        long now = 1_800_000_000L;
        String secret = "0123456789abcdef-secret";
        byte[] key = Signatures.key(secret);
        byte[] body = utf8("{}");
        for (long offset : new long[]{-300, -1, 0, 1, 300}) {
            long time = now + offset;
            assertDoesNotThrow(() -> at(now).verify(key, headers("e", time, Signatures.sign(secret, "e", time, body)), body), "offset " + offset);
        }
        for (long offset : new long[]{-301, -360, 301, 360, -86_400}) {
            long time = now + offset;
            BadSignature refused = assertThrows(BadSignature.class,
                    () -> at(now).verify(key, headers("e", time, Signatures.sign(secret, "e", time, body)), body), "offset " + offset);
            assertTrue(refused.getMessage().contains(offset < 0 ? "before the server's time" : "after the server's time"), refused.getMessage());
            // decided before the body or the key is looked at
            assertThrows(BadSignature.class, () -> at(now).check(headers("e", time, "v1,x")));
        }
        for (String bad : new String[]{"", "soon", "1.8e9", "-1", "+1800000000", "2026-01-01T00:00:00Z"}) {
            BadSignature refused = assertThrows(BadSignature.class, () -> at(now).check(new Signatures.Headers("e", bad, "v1,x", false)), bad);
            assertTrue(refused.getMessage().contains(Signatures.TIMESTAMP), refused.getMessage());
        }
    }

    @Test
    void severalSignaturesForKeyRotationAndOtherVersionsIgnored() {
        long now = 1_800_000_000L;
        byte[] body = utf8("{\"a\": 1}");
        String old = "the-old-secret-0123456789";
        String current = "whsec_" + Base64.getEncoder().encodeToString(utf8("the new key, 24 bytes ok"));
        String oldSig = Signatures.sign(old, "e1", now, body);
        String newSig = Signatures.sign(current, "e1", now, body);
        Signatures.Headers both = headers("e1", now, oldSig + " " + newSig);
        // a sender signing with both keys is let in by a trigger holding either
        assertDoesNotThrow(() -> at(now).verify(Signatures.key(old), both, body));
        assertDoesNotThrow(() -> at(now).verify(Signatures.key(current), both, body));
        assertThrows(BadSignature.class, () -> at(now).verify(Signatures.key("a-third-secret-0123456"), both, body));
        // only v1 counts: the same MAC under another version, or malformed entries, are ignored
        String mac = newSig.substring(3);
        assertThrows(BadSignature.class, () -> at(now).verify(Signatures.key(current), headers("e1", now, "v1a," + mac + " v2," + mac + " " + mac), body));
        assertDoesNotThrow(() -> at(now).verify(Signatures.key(current), headers("e1", now, "v1a," + mac + "  garbage v1," + mac), body));
    }

    @Test
    void missingHeadersAndTheOldBodyOnlyFormSayWhatToSend() {
        Signatures signatures = at(1_800_000_000L);
        BadSignature legacy = assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers(null, null, null, true)));
        assertTrue(legacy.getMessage().contains("X-Baton-Signature") && legacy.getMessage().contains("no longer accepted")
                && legacy.getMessage().contains("webhook-signature"), legacy.getMessage());
        BadSignature none = assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers(null, null, null, false)));
        assertTrue(none.getMessage().contains("webhook-id"), none.getMessage());
        BadSignature noId = assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers(null, "1800000000", "v1,x", false)));
        assertTrue(noId.getMessage().contains("webhook-id is missing"), noId.getMessage());
        BadSignature noSig = assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers("e", "1800000000", " ", false)));
        assertTrue(noSig.getMessage().contains("webhook-signature is missing"), noSig.getMessage());
        assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers("x".repeat(201), "1800000000", "v1,x", false)));
        assertEquals(1_800_000_000L, signatures.check(new Signatures.Headers("x".repeat(200), "1800000000", "v1,x", false)));
    }

    @Test
    void whsecSecretsAreBase64Keys() {
        assertArrayEquals(Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Signatures.key(SPEC_SECRET));
        assertArrayEquals(utf8("plain-secret-0123456"), Signatures.key("plain-secret-0123456"));
        assertNull(Signatures.problem(SPEC_SECRET));
        assertNull(Signatures.problem("plain-secret-0123456"));
        assertNotNull(Signatures.problem("whsec_not base64!!!!!!!!"));
        assertNotNull(Signatures.problem("whsec_c2hvcnQ=")); // 5 bytes
        // one stored before whsec_ meant base64 keeps working as it did: its UTF-8 bytes
        assertArrayEquals(utf8("whsec_not base64!!!!!!!!"), Signatures.key("whsec_not base64!!!!!!!!"));
        assertFalse(Signatures.SYSTEM.matches(Signatures.key(SPEC_SECRET), new Signatures.Headers(SPEC_ID, null, SPEC_SIGNATURE, false), utf8(SPEC_PAYLOAD)));
    }
}
