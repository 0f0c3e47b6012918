package dev.baton.tools.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.ToolException;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The arguments of {@code http.request}, read and checked.
 *
 * @param method  upper-case HTTP method, GET when not given
 * @param url     absolute http or https URL
 * @param headers request headers as given, in order
 * @param body    the body as a JSON value, or null for none
 * @param timeout how long to wait for the response, or null for the tool's default
 */
record HttpRequestArgs(String method, URI url, Map<String, String> headers, JsonNode body, Duration timeout) {

    static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

    /** Reads {@code {method, url, headers?, body?, timeout?}}; every fault is a permanent {@code invalid_arguments}. */
    static HttpRequestArgs from(JsonNode args) throws ToolException {
        if (args == null || !args.isObject()) {
            throw invalid("arguments must be a JSON object with at least a 'url'");
        }
        String method = text(args, "method").orElse("GET").toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw invalid("method '" + method + "' is not one of " + METHODS);
        }
        URI url = parseUrl(text(args, "url").orElseThrow(() -> invalid("'url' is required")));
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode headerNode = args.path("headers");
        if (!headerNode.isMissingNode() && !headerNode.isNull()) {
            if (!headerNode.isObject()) throw invalid("'headers' must be an object of header names to values");
            for (Iterator<Map.Entry<String, JsonNode>> fields = headerNode.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getValue().isValueNode()) {
                    throw invalid("header '" + field.getKey() + "' must have a string value, not " + field.getValue().getNodeType());
                }
                headers.put(field.getKey(), field.getValue().asText());
            }
        }
        JsonNode body = args.hasNonNull("body") ? args.get("body") : null;
        String timeoutText = text(args, "timeout").orElse(null);
        Duration timeout = timeoutText == null ? null : parseTimeout(timeoutText);
        return new HttpRequestArgs(method, url, headers, body, timeout);
    }

    /** The value of a header the caller set, whatever its case. */
    Optional<String> header(String name) {
        return headers.entrySet().stream()
                .filter(header -> header.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    private static Optional<String> text(JsonNode args, String field) {
        JsonNode node = args.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
    }

    private static URI parseUrl(String text) throws ToolException {
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw invalid("url '" + text + "' is not a valid URL: " + e.getReason());
        }
        // A host the URI parser cannot read (an underscore, say) leaves getHost() null: refuse it
        // rather than let the allowlist and the HTTP client disagree about where the call goes.
        if (!url.isAbsolute() || url.getHost() == null) {
            throw invalid("url '" + text + "' must be absolute with a host, e.g. https://api.example.com/items");
        }
        return url;
    }

    private static Duration parseTimeout(String text) throws ToolException {
        Duration timeout;
        try {
            timeout = Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw invalid("'timeout' must be an ISO-8601 duration such as PT10S, was '" + text + "'");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw invalid("'timeout' must be positive, was " + text);
        }
        return timeout;
    }

    private static ToolException invalid(String message) {
        return ToolException.permanent("invalid_arguments", message);
    }
}
