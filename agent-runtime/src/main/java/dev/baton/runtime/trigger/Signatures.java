package dev.baton.runtime.trigger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Event signatures as <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> makes them,
 * so that its libraries and the services that use it work unchanged:
 * <pre>
 * webhook-id: msg_2KWPBgLlAfxdpx2AI54pPJ85f4W
 * webhook-timestamp: 1674087231                       (Unix seconds)
 * webhook-signature: v1,&lt;base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}"&gt;
 * </pre>
 * The id and the time are signed with the body: a captured event cannot be sent again under another
 * id (its signature no longer matches), and not after {@link #TOLERANCE} (its time is stale), which
 * the body-only signature of earlier versions ({@value #LEGACY_HEADER}) allowed forever.
 * {@code webhook-signature} may hold several space-separated signatures (while a secret is rotated);
 * one that matches is enough, and versions other than {@code v1} are ignored. A secret written
 * {@code whsec_<base64>} is the base64-decoded key (as Standard Webhooks' libraries and Svix write
 * them); any other secret is the key as its UTF-8 bytes.
 *
 * <p>The clock is a constructor argument so that tests can put the server's time where they need it.
 */
public final class Signatures {
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    /** The body-only signature of Baton before Standard Webhooks: refused, since it could be replayed. */
    public static final String LEGACY_HEADER = "X-Baton-Signature";
    /** How far a timestamp may be from the server's clock, either way. */
    public static final Duration TOLERANCE = Duration.ofMinutes(5);
    /** The prefix of a base64-encoded secret. */
    public static final String SECRET_PREFIX = "whsec_";
    /** The longest {@code webhook-id} taken (it becomes part of an idempotency key). */
    public static final int MAX_ID_LENGTH = 200;
    /** The shortest key a {@code whsec_} secret may decode to (Standard Webhooks recommends 24 to 64 bytes). */
    static final int MIN_KEY_BYTES = 16;
    /** The signature scheme this class makes and checks. */
    private static final String VERSION = "v1";
    private static final Pattern SECONDS = Pattern.compile("[0-9]{1,15}");
    private static final String HOW = "sign '{webhook-id}.{webhook-timestamp}.{raw body}' with HMAC-SHA256 and the trigger's secret"
            + " and send 'webhook-signature: v1,<base64 of the MAC>' (docs/triggers.md)";

    /** Verification against the system clock. */
    public static final Signatures SYSTEM = new Signatures(Clock.systemUTC());

    private final Clock clock;

    public Signatures(Clock clock) {
        this.clock = clock;
    }

    /**
     * The signed headers of one event, as received (null when absent).
     *
     * @param legacy whether the request carried {@value #LEGACY_HEADER}, which is no longer accepted
     */
    public record Headers(String id, String timestamp, String signature, boolean legacy) {
    }

    /**
     * Checks what can be checked before the body is read, whichever the trigger: the three headers
     * are there, the id is at most {@value #MAX_ID_LENGTH} characters, and the timestamp is within
     * {@link #TOLERANCE} of the clock.
     *
     * @return the timestamp, in Unix seconds
     * @throws BadSignature saying what is missing or wrong
     */
    public long check(Headers headers) {
        if (headers.id() == null && headers.timestamp() == null && headers.signature() == null) {
            throw new BadSignature(headers.legacy()
                    ? LEGACY_HEADER + " (a signature of the body alone) is no longer accepted: anyone who saw one event could"
                    + " send it again, forever. Sign events as Standard Webhooks does, with the headers " + ID + ", " + TIMESTAMP
                    + " and " + SIGNATURE + ": " + HOW
                    : "this event needs the headers " + ID + ", " + TIMESTAMP + " and " + SIGNATURE + " (Standard Webhooks): " + HOW);
        }
        for (String[] header : new String[][]{{ID, headers.id()}, {TIMESTAMP, headers.timestamp()}, {SIGNATURE, headers.signature()}}) {
            if (header[1] == null || header[1].isBlank()) throw new BadSignature("the header " + header[0] + " is missing: " + HOW);
        }
        if (headers.id().length() > MAX_ID_LENGTH) {
            throw new BadSignature("the header " + ID + " must hold at most " + MAX_ID_LENGTH + " characters");
        }
        String text = headers.timestamp().trim();
        if (!SECONDS.matcher(text).matches()) {
            throw new BadSignature("the header " + TIMESTAMP + " must be the time of sending in Unix seconds, such as "
                    + clock.instant().getEpochSecond());
        }
        long timestamp = Long.parseLong(text);
        long now = clock.instant().getEpochSecond();
        long tolerance = TOLERANCE.toSeconds();
        if (timestamp < now - tolerance || timestamp > now + tolerance) {
            throw new BadSignature("the " + TIMESTAMP + " " + timestamp + " is " + Math.abs(now - timestamp) + " s "
                    + (timestamp < now ? "before" : "after") + " the server's time (" + now + "); events are accepted within "
                    + tolerance + " s of it, so an old event cannot be sent again: sign each delivery with the time it is sent,"
                    + " and keep the sender's clock right");
        }
        return timestamp;
    }

    /**
     * Whether one of the {@code v1} signatures in the headers is the signature of the id, the
     * timestamp and the body with {@code key}. Takes the same time wherever a signature differs
     * and whichever matches; does not check the timestamp's age (see {@link #check}).
     */
    public boolean matches(byte[] key, Headers headers, byte[] body) {
        if (headers.id() == null || headers.timestamp() == null || headers.signature() == null) return false;
        String timestamp = headers.timestamp().trim();
        if (!SECONDS.matcher(timestamp).matches()) return false;
        // The number as the libraries write it (their verifiers sign the parsed number, so "007" is signed as "7").
        byte[] expected = encode(mac(key, headers.id(), Long.toString(Long.parseLong(timestamp)), body)).getBytes(StandardCharsets.US_ASCII);
        boolean found = false;
        for (String entry : headers.signature().trim().split(" +")) {
            int comma = entry.indexOf(',');
            if (comma < 0 || !entry.substring(0, comma).equals(VERSION)) continue; // v1a (asymmetric) and later versions
            // MessageDigest.isEqual takes the same time wherever the first difference is.
            found |= MessageDigest.isEqual(expected, entry.substring(comma + 1).getBytes(StandardCharsets.US_ASCII));
        }
        return found;
    }

    /**
     * Checks the headers ({@link #check}) and the signature.
     *
     * @throws BadSignature saying what is missing or wrong
     */
    public void verify(byte[] key, Headers headers, byte[] body) {
        check(headers);
        if (!matches(key, headers, body)) throw new BadSignature(mismatch());
    }

    /** The message for a signature that does not match (or a sender who is not let in otherwise). */
    public static String mismatch() {
        return "no signature in " + SIGNATURE + " matches this event: " + HOW;
    }

    /** The {@code webhook-signature} value for an event: {@code v1,<base64>}. */
    public static String sign(String secret, String id, long timestamp, byte[] body) {
        return VERSION + "," + encode(mac(key(secret), id, Long.toString(timestamp), body));
    }

    /**
     * The HMAC key a secret stands for: the base64-decoded rest of a {@code whsec_} secret, else the
     * secret's UTF-8 bytes. (A {@code whsec_} secret that is not base64 is refused when a trigger is
     * created; one stored before secrets were read this way stays its UTF-8 bytes.)
     */
    public static byte[] key(String secret) {
        if (secret.startsWith(SECRET_PREFIX)) {
            try {
                return Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
            } catch (IllegalArgumentException notBase64) {
                // falls through
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    /** Why a secret cannot be used for new triggers, or null if it can. */
    static String problem(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) return null;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return "a secret written " + SECRET_PREFIX + "... must be base64 after the prefix (" + e.getMessage() + ")";
        }
        return key.length < MIN_KEY_BYTES ? "a secret written " + SECRET_PREFIX + "... must decode to at least " + MIN_KEY_BYTES
                + " bytes; this one has " + key.length : null;
    }

    private static byte[] mac(byte[] key, String id, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static String encode(byte[] mac) {
        return Base64.getEncoder().encodeToString(mac);
    }
}
