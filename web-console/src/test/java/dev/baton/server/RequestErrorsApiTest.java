package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests the API must refuse, each with the right status and a JSON error body that says
 * what is wrong (and never a stack trace).
 */
class RequestErrorsApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();
    static String runId;

    @BeforeAll
    static void start() {
        runId = api.startRun("a real run", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
    }

    private static int runCount() {
        return api.get("/api/runs?limit=500").json().path("runs").size();
    }

    // ------------------------------------------------------------------ bodies

    @Test
    void malformedJsonIs400WithThePosition() {
        int before = runCount();
        JsonNode error = assertError(api.post("/api/runs", "{\"goal\": \"x\",\n  \"plan\": {\"tasks\": [}\n}"), 400, "bad_request",
                "malformed JSON", "line 2", "column");
        assertTrue(error.path("message").asText().matches("(?s).*line 2, column \\d+.*"), error.toString());
        assertError(api.post("/api/runs", "{\"goal\": \"x\""), 400, "bad_request", "malformed JSON", "line 1");
        // a valid object followed by more text is not one JSON document either
        String plan = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"plan\": " + plan + "} {\"goal\": \"y\"}"), 400, "bad_request",
                "malformed JSON", "line 1");
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"plan\": " + plan + "}]"), 400, "bad_request", "malformed JSON");
        assertEquals(before, runCount());
    }

    @Test
    void aGoalThatIsNotAStringIsNamed() {
        assertError(api.post("/api/runs", "{\"goal\": 42, \"plan\": {\"tasks\": []}}"), 400, "bad_request", "'goal'", "string", "number");
        assertError(api.post("/api/runs", "{\"goal\": [\"x\"]}"), 400, "bad_request", "'goal'", "array");
    }

    @Test
    void aPlanThatIsNotAnObjectIsNamed() {
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"plan\": [{\"id\": \"a\", \"tool\": \"echo\"}]}"), 400, "bad_request",
                "'plan'", "object", "array");
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"plan\": \"do it\"}"), 400, "bad_request", "'plan'", "string");
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"input\": 3, \"plan\": {\"tasks\": []}}"), 400, "bad_request", "'input'");
        assertError(api.post("/api/runs", "{\"goal\": \"x\", \"options\": true, \"plan\": {\"tasks\": []}}"), 400, "bad_request", "'options'");
    }

    @Test
    void aBodyThatIsNotAnObjectIs400() {
        assertError(api.post("/api/runs", "[{\"goal\": \"x\"}]"), 400, "bad_request", "JSON object", "array");
        assertError(api.post("/api/runs", "\"goal\""), 400, "bad_request", "JSON object");
        assertError(api.post("/api/runs", "null"), 400, "bad_request", "JSON object");
    }

    @Test
    void noBodyIs400() {
        assertError(api.post("/api/runs", null), 400, "bad_request", "JSON object");
        assertError(api.send(api.request("/api/runs").POST(HttpRequest.BodyPublishers.noBody())), 400, "bad_request", "body");
        assertError(api.post("/api/runs", "   "), 400, "bad_request");
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        int before = runCount();
        String plan = "{\"goal\": \"x\", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}";
        assertError(api.post("/api/runs", plan, "text/plain", null), 415, "unsupported_media_type", "application/json", "text/plain");
        assertError(api.post("/api/runs", "goal=x", "application/x-www-form-urlencoded", null), 415, "unsupported_media_type");
        assertEquals(before, runCount(), "nothing was created");
        // JSON with a charset, or a +json type, is fine
        assertEquals(201, api.post("/api/runs", plan, "application/json; charset=utf-8", null).status());
        assertEquals(201, api.post("/api/runs", plan, "application/vnd.baton+json", null).status());
    }

    @Test
    void aBodyOverTenMebibytesIs413WithAJsonError() {
        int before = runCount();
        int size = (int) BatonServer.BODY_LIMIT + 1024;
        StringBuilder big = new StringBuilder(size + 64).append("{\"goal\": \"");
        while (big.length() < size) big.append("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        big.append("\"}");
        assertError(api.post("/api/runs", big.toString()), 413, "body_too_large", "10 MiB");
        // the same without a Content-Length (chunked): the limit holds while the body streams in
        byte[] bytes = big.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Api.Response chunked = api.send(api.request("/api/runs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))));
        assertError(chunked, 413, "body_too_large");
        assertEquals(before, runCount());
        // the server is still healthy afterwards
        assertEquals(200, api.get("/api/health").status());
    }

    @Test
    void aMissingGoalIs400() {
        assertError(api.post("/api/runs", "{\"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}"), 400,
                "bad_request", "'goal'", "required");
        assertError(api.post("/api/runs", "{\"goal\": \"  \", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}"),
                400, "bad_request", "'goal'");
    }

    @Test
    void aGoalWithoutAPlanThatNoPlaybookServesFailsSayingAModelIsNeeded() {
        Api.Response created = api.post("/api/runs", "{\"goal\": \"book me a flight to Lisbon\"}");
        assertEquals(201, created.status(), created.body());
        JsonNode failed = api.awaitRunStatus(created.json().path("id").asText(), "FAILED");
        assertEquals("model_not_configured", failed.path("error").path("code").asText());
        String message = failed.path("error").path("message").asText();
        org.junit.jupiter.api.Assertions.assertTrue(message.contains("OPENAI_BASE_URL") && message.contains("playbook"), message);
    }

    @Test
    void followUpsAndPlanApprovalsOfARunWithoutAModelAreRefused() {
        assertError(api.post("/api/runs/" + runId + "/messages", "{\"text\": \"also do X\"}"), 422, "model_not_configured");
        assertError(api.post("/api/runs/" + runId + "/messages", "{}"), 400, "bad_request", "'text'");
        assertError(api.post("/api/runs/" + runId + "/plan/approval", "{\"decision\": \"approve\"}"), 409, "conflict",
                "AWAITING_PLAN_APPROVAL");
    }

    @Test
    void aBadIdempotencyKeyIs400() {
        String body = "{\"goal\": \"x\", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}";
        assertError(api.post("/api/runs", body, "application/json", "k".repeat(256)), 400, "bad_request", "Idempotency-Key", "255");
    }

    @Test
    void anApprovalDecisionWithABadBodyIs400() {
        String path = "/api/runs/" + runId + "/tasks/a/approval";
        assertError(api.post(path, "{\"decision\": true}"), 400, "bad_request", "'decision'");
        assertError(api.post(path, "{\"decision\": \"approve\", \"comment\": 5}"), 400, "bad_request", "'comment'");
        assertError(api.post(path, "not json"), 400, "bad_request", "malformed JSON");
    }

    // ------------------------------------------------------------------ unknown things

    @Test
    void anUnknownRunIs404() {
        assertError(api.get("/api/runs/r_nosuchrun"), 404, "not_found", "r_nosuchrun");
        assertError(api.post("/api/runs/r_nosuchrun/tasks/a/approval", "{\"decision\": \"approve\"}"), 404, "not_found", "r_nosuchrun");
        assertError(api.post("/api/runs/r_nosuchrun/messages", "{\"text\": \"hi\"}"), 404, "not_found", "r_nosuchrun");
        assertError(api.post("/api/runs/r_nosuchrun/plan/approval", "{\"decision\": \"approve\"}"), 404, "not_found");
        try (Sse sse = Sse.open(api, "/api/runs/r_nosuchrun/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(404, sse.status(), "an unknown run has no event stream");
            assertEquals("not_found", sse.errorJson().path("error").path("code").asText(), sse.errorBody());
        }
    }

    @Test
    void anUnknownTaskIs404() {
        assertError(api.post("/api/runs/" + runId + "/tasks/nope/approval", "{\"decision\": \"approve\"}"), 404, "not_found", "nope");
        assertError(api.post("/api/runs/" + runId + "/tasks/nope/retry", null), 404, "not_found", "nope");
    }

    @Test
    void anUnknownApiRouteIs404Json() {
        assertError(api.get("/api/nope"), 404, "not_found", "GET", "/api/nope");
        assertError(api.get("/api/runs/" + runId + "/nope"), 404, "not_found");
        assertError(api.post("/api/health", "{}"), 404, "not_found", "POST");
        assertError(api.send(api.request("/api/runs").DELETE()), 404, "not_found", "DELETE");
    }

    // ------------------------------------------------------------------ query parameters and headers

    @Test
    void badQueryParametersAre400() {
        assertError(api.get("/api/runs?status=NOPE"), 400, "bad_request", "'status'", "SUCCEEDED");
        assertError(api.get("/api/runs?limit=0"), 400, "bad_request", "'limit'", "1 to 500");
        assertError(api.get("/api/runs?limit=501"), 400, "bad_request", "'limit'");
        assertError(api.get("/api/runs?limit=ten"), 400, "bad_request", "'limit'");
        assertError(api.get("/api/approvals?status=MAYBE"), 400, "bad_request", "'status'", "PENDING");
        // lower case is accepted
        assertEquals(200, api.get("/api/runs?status=succeeded").status());
    }

    @Test
    void aBadPercentEscapeIs400Json() {
        // java.net.URI refuses such addresses, so send the request line by hand
        assertEquals(400, rawStatusAndBody("GET /api/runs/%zz HTTP/1.1").status(), "a bad escape in the path");
        assertTrue(rawStatusAndBody("GET /api/runs/%zz HTTP/1.1").body().contains("\"bad_request\""), "a JSON error for a bad path");
        for (String query : new String[]{"limit=%zz", "status=%zz", "cursor=%", "access_token=%zz"}) {
            Raw raw = rawStatusAndBody("GET /api/runs?" + query + " HTTP/1.1");
            assertEquals(400, raw.status(), query + ": " + raw.body());
            assertTrue(raw.body().contains("\"bad_request\"") && raw.body().contains("query string"), query + ": " + raw.body());
            dev.baton.server.testing.ApiAssert.assertNoStackTrace(raw.body());
        }
    }

    record Raw(int status, String body) {
    }

    private static Raw rawStatusAndBody(String requestLine) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", servers.server().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyAt = response.indexOf("\r\n\r\n");
            return new Raw(status, bodyAt < 0 ? "" : response.substring(bodyAt + 4));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aCursorThatWasNotHandedOutIs400() {
        assertError(api.get("/api/runs?cursor=not-a-cursor"), 400, "bad_request", "cursor");
        assertError(api.get("/api/runs?cursor=" + java.util.Base64.getUrlEncoder().encodeToString("x:y".getBytes())), 400,
                "bad_request", "cursor");
    }

    @Test
    void aBadLastEventIdIs400() {
        for (String bad : new String[]{"abc", "-1", "1.5"}) {
            try (Sse sse = Sse.open(api, "/api/runs/" + runId + "/events", Map.of("Last-Event-ID", bad), Duration.ofSeconds(10))) {
                assertEquals(400, sse.status(), "Last-Event-ID " + bad);
                JsonNode error = sse.errorJson().path("error");
                assertEquals("bad_request", error.path("code").asText());
                assertTrue(error.path("message").asText().contains("Last-Event-ID"), error.toString());
            }
        }
        try (Sse sse = Sse.open(api, "/api/runs/" + runId + "/events?lastEventId=x", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(400, sse.status());
        }
    }

    // ------------------------------------------------------------------ the happy paths these errors sit beside

    @Test
    void healthAndCatalogueAnswer() {
        Api.Response health = api.get("/api/health");
        assertEquals(200, health.status());
        assertEquals("UP", health.json().path("status").asText());
        assertEquals(false, health.json().path("model").path("configured").asBoolean(true));
        Api.Response tools = api.get("/api/tools");
        assertEquals(200, tools.status());
        boolean echo = false;
        for (JsonNode tool : tools.json()) {
            if (tool.path("name").asText().equals("echo")) {
                echo = true;
                assertTrue(tool.path("parameters").isObject());
                assertTrue(tool.has("idempotent") && tool.has("requiresApproval") && tool.has("source"), tool.toString());
            }
        }
        assertTrue(echo, "the catalogue lists echo: " + tools.body());
    }
}
