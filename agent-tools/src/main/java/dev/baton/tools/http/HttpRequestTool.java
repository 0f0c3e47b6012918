package dev.baton.tools.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolSettings;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The built-in {@code http.request} tool: one HTTP call to a host on the allowlist.
 *
 * <pre>{@code
 * {"tool": "http.request",
 *  "args": {"method": "POST", "url": "https://hooks.example.com/tickets",
 *           "headers": {"Authorization": "Bearer ..."},
 *           "body": {"ticket": "${input.id}", "queue": "${route.output.queue}"},
 *           "timeout": "PT10S"}}
 * }</pre>
 *
 * <p>Output: {@code {status, headers, body}}, with header names in lower case (repeated headers
 * joined by {@code ", "}) and the body parsed when the response says it is JSON
 * ({@code application/json} or {@code +json}), a string otherwise, null when empty.
 *
 * <p>Safety and failures:
 * <ul>
 *   <li>Only {@code http} and {@code https}, and only hosts on
 *       {@link ToolSettings#allowedHosts()} ({@value ToolSettings#ALLOWED_HOSTS_VARIABLE}); any
 *       other host is refused before a connection is opened, with the permanent code
 *       {@code host_not_allowed}. Redirects are not followed, since a redirect could lead off the
 *       allowlist; a 3xx is returned as an ordinary response.</li>
 *   <li>Every request carries {@code Idempotency-Key: <the task's idempotency key>} unless the
 *       caller set that header, so the far side can recognise a retry.</li>
 *   <li>429 and 5xx are retryable ({@code http_429}, {@code http_503}, ...) with the server's
 *       {@code Retry-After} as {@link ToolException#retryAfter()}; other 4xx are permanent.
 *       No response in time is retryable {@code http_timeout}; no connection (refused,
 *       unknown host, connect timeout) is retryable {@code http_connect}; any other I/O failure
 *       is retryable {@code http_io}. The tool never retries by itself: that is the
 *       orchestrator's job, under the task's retry policy.</li>
 * </ul>
 */
public final class HttpRequestTool implements Tool {

    public static final String NAME = "http.request";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final int MESSAGE_BODY_LIMIT = 300;

    /** One client for every instance: it owns a connection pool and a selector thread. */
    private static final class SharedClient {
        static final HttpClient INSTANCE = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private final HostAllowlist allowlist;
    private final ToolDescriptor descriptor = ToolDescriptor.builder(NAME)
            .description("Sends one HTTP request to an allowed host and returns {status, headers, body}; "
                    + "a JSON response body is parsed. 429 and 5xx answers and timeouts are retryable failures.")
            .parameters(schema())
            .idempotent(false)
            .requiresApproval(false)
            .timeout(DEFAULT_TIMEOUT)
            .retry(RetryPolicy.DEFAULT)
            .source("builtin")
            .build();

    /** @throws IllegalArgumentException when an allowed-host entry is malformed */
    public HttpRequestTool(ToolSettings settings) {
        this.allowlist = new HostAllowlist(settings.allowedHosts());
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        HttpRequestArgs request = HttpRequestArgs.from(args);
        checkDestination(request.url());
        HttpRequest httpRequest = toHttpRequest(request, context);
        HttpResponse<String> response;
        try {
            response = SharedClient.INSTANCE.send(httpRequest, HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw failure("http_connect", "could not connect to " + where(request) + ": " + e, e);
        } catch (HttpTimeoutException e) {
            throw failure("http_timeout", "no response from " + where(request) + " within "
                    + httpRequest.timeout().orElse(DEFAULT_TIMEOUT), e);
        } catch (IOException e) {
            // An unknown host surfaces as an IOException caused by UnresolvedAddressException.
            String code = e.getCause() instanceof UnresolvedAddressException ? "http_connect" : "http_io";
            throw failure(code, where(request) + " failed: " + e, e);
        }
        return toOutput(request, response);
    }

    private void checkDestination(URI url) throws ToolException {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw ToolException.permanent("scheme_not_allowed",
                    "http.request only speaks http and https, not '" + url.getScheme() + "'");
        }
        if (!allowlist.allows(url)) {
            throw ToolException.permanent("host_not_allowed", "http.request may not reach host '" + url.getHost()
                    + "': it is not on the allowlist" + (allowlist.isEmpty() ? ", which is empty" : "")
                    + ". Add it to " + ToolSettings.ALLOWED_HOSTS_VARIABLE
                    + " (comma-separated; '*.example.com' allows every host under example.com)");
        }
    }

    private static HttpRequest toHttpRequest(HttpRequestArgs request, ToolContext context) throws ToolException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.url())
                .timeout(effectiveTimeout(request.timeout(), context))
                .method(request.method(), bodyOf(request.body()));
        try {
            request.headers().forEach(builder::header);
            if (request.body() != null && request.header("Content-Type").isEmpty()) {
                builder.header("Content-Type", request.body().isTextual()
                        ? "text/plain; charset=utf-8" : "application/json");
            }
            if (context != null && context.idempotencyKey() != null && request.header("Idempotency-Key").isEmpty()) {
                builder.header("Idempotency-Key", context.idempotencyKey());
            }
        } catch (IllegalArgumentException e) {
            // java.net.http refuses restricted headers (Host, Connection, Content-Length, ...) and bad values.
            throw ToolException.permanent("invalid_header", "http.request cannot send that header: " + e.getMessage());
        }
        return builder.build();
    }

    private static HttpRequest.BodyPublisher bodyOf(JsonNode body) {
        if (body == null) return HttpRequest.BodyPublishers.noBody();
        return HttpRequest.BodyPublishers.ofString(body.isTextual() ? body.asText() : Json.write(body));
    }

    /**
     * The caller's timeout (30 s when none), but never past the attempt's deadline: once the
     * orchestrator has stopped waiting, an answer is of no use.
     */
    private static Duration effectiveTimeout(Duration requested, ToolContext context) {
        Duration timeout = requested != null ? requested : DEFAULT_TIMEOUT;
        if (context != null && context.deadline() != null) {
            Duration left = Duration.between(Instant.now(), context.deadline());
            if (left.compareTo(timeout) < 0) {
                timeout = left.compareTo(Duration.ofMillis(1)) > 0 ? left : Duration.ofMillis(1);
            }
        }
        return timeout;
    }

    private static JsonNode toOutput(HttpRequestArgs request, HttpResponse<String> response) throws ToolException {
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            Duration retryAfter = RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), Instant.now());
            throw ToolException.retryable("http_" + status, statusMessage(request, response), retryAfter);
        }
        if (status >= 400) {
            throw ToolException.permanent("http_" + status, statusMessage(request, response));
        }
        ObjectNode output = Json.object();
        output.put("status", status);
        ObjectNode headers = output.putObject("headers");
        response.headers().map().forEach((name, values) -> {
            if (!name.startsWith(":")) headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values));
        });
        output.set("body", bodyOf(response));
        return output;
    }

    private static JsonNode bodyOf(HttpResponse<String> response) {
        String body = response.body();
        if (body == null || body.isEmpty()) return NullNode.getInstance();
        if (isJson(response.headers().firstValue("Content-Type").orElse(""))) {
            try {
                return Json.parse(body);
            } catch (JsonProcessingException e) {
                // Mislabelled JSON: still give the caller what the server sent.
                return TextNode.valueOf(body);
            }
        }
        return TextNode.valueOf(body);
    }

    private static boolean isJson(String contentType) {
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json") || mediaType.endsWith("+json");
    }

    private static String statusMessage(HttpRequestArgs request, HttpResponse<String> response) {
        String body = Optional.ofNullable(response.body()).orElse("").strip();
        if (body.length() > MESSAGE_BODY_LIMIT) body = body.substring(0, MESSAGE_BODY_LIMIT) + "...";
        return where(request) + " answered " + response.statusCode() + (body.isEmpty() ? "" : ": " + body);
    }

    /**
     * Method and URL without user info or query string: either may hold secrets, and these
     * messages end up in the journal and the console.
     */
    private static String where(HttpRequestArgs request) {
        URI url = request.url();
        return request.method() + " " + url.getScheme() + "://" + url.getHost()
                + (url.getPort() == -1 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    private static ToolException failure(String code, String message, Throwable cause) {
        return new ToolException(code, message, true, null, cause);
    }

    private static ObjectNode schema() {
        ObjectNode schema = Json.object();
        schema.put("type", "object");
        schema.put("description", "One HTTP request.");
        ObjectNode properties = schema.putObject("properties");

        ObjectNode method = properties.putObject("method");
        method.put("type", "string");
        method.put("description", "HTTP method; GET when not given");
        ArrayNode methods = method.putArray("enum");
        HttpRequestArgs.METHODS.forEach(methods::add);
        method.put("default", "GET");

        ObjectNode url = properties.putObject("url");
        url.put("type", "string");
        url.put("format", "uri");
        url.put("description", "Absolute http or https URL; its host must be on the allowlist");

        ObjectNode headers = properties.putObject("headers");
        headers.put("type", "object");
        headers.put("description", "Request headers, name to value");
        headers.putObject("additionalProperties").put("type", "string");

        properties.putObject("body").put("description",
                "Request body: a string is sent as text/plain, any other JSON value as application/json");

        ObjectNode timeout = properties.putObject("timeout");
        timeout.put("type", "string");
        timeout.put("description", "How long to wait for the response, as an ISO-8601 duration such as PT10S; 30 s when not given");

        schema.putArray("required").add("url");
        schema.put("additionalProperties", false);
        return schema;
    }
}
