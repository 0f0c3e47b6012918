package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on API error answers: status, JSON error body, code, message, and never a stack trace. */
public final class ApiAssert {
    private ApiAssert() {
    }

    /**
     * Asserts an API error: the status, a JSON body {@code {"error": {"code", "message", "details"}}}
     * with this code, a message holding every fragment (case-insensitive), and no stack trace.
     *
     * @return the {@code error} object
     */
    public static JsonNode assertError(Api.Response response, int status, String code, String... messageFragments) {
        String context = response.status() + " " + response.body();
        assertEquals(status, response.status(), "status; response: " + context);
        String type = response.header("Content-Type");
        assertNotNull(type, "an error has a Content-Type; response: " + context);
        assertTrue(type.startsWith("application/json"), "an error is JSON, not " + type);
        assertNoStackTrace(response.body());
        JsonNode error = response.json().path("error");
        assertTrue(error.isObject(), "body has an 'error' object: " + context);
        assertEquals(code, error.path("code").asText(null), "error code; response: " + context);
        String message = error.path("message").asText("");
        assertFalse(message.isBlank(), "error has a message: " + context);
        for (String fragment : messageFragments) {
            assertTrue(message.toLowerCase(Locale.ROOT).contains(fragment.toLowerCase(Locale.ROOT)),
                    "message should mention '" + fragment + "': " + message);
        }
        assertTrue(error.has("details"), "error has details (possibly empty): " + context);
        return error;
    }

    /** No Java stack trace or exception class name leaks into a body. */
    public static void assertNoStackTrace(String body) {
        if (body == null) return;
        assertFalse(body.contains("\tat ") || body.matches("(?s).*\\bat [a-z]+(\\.[a-zA-Z0-9_$]+)+\\(.*"),
                "body holds a stack trace: " + body);
        assertFalse(body.matches("(?s).*\\b(java|io\\.vertx|com\\.fasterxml|dev\\.baton)\\.[a-zA-Z.]*(Exception|Error)\\b.*"),
                "body names an exception class: " + body);
    }
}
