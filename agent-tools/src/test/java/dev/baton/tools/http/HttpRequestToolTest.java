package dev.baton.tools.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpRequestToolTest {

    private static final String KEY = "run-1:task-7";
    private static WireMockServer server;

    private final HttpRequestTool tool = new HttpRequestTool(ToolSettings.allowingHosts("localhost"));

    @BeforeAll
    static void startServer() {
        server = new WireMockServer(options().dynamicPort());
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    @BeforeEach
    void reset() {
        server.resetAll();
    }

    @Test
    void getReturnsStatusHeadersAndParsedJsonBody() throws Exception {
        server.stubFor(get("/items/1").willReturn(okJson("{\"id\": 1, \"name\": \"widget\"}").withHeader("X-Trace", "abc")));

        JsonNode output = call(args("GET", "/items/1"));

        assertEquals(200, output.get("status").asInt());
        assertEquals("abc", output.get("headers").get("x-trace").asText());
        assertTrue(output.get("body").isObject(), "a JSON response body is parsed: " + output);
        assertEquals("widget", output.get("body").get("name").asText());
    }

    @Test
    void textBodyIsReturnedAsString() throws Exception {
        server.stubFor(get("/hello").willReturn(aResponse().withHeader("Content-Type", "text/plain").withBody("{not json}")));

        JsonNode output = call(args("GET", "/hello"));

        assertTrue(output.get("body").isTextual());
        assertEquals("{not json}", output.get("body").asText());
    }

    @Test
    void problemJsonCountsAsJson() throws Exception {
        server.stubFor(get("/p").willReturn(aResponse().withHeader("Content-Type", "application/problem+json; charset=utf-8")
                .withBody("[1, 2]")));

        assertTrue(call(args("GET", "/p")).get("body").isArray());
    }

    @Test
    void methodDefaultsToGetAndCallerHeadersAreSent() throws Exception {
        server.stubFor(get("/h").willReturn(aResponse().withStatus(204)));
        ObjectNode args = Json.object().put("url", url("/h"));
        args.putObject("headers").put("X-Caller", "baton").put("Accept", "application/json");

        JsonNode output = call(args);

        assertEquals(204, output.get("status").asInt());
        assertTrue(output.get("body").isNull(), "an empty body is null");
        server.verify(1, getRequestedFor(urlEqualTo("/h"))
                .withHeader("X-Caller", equalTo("baton"))
                .withHeader("Accept", equalTo("application/json")));
    }

    @Test
    void postSendsJsonBodyAsJson() throws Exception {
        server.stubFor(post("/orders").willReturn(okJson("{\"created\": true}").withStatus(201)));
        ObjectNode args = args("POST", "/orders");
        args.putObject("body").put("sku", "A-1").put("quantity", 2);

        JsonNode output = call(args);

        assertEquals(201, output.get("status").asInt());
        assertTrue(output.get("body").get("created").asBoolean());
        server.verify(postRequestedFor(urlEqualTo("/orders"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("{\"sku\": \"A-1\", \"quantity\": 2}")));
    }

    @Test
    void postSendsStringBodyAsText() throws Exception {
        server.stubFor(post("/notes").willReturn(aResponse().withStatus(200)));
        ObjectNode args = args("POST", "/notes").put("body", "plain words");

        call(args);

        server.verify(postRequestedFor(urlEqualTo("/notes"))
                .withHeader("Content-Type", equalToIgnoreCase("text/plain; charset=utf-8"))
                .withRequestBody(equalTo("plain words")));
    }

    @Test
    void callerContentTypeWins() throws Exception {
        server.stubFor(post("/x").willReturn(aResponse().withStatus(200)));
        ObjectNode args = args("POST", "/x");
        args.putObject("headers").put("content-type", "application/vnd.acme+json");
        args.putObject("body").put("a", 1);

        call(args);

        server.verify(postRequestedFor(urlEqualTo("/x")).withHeader("Content-Type", equalTo("application/vnd.acme+json")));
    }

    @Test
    void sendsTheContextsIdempotencyKey() throws Exception {
        server.stubFor(post("/pay").willReturn(aResponse().withStatus(200)));

        call(args("POST", "/pay"));

        server.verify(postRequestedFor(urlEqualTo("/pay")).withHeader("Idempotency-Key", equalTo(KEY)));
    }

    @Test
    void callersOwnIdempotencyKeyIsKept() throws Exception {
        server.stubFor(post("/pay").willReturn(aResponse().withStatus(200)));
        ObjectNode args = args("POST", "/pay");
        args.putObject("headers").put("idempotency-key", "mine");

        call(args);

        List<String> sent = server.getAllServeEvents().get(0).getRequest().getHeaders()
                .getHeader("Idempotency-Key").values();
        assertEquals(List.of("mine"), sent);
    }

    @Test
    void serverErrorIsRetryableAndNotRetriedByTheTool() throws Exception {
        server.stubFor(get("/flaky").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withBody("busy")).willSetStateTo("recovered"));
        server.stubFor(get("/flaky").inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(okJson("{\"ok\": true}")));

        ToolException failure = assertThrows(ToolException.class, () -> call(args("GET", "/flaky")));

        assertTrue(failure.retryable());
        assertEquals("http_503", failure.code());
        assertTrue(failure.getMessage().contains("busy"), failure.getMessage());
        server.verify(1, getRequestedFor(urlEqualTo("/flaky")));
        // The orchestrator's next attempt succeeds.
        assertTrue(call(args("GET", "/flaky")).get("body").get("ok").asBoolean());
        server.verify(2, getRequestedFor(urlEqualTo("/flaky")));
    }

    @Test
    void tooManyRequestsCarriesRetryAfter() {
        server.stubFor(get("/limited").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")));

        ToolException failure = assertThrows(ToolException.class, () -> call(args("GET", "/limited")));

        assertTrue(failure.retryable());
        assertEquals("http_429", failure.code());
        assertEquals(Duration.ofSeconds(7), failure.retryAfter());
    }

    @Test
    void notFoundIsPermanent() {
        server.stubFor(get("/missing").willReturn(aResponse().withStatus(404)));

        ObjectNode args = Json.object().put("url", "http://user:hunter2@localhost:" + server.port() + "/missing?token=secret");

        ToolException failure = assertThrows(ToolException.class, () -> call(args));

        assertFalse(failure.retryable());
        assertEquals("http_404", failure.code());
        assertNull(failure.retryAfter());
        assertTrue(failure.getMessage().contains("GET http://localhost:" + server.port()), failure.getMessage());
        assertFalse(failure.getMessage().contains("/missing"), "the path stays out of messages: " + failure.getMessage());
        assertFalse(failure.getMessage().contains("secret"), "the query string stays out of messages: " + failure.getMessage());
        assertFalse(failure.getMessage().contains("hunter2"), "so does the user info: " + failure.getMessage());
    }

    @Test
    void aPathEchoedInTheErrorBodyIsCutFromTheMessage() {
        String secretPath = "/services/T0001/B0002/s3cr3tToken";
        server.stubFor(post(urlPathEqualTo(secretPath)).willReturn(aResponse().withStatus(404).withBody("Cannot POST " + secretPath + "?k=v")));

        ToolException failure = assertThrows(ToolException.class,
                () -> call(Json.object().put("method", "POST").put("url", url(secretPath + "?k=v"))));

        assertEquals("http_404", failure.code());
        assertFalse(failure.getMessage().contains("s3cr3tToken"), failure.getMessage());
        assertTrue(failure.getMessage().contains("POST http://localhost:" + server.port() + " answered 404: Cannot POST [redacted]"),
                failure.getMessage());
    }

    @Test
    void redirectsAreReturnedNotFollowed() throws Exception {
        server.stubFor(get("/moved").willReturn(aResponse().withStatus(302).withHeader("Location", "http://169.254.169.254/latest/meta-data/")));
        server.stubFor(get("/here").willReturn(aResponse().withStatus(307).withHeader("Location", "/internal")));
        server.stubFor(get("/internal").willReturn(okJson("{\"internal\": true}")));

        JsonNode moved = call(args("GET", "/moved"));
        JsonNode here = call(args("GET", "/here"));

        assertEquals(302, moved.get("status").asInt());
        assertEquals("http://169.254.169.254/latest/meta-data/", moved.get("headers").get("location").asText());
        assertEquals(307, here.get("status").asInt());
        server.verify(0, getRequestedFor(urlEqualTo("/internal")));
    }

    @Test
    void headersThatShapeTheConnectionAreRefused() {
        for (String header : List.of("Host", "content-length", "Transfer-Encoding", "Connection")) {
            ObjectNode args = args("GET", "/h");
            args.putObject("headers").put(header, "169.254.169.254");
            ToolException failure = assertThrows(ToolException.class, () -> call(args));
            assertEquals("invalid_header", failure.code(), header);
        }
        ObjectNode broken = args("GET", "/h");
        broken.putObject("headers").put("X-Api-Key", "key-123\r\nX-Injected: 1");
        ToolException failure = assertThrows(ToolException.class, () -> call(broken));
        assertEquals("invalid_header", failure.code());
        assertFalse(failure.getMessage().contains("key-123"), "a header value is not quoted: " + failure.getMessage());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void aGetCarriesNoBody() {
        ObjectNode args = args("GET", "/g");
        args.putObject("body").put("a", 1);

        ToolException failure = assertThrows(ToolException.class, () -> call(args));

        assertEquals("invalid_arguments", failure.code());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void aPostWithoutBodySendsAnEmptyOne() throws Exception {
        server.stubFor(post("/empty").willReturn(aResponse().withStatus(204)));

        assertEquals(204, call(args("POST", "/empty")).get("status").asInt());
        server.verify(postRequestedFor(urlEqualTo("/empty")).withHeader("Content-Length", equalTo("0")));
    }

    @Test
    void slowResponseIsRetryableTimeout() {
        server.stubFor(get("/slow").willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
        ObjectNode args = args("GET", "/slow").put("timeout", "PT0.2S");

        ToolException failure = assertThrows(ToolException.class, () -> call(args));

        assertTrue(failure.retryable());
        assertEquals("http_timeout", failure.code());
    }

    @Test
    void refusedConnectionIsRetryable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ObjectNode args = Json.object().put("url", "http://localhost:" + closedPort + "/");

        ToolException failure = assertThrows(ToolException.class, () -> tool.call(args, ToolContext.standalone(KEY)));

        assertTrue(failure.retryable());
        assertEquals("http_connect", failure.code());
    }

    @Test
    void hostNotOnTheAllowlistIsRefusedBeforeConnecting() {
        HttpRequestTool strict = new HttpRequestTool(ToolSettings.allowingHosts("api.example.com", "*.example.org"));

        ToolException failure = assertThrows(ToolException.class,
                () -> strict.call(args("GET", "/anything"), ToolContext.standalone(KEY)));

        assertFalse(failure.retryable());
        assertEquals("host_not_allowed", failure.code());
        assertTrue(failure.getMessage().contains("'localhost'"), failure.getMessage());
        assertTrue(failure.getMessage().contains("BATON_HTTP_ALLOWED_HOSTS"), failure.getMessage());
        server.verify(0, anyRequestedFor(anyUrl()));
        assertTrue(server.getAllServeEvents().isEmpty());
    }

    @Test
    void emptyAllowlistRefusesEverything() {
        HttpRequestTool closed = new HttpRequestTool(ToolSettings.none());

        ToolException failure = assertThrows(ToolException.class,
                () -> closed.call(args("GET", "/"), ToolContext.standalone(KEY)));

        assertEquals("host_not_allowed", failure.code());
        assertTrue(failure.getMessage().contains("empty"), failure.getMessage());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void hostAndPortEntryAllowsOnlyThatPort() throws Exception {
        server.stubFor(get("/p").willReturn(aResponse().withStatus(200)));
        HttpRequestTool portBound = new HttpRequestTool(ToolSettings.allowingHosts("LOCALHOST:" + server.port()));

        assertEquals(200, portBound.call(args("GET", "/p"), ToolContext.standalone(KEY)).get("status").asInt());
        ToolException failure = assertThrows(ToolException.class, () -> portBound.call(
                Json.object().put("url", "http://localhost:" + (server.port() == 1 ? 2 : server.port() - 1) + "/p"),
                ToolContext.standalone(KEY)));
        assertEquals("host_not_allowed", failure.code());
    }

    @Test
    void onlyHttpAndHttpsSchemes() {
        ToolException failure = assertThrows(ToolException.class,
                () -> call(Json.object().put("url", "ftp://localhost/file.txt")));

        assertFalse(failure.retryable());
        assertEquals("scheme_not_allowed", failure.code());
    }

    @Test
    void badArgumentsArePermanent() {
        ToolException noUrl = assertThrows(ToolException.class, () -> call(Json.object().put("method", "GET")));
        ToolException badMethod = assertThrows(ToolException.class, () -> call(args("TRACE", "/")));
        ToolException badTimeout = assertThrows(ToolException.class, () -> call(args("GET", "/").put("timeout", "10 seconds")));
        ObjectNode nestedHeader = args("GET", "/");
        nestedHeader.putObject("headers").putObject("X-Nested").put("a", 1);
        ToolException badHeader = assertThrows(ToolException.class, () -> call(nestedHeader));

        for (ToolException failure : List.of(noUrl, badMethod, badTimeout, badHeader)) {
            assertEquals("invalid_arguments", failure.code());
            assertFalse(failure.retryable());
        }
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void descriptorDeclaresSchemaAndFlags() {
        ToolDescriptor descriptor = tool.descriptor();

        assertEquals("http.request", descriptor.name());
        assertEquals("builtin", descriptor.source());
        assertFalse(descriptor.idempotent());
        assertFalse(descriptor.requiresApproval());
        assertEquals(Duration.ofSeconds(30), descriptor.timeout());
        assertEquals(RetryPolicy.DEFAULT, descriptor.retry());
        JsonNode schema = descriptor.parameters();
        assertEquals("object", schema.get("type").asText());
        assertEquals(List.of("url"), List.of(Json.MAPPER.convertValue(schema.get("required"), String[].class)));
        assertEquals("string", schema.at("/properties/url/type").asText());
        assertEquals(List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"),
                List.of(Json.MAPPER.convertValue(schema.at("/properties/method/enum"), String[].class)));
        assertEquals("object", schema.at("/properties/headers/type").asText());
        assertTrue(schema.at("/properties/body").isObject());
        assertEquals("string", schema.at("/properties/timeout/type").asText());
    }

    private JsonNode call(JsonNode args) throws Exception {
        return tool.call(args, ToolContext.standalone(KEY));
    }

    private static ObjectNode args(String method, String path) {
        return Json.object().put("method", method).put("url", url(path));
    }

    private static String url(String path) {
        return "http://localhost:" + server.port() + path;
    }
}
