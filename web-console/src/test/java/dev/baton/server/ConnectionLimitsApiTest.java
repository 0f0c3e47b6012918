package dev.baton.server;

import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.RawHttp;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Half-sent requests do not hold a connection forever: a request head must be in within
 * BATON_HEADER_TIMEOUT, a body within BATON_BODY_TIMEOUT (set to 1 s and 2 s here), however the
 * bytes trickle in. Requests over Vert.x's size limits get 414 and 431 with the JSON error body.
 */
class ConnectionLimitsApiTest {
    static final Duration HEADER = Duration.ofSeconds(1);
    static final Duration BODY = Duration.ofSeconds(2);
    /** Generous: the machine may be loaded; what matters is that the connection does get closed. */
    static final Duration AT_MOST = Duration.ofSeconds(20);

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(
            () -> TestServer.config().withEdge(EdgeSettings.defaults().withTimeouts(HEADER, BODY, Duration.ofMinutes(2))));
    static final Api api = servers.api();

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", servers.server().port());
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static long metric(String reason) {
        String text = api.get("/metrics").body();
        for (String line : text.split("\n")) {
            if (line.startsWith("baton_http_connections_closed_total{reason=\"" + reason + "\"} ")) return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new AssertionError("no metric for " + reason + " in " + text);
    }

    @Test
    void halfARequestLineIsClosedAfterTheHeaderTimeout() throws IOException {
        long before = metric("header_timeout");
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /api/hea".getBytes(StandardCharsets.US_ASCII));
            Duration took = RawHttp.awaitClosed(socket, AT_MOST);
            assertTrue(took.toMillis() >= HEADER.toMillis() - 100, "not before the timeout: " + took);
        }
        Api.await(() -> metric("header_timeout"), n -> n > before, Duration.ofSeconds(10), "the close to be counted");
    }

    @Test
    void headersDrippedAByteAtATimeAreClosedThoughTheConnectionIsNeverIdle() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            byte[] head = ("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-Slow: " + "x".repeat(500)).getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            boolean closed = false;
            // a byte every 100 ms: far inside the idle timeout (2 min), so only the header deadline can end this
            for (int i = 0; i < head.length && !closed; i++) {
                try {
                    out.write(head[i]);
                    out.flush();
                    closed = closedWithin(socket, Duration.ofMillis(100));
                } catch (IOException e) {
                    closed = true;
                }
                if (System.nanoTime() - start > AT_MOST.toNanos()) break;
            }
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "the server still reads the dripped head after " + took + " ms");
            assertTrue(took >= HEADER.toMillis() - 100, "not before the timeout: " + took + " ms");
        }
    }

    /** Whether the server closed the socket: a read within {@code wait} sees its end (or a reset). */
    private static boolean closedWithin(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        InputStream in = socket.getInputStream();
        try {
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void aBodyThatStopsHalfWayIsClosedAfterTheBodyTimeoutAndCreatesNothing() throws IOException {
        int runs = api.get("/api/runs").json().path("runs").size();
        long before = metric("body_timeout");
        String body = "{\"goal\": \"half\", \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}}";
        try (Socket socket = connect()) {
            String head = "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n";
            socket.getOutputStream().write((head + body.substring(0, body.length() / 2)).getBytes(StandardCharsets.US_ASCII));
            Duration took = RawHttp.awaitClosed(socket, AT_MOST);
            assertTrue(took.toMillis() >= BODY.toMillis() - 100, "the body deadline, not the header one: " + took);
        }
        Api.await(() -> metric("body_timeout"), n -> n > before, Duration.ofSeconds(10), "the close to be counted");
        assertEquals(runs, api.get("/api/runs").json().path("runs").size());
    }

    @Test
    void aKeepAliveConnectionServesRequestsAndIsTimedAgainForTheNextHead() throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < 2; i++) {
                out.write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.setSoTimeout(30_000);
                Api.Response response = RawHttp.read(socket.getInputStream());
                assertEquals(200, response.status(), response.body());
            }
            out.write("GET /api/health HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            Duration took = RawHttp.awaitClosed(socket, AT_MOST);
            assertTrue(took.toMillis() >= HEADER.toMillis() - 100, "not before the timeout: " + took);
        }
    }

    @Test
    void afterAnEventStreamEndsItsConnectionIsTimedAgain() throws IOException {
        String runId = api.startRun("streamed", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
        try (Socket socket = connect()) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /api/runs/" + runId + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // the finished run's events, then the end of the chunked stream; the connection stays open
            StringBuilder seen = new StringBuilder();
            InputStream in = socket.getInputStream();
            while (!seen.toString().endsWith("\r\n0\r\n\r\n")) {
                int c = in.read();
                if (c < 0) throw new AssertionError("closed before the stream ended: " + seen);
                seen.append((char) c);
            }
            assertTrue(seen.toString().contains("RunSucceeded"), seen.toString());
            socket.getOutputStream().write("GET /api/health HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            Duration took = RawHttp.awaitClosed(socket, AT_MOST);
            assertTrue(took.toMillis() >= HEADER.toMillis() - 100, "not before the timeout: " + took);
        }
    }

    @Test
    void anEventStreamOutlivesTheHeaderTimeout() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<Stream<String>> stream = client.send(HttpRequest.newBuilder(java.net.URI.create(api.base() + "/api/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        try (Stream<String> lines = stream.body()) {
            // The stream's request is in flight, so no header deadline applies to its connection. Waiting on
            // purpose: three header timeouts pass before the run whose events must still arrive is posted.
            Thread.sleep(HEADER.toMillis() * 3);
            String runId = api.startRun("after the wait", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
            Iterator<String> it = lines.iterator();
            boolean seen = false;
            while (!seen && it.hasNext()) seen = it.next().contains(runId);
            assertTrue(seen, "the stream delivered the run's events");
        }
    }

    @Test
    void aTooLongRequestLineIs414WithAJsonError() {
        Api.Response response = api.get("/api/runs?filter=" + "a".repeat(9000));
        assertError(response, 414, "uri_too_long", "request line", "4096 bytes");
        assertEquals(200, api.get("/api/health").status(), "the server is fine afterwards");
        assertTrue(api.get("/metrics").body().matches("(?s).*\nbaton_http_invalid_requests_total\\{status=\"414\"} 1(\\.0)?\n.*"));
    }

    @Test
    void tooLargeHeadersAre431WithAJsonError() {
        Api.Response response = api.send(api.request("/api/health").header("X-Big", "b".repeat(9000)).GET());
        assertError(response, 431, "headers_too_large", "8192 bytes");
        // over a raw socket too, with Connection: close honoured
        Api.Response raw = RawHttp.exchange(servers.server().port(), RawHttp.request("GET", "/", "127.0.0.1", Map.of("X-Big", "c".repeat(9000)), null));
        assertError(raw, 431, "headers_too_large");
    }
}
