package dev.baton.server;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.RawHttp;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server without tokens is reachable from the developer's browser, so from any page it shows.
 * Over plain HTTP: a Host the server does not answer to (DNS rebinding) and a state-changing
 * request from another origin get 403 saying why; bodies that browsers send cross-site without
 * asking (text/plain, forms, typeless) get 415; none of them changes anything. Clients that are
 * not browsers (no Origin, JSON or no body) keep working.
 */
class NoTokenGuardApiTest {
    static final String RUN = "{\"goal\": \"guarded\", \"plan\": {\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();
    static int port;

    @BeforeAll
    static void start() {
        port = servers.server().port();
    }

    private static int runCount() {
        return api.get("/api/runs?limit=500").json().path("runs").size();
    }

    private static Api.Response raw(String method, String path, String host, Map<String, String> headers, String body) {
        return RawHttp.exchange(port, RawHttp.request(method, path, host, headers, body));
    }

    private static Map<String, String> json() {
        return Map.of("Content-Type", "application/json");
    }

    private static String waitingRun() {
        String id = api.startRun("guarded", "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}").path("id").asText();
        api.awaitRunStatus(id, "RUNNING");
        return id;
    }

    @Test
    void aHostThatIsNotThisServersIs403AndSaysHowToAllowIt() {
        int before = runCount();
        String evil = "evil.example:" + port;
        assertError(raw("GET", "/api/runs", evil, Map.of(), null), 403, "host_header_refused",
                "'evil.example:" + port + "'", "DNS rebinding", "BATON_ALLOWED_HOSTS");
        assertError(raw("POST", "/api/runs", evil, json(), RUN), 403, "host_header_refused");
        // the console and the metrics too: a rebound page could read them
        assertError(raw("GET", "/", evil, Map.of(), null), 403, "host_header_refused");
        assertError(raw("GET", "/metrics", evil, Map.of(), null), 403, "host_header_refused");
        // a name that merely starts like a local one is not one
        assertError(raw("GET", "/api/health", "localhost.evil.example", Map.of(), null), 403, "host_header_refused");
        assertError(raw("GET", "/api/health", "127.0.0.1.nip.io:" + port, Map.of(), null), 403, "host_header_refused");
        assertEquals(before, runCount(), "nothing was created");
        String metrics = api.get("/metrics").body();
        assertEquals(true, metrics.matches("(?s).*\nbaton_http_refused_total\\{reason=\"host\"} [1-9]\\d*(\\.0)?\n.*"), metrics);
    }

    @Test
    void theServersOwnNamesAreAcceptedWithAnyPort() {
        for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "localhost", "LocalHost.:" + port, "[::1]:" + port,
                "[::1]", "app.localhost:" + port, "localhost:9000", "192.0.2.10:8080")) {
            Api.Response r = raw("GET", "/api/health", host, Map.of(), null);
            assertEquals(200, r.status(), host + ": " + r.body());
        }
        // an HTTP/1.0 client that sends no Host is not a browser
        Api.Response r = RawHttp.exchange(port, "GET /api/health HTTP/1.0\r\n\r\n");
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void aStateChangingRequestFromAnotherOriginIs403() {
        int before = runCount();
        String self = "127.0.0.1:" + port;
        Map<String, String> fromEvil = new LinkedHashMap<>(json());
        fromEvil.put("Origin", "http://evil.example");
        assertError(raw("POST", "/api/runs", self, fromEvil, RUN), 403, "cross_origin", "http://evil.example", "BATON_TOKENS");
        // another port of this machine is another site; so is an opaque origin (a sandboxed frame, a file)
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "application/json", "Origin", "http://127.0.0.1:1"), RUN),
                403, "cross_origin");
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "application/json", "Origin", "null"), RUN), 403, "cross_origin");
        String runId = waitingRun();
        assertError(raw("POST", "/api/runs/" + runId + "/cancel", self, Map.of("Origin", "http://evil.example"), null), 403, "cross_origin");
        assertError(raw("DELETE", "/api/triggers/any", self, Map.of("Origin", "http://evil.example"), null), 403, "cross_origin");
        assertEquals("RUNNING", api.run(runId).path("status").asText(), "the run was not cancelled");
        assertEquals(before + 1, runCount(), "only the test's own run was created");
        // the console's own pages: Origin and Host name the same server
        assertEquals(201, raw("POST", "/api/runs", self, Map.of("Content-Type", "application/json", "Origin", "http://" + self), RUN).status());
        assertEquals(201, raw("POST", "/api/runs", "localhost:" + port,
                Map.of("Content-Type", "application/json", "Origin", "http://localhost:" + port), RUN).status());
        // reading is left to the browser's same-origin policy (no CORS headers are sent)
        Api.Response read = raw("GET", "/api/runs", self, Map.of("Origin", "http://evil.example"), null);
        assertEquals(200, read.status());
        assertEquals(null, read.header("Access-Control-Allow-Origin"));
        api.post("/api/runs/" + runId + "/cancel", null);
    }

    @Test
    void bodiesThatBrowsersSendCrossSiteWithoutAPreflightAre415() {
        int before = runCount();
        String self = "127.0.0.1:" + port;
        // the three content types a page may send anywhere without asking, and no type at all (a Blob body)
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "text/plain;charset=UTF-8"), RUN), 415,
                "unsupported_media_type", "application/json", "text/plain");
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "application/x-www-form-urlencoded"), "goal=x"), 415,
                "unsupported_media_type");
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "multipart/form-data; boundary=x"),
                "--x\r\nContent-Disposition: form-data; name=\"goal\"\r\n\r\nx\r\n--x--\r\n"), 415, "unsupported_media_type");
        assertError(raw("POST", "/api/runs", self, Map.of(), RUN), 415, "unsupported_media_type", "no Content-Type");
        assertError(raw("POST", "/api/triggers", self, Map.of(), "{\"name\": \"t\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\"},"
                + " \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}"), 415, "unsupported_media_type");
        assertError(raw("POST", "/api/tickets", self, Map.of("Content-Type", "text/plain"), "{\"subject\": \"s\", \"body\": \"b\"}"), 415,
                "unsupported_media_type");
        // a type that merely contains "json" is not JSON
        assertError(raw("POST", "/api/runs", self, Map.of("Content-Type", "text/plain+json"), RUN), 415, "unsupported_media_type");
        assertEquals(before, runCount(), "nothing was created");
        assertEquals(0, api.get("/api/triggers").json().size(), "no trigger was created");
        // an empty form post to a body-less route: still a form
        String runId = waitingRun();
        assertError(raw("POST", "/api/runs/" + runId + "/cancel", self, Map.of("Content-Type", "application/x-www-form-urlencoded"), ""),
                415, "unsupported_media_type");
        assertEquals("RUNNING", api.run(runId).path("status").asText());
        // a client that is not a browser: no body, no type (curl -X POST) still cancels
        Api.Response cancelled = raw("POST", "/api/runs/" + runId + "/cancel", self, Map.of(), null);
        assertEquals(200, cancelled.status(), cancelled.body());
        assertEquals("CANCELLED", api.run(runId).path("status").asText());
    }

    @Test
    void behindAProxyTheNamesInAllowedHostsAreAccepted() {
        Config config = TestServer.config().withEdge(Config.load(new String[]{"--allowed-hosts", "baton.example.com, *.corp.example"},
                Map.of()).edge());
        try (TestServer proxied = TestServer.start(config, r -> {
        })) {
            int p = proxied.port();
            for (String host : List.of("baton.example.com", "baton.example.com:443", "ci.corp.example", "127.0.0.1:" + p)) {
                Api.Response r = RawHttp.exchange(p, RawHttp.request("GET", "/api/health", host, Map.of(), null));
                assertEquals(200, r.status(), host + ": " + r.body());
            }
            assertError(RawHttp.exchange(p, RawHttp.request("GET", "/api/health", "corp.example.evil", Map.of(), null)), 403, "host_header_refused");
            // a proxy that rewrites Host to the backend's address: the page's origin is an allowed name
            Api.Response created = RawHttp.exchange(p, RawHttp.request("POST", "/api/runs", "127.0.0.1:" + p,
                    Map.of("Content-Type", "application/json", "Origin", "https://baton.example.com"), RUN));
            assertEquals(201, created.status(), created.body());
        }
    }

    @Test
    void withTokensTheHostIsNotCheckedButBodiesMustStillBeJson() {
        try (TestServer withTokens = TestServer.start(Tokens.config(), r -> {
        })) {
            int p = withTokens.port();
            Map<String, String> auth = Map.of("Authorization", "Bearer " + Tokens.ADMIN);
            Api.Response health = RawHttp.exchange(p, RawHttp.request("GET", "/api/health", "baton.internal.example", auth, null));
            assertEquals(200, health.status(), "a token cannot be stolen by rebinding, so any name is fine: " + health.body());
            Map<String, String> text = new LinkedHashMap<>(auth);
            text.put("Content-Type", "text/plain");
            assertError(RawHttp.exchange(p, RawHttp.request("POST", "/api/runs", "127.0.0.1:" + p, text, RUN)), 415, "unsupported_media_type");
            assertError(RawHttp.exchange(p, RawHttp.request("POST", "/api/runs", "127.0.0.1:" + p, auth, RUN)), 415, "unsupported_media_type");
            assertEquals(0, withTokens.api().as(Tokens.ADMIN).get("/api/runs").json().path("runs").size());
        }
    }
}
