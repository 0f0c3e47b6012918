package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A server-sent-events client for tests that never hangs: a daemon thread reads the stream
 * into a queue, and every read from the queue has a deadline.
 *
 * <pre>{@code
 * try (Sse sse = Sse.open(api, "/api/runs/" + id + "/events", Map.of(), Duration.ofSeconds(5))) {
 *     List<Sse.Event> all = sse.readToEnd(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class Sse implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Object END = new Object();

    /** One SSE message: its {@code id:}, {@code event:} and parsed {@code data:} lines. */
    public record Event(String id, String type, JsonNode data) {
        public long seq() {
            return data.path("seq").asLong();
        }

        public String runId() {
            return data.path("runId").asText();
        }

        public String taskId() {
            return data.path("taskId").asText(null);
        }
    }

    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final List<String> comments = new ArrayList<>();
    private final String errorBody;
    private volatile boolean ended;

    private Sse(HttpResponse<Stream<String>> response) {
        this.response = response;
        if (response.statusCode() != 200) {
            StringBuilder body = new StringBuilder();
            response.body().forEach(body::append);
            this.errorBody = body.toString();
            this.ended = true;
            return;
        }
        this.errorBody = null;
        Thread reader = new Thread(this::pump, "sse-test-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects; returns once the response headers arrived (for Baton's streams: once the
     * server has subscribed to the live events), or fails after {@code timeout}.
     */
    public static Sse open(Api api, String path, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder builder = api.request(path).timeout(Duration.ofMinutes(5)).header("Accept", "text/event-stream").GET();
        headers.forEach(builder::header);
        CompletableFuture<HttpResponse<Stream<String>>> future = CLIENT.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofLines());
        try {
            return new Sse(future.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            future.cancel(true);
            throw new AssertionError("no response headers from " + path + " within " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("could not open " + path + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    public String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** The body of a non-200 answer (an API error), else null. */
    public String errorBody() {
        return errorBody;
    }

    public JsonNode errorJson() {
        try {
            return errorBody == null ? null : Json.parse(errorBody);
        } catch (IOException e) {
            throw new AssertionError("error body is not JSON: " + errorBody, e);
        }
    }

    private void pump() {
        String id = null;
        String type = null;
        StringBuilder data = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) queue.add(new Event(id, type, Json.parse(data.toString())));
                    id = null;
                    type = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    synchronized (comments) {
                        comments.add(line.substring(1).trim());
                    }
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) data.append('\n');
                    data.append(line.substring(5).trim());
                }
            }
        } catch (Exception e) {
            // closed by us, or the connection dropped: either way the stream has ended
        } finally {
            queue.add(END);
        }
    }

    /** The next event, or null if the stream ended; fails if nothing arrives within {@code timeout}. */
    public Event next(Duration timeout) {
        if (ended) return null;
        try {
            Object item = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (item == null) throw new AssertionError("no SSE event within " + timeout);
            if (item == END) {
                ended = true;
                return null;
            }
            return (Event) item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Events until one matches {@code stop} (included); fails if that takes longer than {@code timeout} or the stream ends first. */
    public List<Event> readUntil(java.util.function.Predicate<Event> stop, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Event> events = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("timed out after " + timeout + "; events so far: " + events);
            Event event;
            try {
                event = next(Duration.ofNanos(left));
            } catch (AssertionError e) {
                throw new AssertionError("timed out after " + timeout + "; events so far: " + events);
            }
            if (event == null) throw new AssertionError("the stream ended before the expected event; events: " + events);
            events.add(event);
            if (stop.test(event)) return events;
        }
    }

    /** Every event until the server closes the stream; fails if it stays open longer than {@code timeout}. */
    public List<Event> readToEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Event> events = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("the stream stayed open longer than " + timeout + "; events: " + events);
            Event event;
            try {
                event = next(Duration.ofNanos(left));
            } catch (AssertionError e) {
                throw new AssertionError("the stream stayed open longer than " + timeout + "; events: " + events);
            }
            if (event == null) return events;
            events.add(event);
        }
    }

    /** Whether the server has closed the stream, waiting at most {@code timeout} for it after the queued events. */
    public boolean endsWithin(Duration timeout) {
        try {
            readToEnd(timeout);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    public List<String> comments() {
        synchronized (comments) {
            return List.copyOf(comments);
        }
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }
}
