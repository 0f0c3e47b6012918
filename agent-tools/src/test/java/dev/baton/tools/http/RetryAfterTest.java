package dev.baton.tools.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void secondsAndHttpDates() {
        assertEquals(Duration.ofSeconds(120), RetryAfter.parse(" 120 ", NOW));
        assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Sat, 01 Mar 2025 12:01:30 GMT", NOW));
        assertEquals(Duration.ZERO, RetryAfter.parse("Sat, 01 Mar 2025 11:00:00 GMT", NOW));
    }

    @Test
    void missingOrUnreadableIsNull() {
        assertNull(RetryAfter.parse(null, NOW));
        assertNull(RetryAfter.parse("", NOW));
        assertNull(RetryAfter.parse("soon", NOW));
        assertNull(RetryAfter.parse("-5", NOW));
        assertNull(RetryAfter.parse("99999999999999999999999", NOW));
    }
}
