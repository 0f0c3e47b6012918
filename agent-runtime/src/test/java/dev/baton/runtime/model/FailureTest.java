package dev.baton.runtime.model;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailureTest {

    private static final String KEY = "sk-proj-SECRET-abcdef0123456789";

    @Test
    void retryAfterInSecondsOrAsHttpDate() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(Duration.ofSeconds(2), Failure.parseRetryAfter("2", now));
        assertEquals(Duration.ofMillis(1500), Failure.parseRetryAfter("1.5", now));
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(7).atOffset(ZoneOffset.UTC));
        assertEquals(Duration.ofSeconds(7), Failure.parseRetryAfter(date, now));
        assertEquals(Duration.ZERO, Failure.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now));
        assertNull(Failure.parseRetryAfter("soon", now));
        assertNull(Failure.parseRetryAfter(null, now));
    }

    @Test
    void classifiesWrappedHttpErrors() {
        Failure f = Failure.of(new RateLimitException(new StatusHttpException(429, "slow down", "3")), KEY, Instant.now());
        assertEquals(ModelException.RATE_LIMITED, f.code());
        assertTrue(f.retryable());
        assertEquals(Duration.ofSeconds(3), f.retryAfter());
        Failure plain = Failure.of(new HttpException(503, "busy"), KEY, Instant.now());
        assertEquals(ModelException.UNAVAILABLE, plain.code());
        assertNull(plain.retryAfter());
        Failure rejected = Failure.of(new HttpException(400, "bad"), KEY, Instant.now());
        assertEquals(ModelException.REJECTED, rejected.code());
        assertFalse(rejected.retryable());
    }

    @Test
    void sanitizeRemovesKeysAndAuthorizationHeaders() {
        String text = "echo: Authorization: Bearer " + KEY + " and api_key=" + KEY + " and {\"Authorization\":\"Bearer xyz123\"} other sk-abcdefghijkl";
        String s = Failure.sanitize(text, KEY);
        assertFalse(s.contains(KEY), s);
        assertFalse(s.contains("SECRET"), s);
        assertFalse(s.contains("xyz123"), s);
        assertFalse(s.contains("abcdefghijkl"), s);
        assertTrue(s.startsWith("echo:"), s);
    }
}
