package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.sun.net.httpserver.HttpServer;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server without tokens, and pages of other sites open in the developer's Chromium: a page on
 * another origin sends what browsers send without asking (fetch with a typeless or text/plain body,
 * a body-less POST, a beacon, a form post), and a page whose name was rebound to 127.0.0.1 (DNS
 * rebinding, simulated with Chromium's host resolver rules) calls the API as its own origin. None
 * of them creates, cancels or reads anything; the console itself still works.
 */
class CrossSiteConsoleTest {
    static final String REBOUND = "rebound.test";
    static final String RUN = "{\"goal\": \"from another site\", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}";

    static TestServer server;
    static Api api;
    static HttpServer attacker;
    static Browser browser;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start();
        api = server.api();
        // Another site: a page on another port of this machine (another origin).
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", exchange -> {
            byte[] page = "<!doctype html><html><head><title>another site</title></head><body><p>nothing to see</p></body></html>"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(page);
            }
        });
        attacker.start();
        browser = Browser.launch(List.of("--host-resolver-rules=MAP " + REBOUND + " 127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (attacker != null) attacker.stop(0);
        if (server != null) server.close();
    }

    private static int runCount() {
        return api.get("/api/runs?limit=500").json().path("runs").size();
    }

    private static long refused(String reason) {
        for (String line : api.get("/metrics").body().split("\n")) {
            if (line.startsWith("baton_http_refused_total{reason=\"" + reason + "\"} ")) return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return -1;
    }

    @Test
    void aPageOfAnotherSiteCannotCreateOrCancelRunsNorCreateTriggers() {
        String waiting = api.startRun("waits", "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1H\"}]}").path("id").asText();
        api.awaitRunStatus(waiting, "RUNNING");
        int before = runCount();
        long refusedBefore = Math.max(0, refused("origin"));
        String baton = api.base();
        try (Browser.Tab tab = browser.open("http://127.0.0.1:" + attacker.getAddress().getPort())) {
            Page page = tab.page;
            page.navigate("/");
            Object outcomes = page.evaluate("""
                    async ([baton, runId, run]) => {
                      const trigger = JSON.stringify({name: 'evil', goal: 'g', schedule: {every: 'PT1S'},
                                                      plan: {tasks: [{id: 'a', tool: 'echo', args: {}}]}});
                      const tries = [
                        // a Blob without a type: no Content-Type at all, still a "simple" request
                        fetch(baton + '/api/runs', {method: 'POST', mode: 'no-cors', body: new Blob([run])}),
                        fetch(baton + '/api/runs', {method: 'POST', mode: 'no-cors', body: run}),
                        fetch(baton + '/api/triggers', {method: 'POST', mode: 'no-cors', body: new Blob([trigger])}),
                        fetch(baton + '/api/runs/' + runId + '/cancel', {method: 'POST', mode: 'no-cors'}),
                        // JSON needs a CORS preflight, which the server does not grant: the POST is never sent
                        fetch(baton + '/api/runs', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: run}),
                      ];
                      const beacon = navigator.sendBeacon(baton + '/api/runs', new Blob([run]));
                      const settled = await Promise.allSettled(tries);
                      return settled.map(s => s.status).concat([String(beacon)]);
                    }""", List.of(baton, waiting, RUN));
            assertEquals(List.of("fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected", "true"), outcomes,
                    "the browser sent the simple requests (opaque answers) and refused the preflighted one");
            // The classic JSON-in-a-text/plain-form trick: name + '=' + value makes a JSON document.
            page.evaluate("""
                    ([baton, run]) => new Promise(resolve => {
                      const frame = document.createElement('iframe');
                      frame.name = 'sink';
                      document.body.appendChild(frame);
                      const form = document.createElement('form');
                      form.method = 'POST';
                      form.action = baton + '/api/runs';
                      form.enctype = 'text/plain';
                      form.target = 'sink';
                      const field = document.createElement('input');
                      field.name = run.slice(0, -1) + ', "pad": "';
                      field.value = '"}';
                      form.appendChild(field);
                      document.body.appendChild(form);
                      frame.onload = () => resolve(true);
                      form.submit();
                    })""", List.of(baton, RUN));
        }
        // Six requests reached the server (the beacon may arrive last): wait until all were refused, or a run appeared.
        Api.await(() -> refused("origin") - refusedBefore >= 6 || runCount() != before, done -> done, Duration.ofSeconds(30),
                "the six cross-site requests to be refused");
        assertEquals(before, runCount(), "no run was created from the other site");
        assertEquals("RUNNING", api.run(waiting).path("status").asText(), "the run was not cancelled");
        assertEquals(0, api.get("/api/triggers").json().size(), "no trigger was created");
        assertEquals(6, refused("origin") - refusedBefore, "each was refused for its Origin");
        api.post("/api/runs/" + waiting + "/cancel", null);
    }

    @Test
    void aRenamedPageOnThisServersAddressGets403ForTheConsoleAndTheApi() {
        int before = runCount();
        String rebound = "http://" + REBOUND + ":" + server.port();
        try (Browser.Tab tab = browser.open(rebound)) {
            Page page = tab.page;
            Response console = page.navigate("/");
            assertEquals(403, console.status(), "the console is not served under a foreign name");
            assertTrue(page.content().contains("host_header_refused") && page.content().contains("BATON_ALLOWED_HOSTS"), page.content());
            // Same-origin for the browser: it would read every answer. Both reading and writing are refused.
            @SuppressWarnings("unchecked")
            Map<String, Object> answers = (Map<String, Object>) page.evaluate("""
                    async (run) => {
                      const write = await fetch('/api/runs', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: run});
                      const read = await fetch('/api/runs');
                      return {write: write.status, read: read.status, body: await read.text()};
                    }""", RUN);
            assertEquals(403, ((Number) answers.get("write")).intValue(), answers.toString());
            assertEquals(403, ((Number) answers.get("read")).intValue(), answers.toString());
            assertTrue(!answers.get("body").toString().contains("\"runs\""), "no run data: " + answers);
        }
        assertEquals(before, runCount());
    }

    @Test
    void theConsoleItselfStillCreatesRuns() {
        int before = runCount();
        try (Browser.Tab tab = browser.open(api.base())) {
            Page page = tab.page;
            page.navigate("/");
            // The console's own API client, as its chat box uses it.
            Object id = page.evaluate("async (run) => (await (await import('/console/api.js')).post('/api/runs', JSON.parse(run))).id", RUN);
            JsonNode run = api.awaitRunStatus(String.valueOf(id), "SUCCEEDED");
            assertEquals("from another site", run.path("goal").asText());
            assertTrue(tab.errors.isEmpty(), "no console errors: " + tab.errors);
        }
        assertEquals(before + 1, runCount());
    }
}
