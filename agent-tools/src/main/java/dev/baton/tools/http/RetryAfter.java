package dev.baton.tools.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads an HTTP {@code Retry-After} header: a number of seconds, or an HTTP-date. */
final class RetryAfter {

    private RetryAfter() {
    }

    /**
     * The delay the header asks for, counted from {@code now}; zero for a date in the past;
     * null when the header is missing or unreadable.
     */
    static Duration parse(String value, Instant now) {
        if (value == null || value.isBlank()) return null;
        String text = value.trim();
        if (text.chars().allMatch(Character::isDigit)) {
            try {
                return Duration.ofSeconds(Long.parseLong(text));
            } catch (NumberFormatException tooLong) {
                return null;
            }
        }
        try {
            Instant when = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return when.isAfter(now) ? Duration.between(now, when) : Duration.ZERO;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
