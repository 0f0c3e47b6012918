package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.testing.Await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A small HTTP client for the API tests: real HTTP, JSON in and out, and waiting on conditions. */
public final class Api {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Where the server is; a supplier so that {@link BatonServers#api()} can hand one out before its server starts. */
    private final Supplier<String> base;
    private final String token;

    public Api(String base, String token) {
        this(() -> base, token);
    }

    public Api(Supplier<String> base, String token) {
        this.base = base;
        this.token = token;
    }

    public Api(int port) {
        this("http://127.0.0.1:" + port, null);
    }

    /** The same server with another bearer token. */
    public Api as(String otherToken) {
        return new Api(base, otherToken);
    }

    public String base() {
        return base.get();
    }

    /** A response: status, headers, raw body and its JSON (null if the body is not JSON). */
    public record Response(int status, java.net.http.HttpHeaders headers, String body) {
        public JsonNode json() {
            try {
                return body == null || body.isEmpty() ? null : Json.parse(body);
            } catch (IOException e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** The error code of an API error body. */
        public String errorCode() {
            JsonNode json = json();
            return json == null ? null : json.path("error").path("code").asText(null);
        }

        public String errorMessage() {
            JsonNode json = json();
            return json == null ? null : json.path("error").path("message").asText(null);
        }
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response post(String path, Object body) {
        return post(path, body == null ? "" : body instanceof String s ? s : Json.write(body), "application/json", null);
    }

    public Response post(String path, String body, String contentType, String idempotencyKey) {
        HttpRequest.Builder builder = request(path).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) builder.header("Content-Type", contentType);
        if (idempotencyKey != null) builder.header("Idempotency-Key", idempotencyKey);
        return send(builder);
    }

    public Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (token != null) builder.header("Authorization", "Bearer " + token);
        return builder;
    }

    /** Posts a run with a plan (a JSON string or an object) and returns the created run; fails unless 201. */
    public JsonNode startRun(String goal, Object plan) {
        Object planNode = plan instanceof String s ? parse(s) : plan;
        var body = Json.object();
        body.put("goal", goal);
        body.set("plan", Json.toTree(planNode));
        Response response = post("/api/runs", body);
        if (response.status() != 201) throw new AssertionError("expected 201 creating a run, got " + response.status() + ": " + response.body());
        return response.json();
    }

    public JsonNode run(String runId) {
        Response response = get("/api/runs/" + runId);
        if (response.status() != 200) throw new AssertionError("GET run " + runId + ": " + response.status() + " " + response.body());
        return response.json();
    }

    /** The task of a run JSON with this id. */
    public static JsonNode task(JsonNode run, String taskId) {
        for (JsonNode task : run.path("plan").path("tasks")) {
            if (task.path("id").asText().equals(taskId)) return task;
        }
        throw new AssertionError("run has no task " + taskId + ": " + run);
    }

    /** Polls the run until the condition holds; fails with the run's last state after the timeout. */
    public JsonNode awaitRun(String runId, Predicate<JsonNode> condition, Duration timeout) {
        return await(() -> run(runId), condition, timeout, "run " + runId);
    }

    public JsonNode awaitRunStatus(String runId, String status) {
        return awaitRun(runId, run -> run.path("status").asText().equals(status), Duration.ofSeconds(30));
    }

    public JsonNode awaitTaskStatus(String runId, String taskId, String status) {
        return awaitRun(runId, run -> task(run, taskId).path("status").asText().equals(status), Duration.ofSeconds(30));
    }

    /**
     * Polls {@code probe} until {@code condition} holds or the timeout passes; a probe that throws
     * (the server may be restarting) counts as "not yet". The test-jar's {@link Await} polls.
     */
    public static <T> T await(Supplier<T> probe, Predicate<T> condition, Duration timeout, String what) {
        return Await.untilAnswered(what, timeout, probe, condition);
    }

    /** Reads a run's SSE stream until it closes (the run ended) or {@code max} events arrived. */
    public List<JsonNode> events(String runId, String lastEventId, int max) {
        HttpRequest.Builder builder = request("/api/runs/" + runId + "/events").GET();
        if (lastEventId != null) builder.header("Last-Event-ID", lastEventId);
        List<JsonNode> events = new ArrayList<>();
        try {
            HttpResponse<java.util.stream.Stream<String>> response = CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) throw new AssertionError("event stream answered " + response.statusCode());
            var lines = response.body().iterator();
            while (lines.hasNext() && events.size() < max) {
                String line = lines.next();
                if (line.startsWith("data: ")) events.add(parse(line.substring(6)));
            }
            response.body().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return events;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.parse(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + json, e);
        }
    }
}
