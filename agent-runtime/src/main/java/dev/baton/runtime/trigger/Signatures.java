package dev.baton.runtime.trigger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

/** HMAC-SHA256 signatures of event bodies: {@code X-Baton-Signature: sha256=<hex>}. */
public final class Signatures {
    public static final String HEADER = "X-Baton-Signature";
    private static final String PREFIX = "sha256=";

    private Signatures() {
    }

    /** The header value for {@code body} signed with {@code secret}. */
    public static String sign(String secret, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(hmac(secret, body));
    }

    /**
     * Checks a signature header against the body, in constant time.
     *
     * @throws BadSignature if the header is missing, malformed or wrong
     */
    public static void verify(String secret, byte[] body, String header) {
        if (header == null || header.isBlank()) {
            throw new BadSignature("this trigger requires the header " + HEADER + ": sha256=<hex HMAC-SHA256 of the raw body>");
        }
        String value = header.trim();
        byte[] given;
        try {
            if (!value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) throw new IllegalArgumentException();
            given = HexFormat.of().parseHex(value.substring(PREFIX.length()).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadSignature("the header " + HEADER + " must be sha256=<64 hex digits>");
        }
        // MessageDigest.isEqual takes the same time wherever the first difference is.
        if (!MessageDigest.isEqual(hmac(secret, body), given)) {
            throw new BadSignature("the " + HEADER + " does not match the body: sign the raw body with the trigger's secret");
        }
    }

    private static byte[] hmac(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
