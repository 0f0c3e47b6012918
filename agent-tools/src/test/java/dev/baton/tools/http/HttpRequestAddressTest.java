package dev.baton.tools.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * http.request checks the addresses a name resolves to, not only the name, and connects to the
 * addresses it checked. A fake resolver decides what {@code api.example.test} means; the server
 * is a real WireMock on 127.0.0.1. ({@link HttpRequestHostsFileTest} does the same through the
 * JVM's own resolver.)
 */
class HttpRequestAddressTest {

    private static final String KEY = "run-1:task-1";
    private static WireMockServer server;

    @BeforeAll
    static void startServer() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    @BeforeEach
    void reset() {
        server.resetAll();
        server.stubFor(get(anyUrl()).willReturn(okJson("{\"reached\": true}")));
    }

    @Test
    void anAllowedNameThatResolvesToLoopbackIsRefused() {
        ToolException failure = refused(tool(List.of("api.example.test"), resolving("api.example.test", "127.0.0.1")));

        assertEquals("address_not_allowed", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("127.0.0.1") && failure.getMessage().contains("loopback"), failure.getMessage());
        assertTrue(failure.getMessage().contains("BATON_HTTP_ALLOWED_HOSTS"), "says how to allow it: " + failure.getMessage());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void theCloudMetadataAddressAndOtherNonPublicAnswersAreRefused() {
        for (InetAddress answer : List.of(ip("169.254.169.254"), ip("10.0.0.8"), ip("192.168.1.1"), ip("100.64.0.1"),
                ip("0.0.0.0"), ip("::1"), ip("fd00::1"), ip("fe80::1"), mapped("127.0.0.1"), mapped("169.254.169.254"))) {
            ToolException failure = refused(tool(List.of("api.example.test"), host -> List.of(answer)));
            assertEquals("address_not_allowed", failure.code(), answer + ": " + failure.getMessage());
        }
        assertTrue(refused(tool(List.of("api.example.test"), host -> List.of(ip("169.254.169.254"))))
                .getMessage().contains("metadata"));
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void aWildcardEntryNeverAllowsANonPublicAddress() {
        ToolException failure = refused(tool(List.of("*.example.test"), resolving("api.example.test", "127.0.0.1")));

        assertEquals("address_not_allowed", failure.code());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void oneForbiddenAddressAmongPublicOnesRefusesTheRequest() {
        ToolException failure = refused(tool(List.of("api.example.test"),
                host -> List.of(ip("93.184.216.34"), ip("127.0.0.1"))));

        assertEquals("address_not_allowed", failure.code());
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void anExplicitAddressEntryLetsTheNameReachItWithTheNameAsHost() throws Exception {
        for (List<String> allowlist : List.of(List.of("api.example.test", "127.0.0.1"), List.of("api.example.test", "127.0.0.0/8"),
                List.of("api.example.test", "127.0.0.1:" + server.port()))) {
            server.resetRequests();
            HttpRequestTool tool = tool(allowlist, resolving("api.example.test", "127.0.0.1"));

            JsonNode output = tool.call(Json.object().put("url", url("/items")), ToolContext.standalone(KEY));

            assertTrue(output.path("body").path("reached").asBoolean(), allowlist + ": " + output);
            server.verify(1, getRequestedFor(urlEqualTo("/items")).withHeader("Host", equalTo("api.example.test:" + server.port())));
        }
    }

    @Test
    void anAddressEntryWithAnotherPortDoesNotOptIn() {
        ToolException failure = refused(tool(List.of("api.example.test", "127.0.0.1:" + (server.port() + 1)),
                resolving("api.example.test", "127.0.0.1")));

        assertEquals("address_not_allowed", failure.code());
    }

    @Test
    void localhostListedExactlyReachesLoopback() throws Exception {
        HttpRequestTool tool = tool(List.of("localhost"), resolving("localhost", "127.0.0.1"));

        JsonNode output = tool.call(Json.object().put("url", "http://localhost:" + server.port() + "/x"), ToolContext.standalone(KEY));

        assertEquals(200, output.path("status").asInt());
    }

    @Test
    void theNameIsResolvedOnceAndTheCheckedAddressIsTheOneConnectedTo() throws Exception {
        // DNS rebinding: the first answer passes the check, a second one would lead elsewhere.
        AtomicInteger lookups = new AtomicInteger();
        HostResolver rebinding = host -> List.of(ip(lookups.incrementAndGet() == 1 ? "127.0.0.1" : "10.255.255.1"));
        HttpRequestTool tool = tool(List.of("api.example.test", "127.0.0.1"), rebinding);

        JsonNode output = tool.call(Json.object().put("url", url("/rebind")), ToolContext.standalone(KEY));

        assertEquals(200, output.path("status").asInt());
        assertEquals(1, lookups.get(), "one lookup per call; the client asked no resolver of its own (it could not know this name)");
        server.verify(1, getRequestedFor(urlEqualTo("/rebind")));
    }

    @Test
    void anIpLiteralIsReachedOnlyWhenTheListNamesIt() throws Exception {
        HttpRequestTool named = tool(List.of("api.example.test"), resolving("api.example.test", "93.184.216.34"));
        for (String host : List.of("127.0.0.1", "[::ffff:127.0.0.1]", "169.254.169.254", "[::1]")) {
            ToolException failure = assertThrows(ToolException.class, () -> named.call(
                    Json.object().put("url", "http://" + host + ":" + server.port() + "/"), ToolContext.standalone(KEY)));
            assertEquals("host_not_allowed", failure.code(), host);
        }
        // The IPv4-mapped form is the same address as the IPv4 entry that names it.
        HttpRequestTool loopback = tool(List.of("127.0.0.1"), host -> {
            throw new AssertionError("an IP literal is not looked up");
        });
        JsonNode output = loopback.call(Json.object().put("url", "http://[::ffff:127.0.0.1]:" + server.port() + "/m"),
                ToolContext.standalone(KEY));
        assertEquals(200, output.path("status").asInt());
        server.verify(0, getRequestedFor(urlEqualTo("/")));
    }

    @Test
    void digitsThatAreNotFourNumbersAreNoAddress() {
        HttpRequestTool tool = tool(List.of("127.0.0.1"), host -> {
            throw new AssertionError("not looked up");
        });
        for (String host : List.of("127.1", "2130706433", "127.0.0.1.", "999.0.0.1")) {
            ToolException failure = assertThrows(ToolException.class, () -> tool.call(
                    Json.object().put("url", "http://" + host + ":" + server.port() + "/"), ToolContext.standalone(KEY)));
            assertEquals("invalid_arguments", failure.code(), host + ": " + failure.getMessage());
        }
        server.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void anUnknownNameIsARetryableConnectFailure() {
        ToolException failure = refused(tool(List.of("api.example.test"), host -> {
            throw new UnknownHostException(host);
        }));

        assertEquals("http_connect", failure.code());
        assertTrue(failure.retryable());
    }

    @Test
    void aTrustedWebhookHostMayResolveToAPrivateAddress() throws Exception {
        HttpRequestTool tool = new HttpRequestTool(HostAllowlist.trusted(List.of("api.example.test:" + server.port())),
                resolving("api.example.test", "127.0.0.1"));

        JsonNode output = tool.call(Json.object().put("url", url("/hook")), ToolContext.standalone(KEY));

        assertEquals(200, output.path("status").asInt());
        assertThrows(IllegalArgumentException.class, () -> HostAllowlist.trusted(List.of("*.example.test")));
    }

    private static ToolException refused(HttpRequestTool tool) {
        return assertThrows(ToolException.class,
                () -> tool.call(Json.object().put("url", url("/secret")), ToolContext.standalone(KEY)));
    }

    private static HttpRequestTool tool(List<String> allowlist, HostResolver resolver) {
        return new HttpRequestTool(new HostAllowlist(allowlist), resolver);
    }

    /** A resolver that knows one name. */
    private static HostResolver resolving(String name, String address) {
        Map<String, InetAddress> table = Map.of(name, ip(address));
        return host -> {
            InetAddress a = table.get(host);
            if (a == null) throw new UnknownHostException(host);
            return List.of(a);
        };
    }

    private static String url(String path) {
        return "http://api.example.test:" + server.port() + path;
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code ::ffff:a.b.c.d} as an Inet6Address, as a resolver may hand it over (Java's parser makes it IPv4). */
    private static InetAddress mapped(String ipv4) {
        byte[] v4 = ip(ipv4).getAddress();
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(v4, 0, b, 12, 4);
        try {
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
