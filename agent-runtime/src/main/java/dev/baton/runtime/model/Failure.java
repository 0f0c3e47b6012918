package dev.baton.runtime.model;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.UnresolvedModelServerException;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What one failed attempt means: its {@link ModelException} code, whether to retry, the HTTP status,
 * the server's {@code Retry-After} (null when absent) and a sanitised description.
 */
record Failure(String code, boolean retryable, int httpStatus, Duration retryAfter, String detail) {

    private static final int MAX_DETAIL = 300;
    private static final Pattern AUTH_HEADER = Pattern.compile("(?i)(authorization|api[-_]?key|x-api-key)(\"?\\s*[:=]\\s*\"?)[^\\s\",}]+(\\s+[^\\s\",}]+)?");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+");
    private static final Pattern OPENAI_KEY = Pattern.compile("sk-[A-Za-z0-9_-]{6,}");

    /** Classifies what an attempt threw; {@code apiKey} is removed from any text taken from it. */
    static Failure of(Throwable error, String apiKey, Instant now) {
        HttpException http = find(error, HttpException.class);
        if (http != null) {
            int status = http.statusCode();
            String body = sanitize(http.getMessage(), apiKey);
            Duration retryAfter = http instanceof StatusHttpException s ? parseRetryAfter(s.retryAfter(), now) : null;
            if (status == 429) return new Failure(ModelException.RATE_LIMITED, true, status, retryAfter,
                    "the endpoint rate-limited the call (HTTP 429)" + suffix(body));
            if (status >= 500) return new Failure(ModelException.UNAVAILABLE, true, status, retryAfter,
                    "the endpoint failed (HTTP " + status + ")" + suffix(body));
            if (status == 408) return new Failure(ModelException.TIMEOUT, true, status, retryAfter,
                    "the endpoint timed out the request (HTTP 408)" + suffix(body));
            String why = switch (status) {
                case 401, 403 -> "the endpoint refused the API key (HTTP " + status + "; check OPENAI_API_KEY)";
                case 404 -> "the endpoint does not know this model or path (HTTP 404; check BATON_MODEL and OPENAI_BASE_URL)";
                default -> "the endpoint rejected the request (HTTP " + status + ")";
            };
            return new Failure(ModelException.REJECTED, false, status, null, why + suffix(body));
        }
        if (find(error, dev.langchain4j.exception.TimeoutException.class) != null
                || find(error, HttpTimeoutException.class) != null
                || find(error, java.net.SocketTimeoutException.class) != null
                || find(error, java.util.concurrent.TimeoutException.class) != null) {
            return new Failure(ModelException.TIMEOUT, true, 0, null, "the endpoint did not answer in time");
        }
        if (find(error, UnresolvedModelServerException.class) != null
                || find(error, java.nio.channels.UnresolvedAddressException.class) != null
                || find(error, IOException.class) != null && find(error, com.fasterxml.jackson.core.JacksonException.class) == null) {
            Throwable io = find(error, IOException.class);
            String what = io != null ? io.getClass().getSimpleName() : "unresolved host";
            return new Failure(ModelException.UNAVAILABLE, true, 0, null,
                    "the endpoint could not be reached (" + what + ")" + suffix(sanitize(io != null ? io.getMessage() : null, apiKey)));
        }
        return new Failure(ModelException.BAD_RESPONSE, false, 0, null,
                "the endpoint's answer could not be read as a chat completion (" + rootName(error) + ")"
                        + suffix(sanitize(rootMessage(error), apiKey)));
    }

    /** Removes the key, bearer tokens, Authorization/api-key header values and OpenAI-style keys; shortens. */
    static String sanitize(String text, String apiKey) {
        if (text == null || text.isBlank()) return "";
        String s = text;
        if (apiKey != null && apiKey.length() >= 4) s = s.replace(apiKey, "***");
        s = BEARER.matcher(s).replaceAll("Bearer ***");
        s = AUTH_HEADER.matcher(s).replaceAll("$1$2***");
        s = OPENAI_KEY.matcher(s).replaceAll("sk-***");
        s = s.replaceAll("\\s+", " ").trim();
        return s.length() > MAX_DETAIL ? s.substring(0, MAX_DETAIL) + "..." : s;
    }

    /**
     * Parses {@code Retry-After}: delay-seconds or an HTTP date (RFC 1123). Null when absent or unreadable;
     * a date in the past gives zero.
     */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) return null;
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException ignored) {
            // maybe a date
        }
        try {
            double seconds = Double.parseDouble(v);
            if (seconds >= 0 && seconds < 1e6) return Duration.ofMillis((long) (seconds * 1000));
        } catch (NumberFormatException ignored) {
            // maybe a date
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)).toInstant();
            Duration d = Duration.between(now, at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String suffix(String detail) {
        return detail == null || detail.isEmpty() ? "" : ": " + detail;
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) return type.cast(t);
        }
        return null;
    }

    private static Throwable root(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    private static String rootName(Throwable error) {
        return root(error).getClass().getSimpleName();
    }

    private static String rootMessage(Throwable error) {
        return root(error).getMessage();
    }
}
