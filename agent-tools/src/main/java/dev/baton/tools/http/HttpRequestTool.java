package dev.baton.tools.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolSettings;

import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

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
 *   <li>Only {@code http} and {@code https}, and only hosts on the {@link HostAllowlist}
 *       ({@value ToolSettings#ALLOWED_HOSTS_VARIABLE}); any other host is refused before a
 *       connection is opened, with the permanent code {@code host_not_allowed}.</li>
 *   <li>The host is then resolved (through a {@link HostResolver}) and every address it resolves to is
 *       checked: a private, loopback, link-local (cloud metadata), unspecified, shared, multicast or
 *       other non-public address that the allowlist does not name explicitly refuses the whole request,
 *       with the permanent code {@code address_not_allowed}. The client then connects only to the
 *       addresses checked ({@link Destination}), never resolving the name again, while the name stays in
 *       the {@code Host} header, the TLS server name and the certificate check. No proxy is used, since
 *       a proxy would resolve the name itself.</li>
 *   <li>Redirects are not followed, since a redirect could lead off the allowlist or to an unchecked
 *       address; a 3xx is returned as an ordinary response.</li>
 *   <li>Every request carries {@code Idempotency-Key: <the task's idempotency key>} unless the
 *       caller set that header, so the far side can recognise a retry; and the run's W3C trace context
 *       ({@code traceparent}, {@code tracestate}: {@link ToolContext#traceHeaders()}) unless the caller set
 *       those, so the far side joins the run's trace. {@code Host},
 *       {@code Connection}, {@code Content-Length}, {@code Transfer-Encoding} and the other headers
 *       that shape the connection are the client's: a caller setting one is refused
 *       ({@code invalid_header}). A GET or HEAD carries no body ({@code invalid_arguments}).</li>
 *   <li>429 and 5xx are retryable ({@code http_429}, {@code http_503}, ...) with the server's
 *       {@code Retry-After} as {@link ToolException#retryAfter()}; other 4xx are permanent.
 *       No response in time is retryable {@code http_timeout} (the timeout covers the whole call,
 *       body included, and never runs past the attempt's deadline); no connection (refused,
 *       unknown host, connect timeout) is retryable {@code http_connect}; any other I/O failure
 *       is retryable {@code http_io}. The tool never retries by itself: that is the
 *       orchestrator's job, under the task's retry policy.</li>
 *   <li>Messages name the method, scheme, host and port, never the path, query or user info:
 *       a webhook's path is often its secret (Slack's is), and these messages are shown in the
 *       journal, the console and notifications.</li>
 * </ul>
 */
public final class HttpRequestTool implements BatonTool {

    public static final String NAME = "http.request";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MESSAGE_BODY_LIMIT = 300;
    /** Headers that shape the connection or the message framing: the client sets them. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("host", "connection", "content-length",
            "transfer-encoding", "expect", "upgrade", "te", "trailer", "keep-alive", "proxy-connection");

    /**
     * One client for every instance: it owns the connection pool. Each call derives a client from it
     * (sharing the pool) with its own {@link Destination} and timeout.
     */
    private static final class SharedClient {
        static final OkHttpClient INSTANCE = new OkHttpClient.Builder()
                .followRedirects(false)
                .followSslRedirects(false)
                .proxy(Proxy.NO_PROXY)
                .connectTimeout(CONNECT_TIMEOUT)
                // The call timeout of each call bounds it whole; no separate read or write limit.
                .readTimeout(Duration.ZERO)
                .writeTimeout(Duration.ZERO)
                .build();
    }

    private final HostAllowlist allowlist;
    private final HostResolver resolver;
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

    /**
     * The tool over {@link ToolSettings#allowedHosts()}, resolving names with the JVM's resolver.
     *
     * @throws IllegalArgumentException when an allowed-host entry is malformed
     */
    public HttpRequestTool(ToolSettings settings) {
        this(new HostAllowlist(settings.allowedHosts()), HostResolver.SYSTEM);
    }

    /** The tool over {@code allowlist}, resolving names with {@code resolver}. */
    public HttpRequestTool(HostAllowlist allowlist, HostResolver resolver) {
        this.allowlist = allowlist;
        this.resolver = resolver;
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        HttpRequestArgs request = HttpRequestArgs.from(args);
        HttpUrl url = checkScheme(request.url());
        Destination destination = checkDestination(url);
        Request httpRequest = toHttpRequest(request, url, context);
        Duration timeout = effectiveTimeout(request.timeout(), context);
        OkHttpClient client = SharedClient.INSTANCE.newBuilder().dns(destination).callTimeout(timeout).build();
        try (Response response = client.newCall(httpRequest).execute()) {
            String body = response.body().string(); // read within the call timeout
            return toOutput(request, response, body);
        } catch (ConnectException | NoRouteToHostException | UnknownHostException e) {
            throw failure("http_connect", "could not connect to " + where(request) + ": " + e, e);
        } catch (InterruptedIOException e) {
            if (e instanceof SocketTimeoutException && isConnectTimeout(e)) {
                throw failure("http_connect", "could not connect to " + where(request) + " within " + CONNECT_TIMEOUT, e);
            }
            if (Thread.currentThread().isInterrupted()) {
                InterruptedException interrupted = new InterruptedException(where(request) + " was interrupted");
                interrupted.initCause(e);
                throw interrupted;
            }
            throw failure("http_timeout", "no response from " + where(request) + " within " + timeout, e);
        } catch (IOException e) {
            throw failure("http_io", where(request) + " failed: " + e, e);
        }
    }

    private static HttpUrl checkScheme(URI url) throws ToolException {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw ToolException.permanent("scheme_not_allowed",
                    "http.request only speaks http and https, not '" + url.getScheme() + "'");
        }
        HttpUrl parsed = HttpUrl.get(url);
        if (parsed == null) {
            throw ToolException.permanent("invalid_arguments", "url " + url.getScheme() + "://" + url.getHost()
                    + "... is not a URL http.request can send to");
        }
        return parsed;
    }

    /**
     * The host on the allowlist, resolved, and every address checked: the addresses the call may
     * connect to, and no other.
     */
    private Destination checkDestination(HttpUrl url) throws ToolException {
        String host = url.host(); // as the client will use it: lower case, IPv6 without brackets
        int port = url.port();
        InetAddress literal;
        try {
            literal = IpRange.literal(host);
        } catch (IllegalArgumentException e) {
            throw ToolException.permanent("invalid_arguments", "url host " + e.getMessage());
        }
        if (!allowlist.allows(host, port)) {
            throw ToolException.permanent("host_not_allowed", "http.request may not reach host '" + host
                    + "': it is not on the allowlist" + (allowlist.isEmpty() ? ", which is empty" : "")
                    + ". Add it to " + ToolSettings.ALLOWED_HOSTS_VARIABLE
                    + " (comma-separated; '*.example.com' allows every host under example.com"
                    + (literal == null ? "" : "; an IP address or block such as 10.0.0.0/8 allows those addresses") + ")");
        }
        List<InetAddress> addresses;
        if (literal != null) {
            addresses = List.of(literal);
        } else {
            try {
                addresses = resolver.resolve(host);
            } catch (UnknownHostException e) {
                throw ToolException.retryable("http_connect", "could not resolve host '" + host + "'");
            }
            if (addresses == null || addresses.isEmpty()) {
                throw ToolException.retryable("http_connect", "host '" + host + "' resolved to no address");
            }
        }
        // Every address, not just the first: a mixed answer (one public, one private) is what a
        // rebinding attack looks like, and connecting only to the public ones would hide the problem.
        for (InetAddress address : addresses) {
            Optional<String> refusal = allowlist.refusal(host, port, address);
            if (refusal.isPresent()) {
                String shown = IpRange.canonical(address).getHostAddress();
                String kind = ("aeiou".indexOf(Character.toLowerCase(refusal.get().charAt(0))) >= 0 ? "an " : "a ") + refusal.get();
                throw ToolException.permanent("address_not_allowed", "http.request may not reach host '" + host + "': "
                        + (literal != null ? "it is " : "it resolves to " + shown + ", ") + kind
                        + ". Non-public addresses are reached only when " + ToolSettings.ALLOWED_HOSTS_VARIABLE
                        + " names the address or its block (" + shown + " or a CIDR such as 10.0.0.0/8); "
                        + "a host name or *.domain entry alone never allows them");
            }
        }
        return new Destination(host, port, addresses);
    }

    private static boolean isConnectTimeout(InterruptedIOException e) {
        return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("connect");
    }

    private static Request toHttpRequest(HttpRequestArgs request, HttpUrl url, ToolContext context) throws ToolException {
        Request.Builder builder = new Request.Builder().url(url);
        for (var header : request.headers().entrySet()) {
            String name = header.getKey();
            if (RESTRICTED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw ToolException.permanent("invalid_header", "http.request cannot send the header '" + name
                        + "': the HTTP client sets it");
            }
            try {
                builder.addHeader(name, header.getValue());
            } catch (IllegalArgumentException e) {
                // Not e's message: it would quote the value, which may be a credential.
                throw ToolException.permanent("invalid_header", "http.request cannot send the header '" + name
                        + "': its name or value holds a character HTTP does not allow (a line break, say)");
            }
        }
        if (request.body() != null && request.header("Content-Type").isEmpty()) {
            builder.header("Content-Type", request.body().isTextual() ? "text/plain; charset=utf-8" : "application/json");
        }
        if (context != null && context.idempotencyKey() != null && request.header("Idempotency-Key").isEmpty()) {
            builder.header("Idempotency-Key", context.idempotencyKey());
        }
        // The run's trace goes on to the far side (W3C traceparent/tracestate of this call's span), unless the caller set it.
        if (context != null) {
            context.traceHeaders().forEach((name, value) -> {
                if (request.header(name).isEmpty()) builder.header(name, value);
            });
        }
        builder.method(request.method(), bodyOf(request));
        return builder.build();
    }

    /** The body without a media type of its own, so that the Content-Type header above is the one sent. */
    private static RequestBody bodyOf(HttpRequestArgs request) throws ToolException {
        JsonNode body = request.body();
        String method = request.method();
        if (body == null) {
            // OkHttp insists on a body for these, as HTTP/1.1 framing wants a length: an empty one.
            return Set.of("POST", "PUT", "PATCH").contains(method) ? RequestBody.create(new byte[0], (MediaType) null) : null;
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            throw ToolException.permanent("invalid_arguments", "a " + request.method() + " request carries no body: use POST, PUT, PATCH or DELETE");
        }
        return RequestBody.create(body.isTextual() ? body.asText() : Json.write(body), (MediaType) null);
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

    private static JsonNode toOutput(HttpRequestArgs request, Response response, String body) throws ToolException {
        int status = response.code();
        if (status == 429 || status >= 500) {
            Duration retryAfter = RetryAfter.parse(response.header("Retry-After"), Instant.now());
            throw ToolException.retryable("http_" + status, statusMessage(request, status, body), retryAfter);
        }
        if (status >= 400) {
            throw ToolException.permanent("http_" + status, statusMessage(request, status, body));
        }
        ObjectNode output = Json.object();
        output.put("status", status);
        ObjectNode headers = output.putObject("headers");
        response.headers().toMultimap().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values)));
        output.set("body", parsed(body, response.header("Content-Type", "")));
        return output;
    }

    private static JsonNode parsed(String body, String contentType) {
        if (body == null || body.isEmpty()) return NullNode.getInstance();
        if (isJson(contentType)) {
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

    private static String statusMessage(HttpRequestArgs request, int status, String responseBody) {
        String body = withoutUrlSecrets(Optional.ofNullable(responseBody).orElse("").strip(), request.url());
        if (body.length() > MESSAGE_BODY_LIMIT) body = body.substring(0, MESSAGE_BODY_LIMIT) + "...";
        return where(request) + " answered " + status + (body.isEmpty() ? "" : ": " + body);
    }

    /**
     * Method, scheme, host and port: no path, query or user info. Any of those may be a secret (a
     * Slack webhook's path is its key), and these messages end up in the journal, the console and
     * notifications.
     */
    private static String where(HttpRequestArgs request) {
        URI url = request.url();
        return request.method() + " " + url.getScheme() + "://" + url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
    }

    /**
     * A response body quoted in a message, with the request's path, query and user info cut out:
     * error pages often echo the path ("Cannot POST /services/T0/B0/secret").
     */
    static String withoutUrlSecrets(String text, URI url) {
        String result = text;
        for (String part : new String[]{url.getRawPath(), url.getPath(), url.getRawQuery(), url.getQuery(),
                url.getRawUserInfo(), url.getUserInfo()}) {
            if (part != null && part.length() > 1) result = result.replace(part, "[redacted]");
        }
        return result;
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
