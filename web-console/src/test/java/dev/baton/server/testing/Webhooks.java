package dev.baton.server.testing;

import dev.baton.runtime.trigger.Signatures;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Events for the trigger event route, signed as Standard Webhooks signs them (see {@link Signatures}). */
public final class Webhooks {
    private Webhooks() {
    }

    /** The three {@code webhook-*} headers of one event. */
    public record Signed(String id, long timestamp, String signature) {
        /** The same headers with another id (a replay under a new id keeps the captured signature). */
        public Signed withId(String other) {
            return new Signed(other, timestamp, signature);
        }
    }

    /** Signed now. */
    public static Signed sign(String secret, String id, String body) {
        return sign(secret, id, body, Instant.now());
    }

    public static Signed sign(String secret, String id, String body, Instant at) {
        long timestamp = at.getEpochSecond();
        return new Signed(id, timestamp, Signatures.sign(secret, id, timestamp, body.getBytes(StandardCharsets.UTF_8)));
    }

    /** Posts an event as JSON, with the signed headers when {@code signed} is not null. */
    public static Api.Response send(Api as, String trigger, String body, Signed signed) {
        return as.send(request(as, trigger, body, signed));
    }

    public static HttpRequest.Builder request(Api as, String trigger, String body, Signed signed) {
        HttpRequest.Builder b = as.request("/api/triggers/" + trigger + "/events")
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (signed != null) {
            b.header(Signatures.ID, signed.id()).header(Signatures.TIMESTAMP, Long.toString(signed.timestamp()))
                    .header(Signatures.SIGNATURE, signed.signature());
        }
        return b;
    }
}
