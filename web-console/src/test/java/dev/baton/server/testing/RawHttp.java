package dev.baton.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what {@link java.net.http.HttpClient} will not send: any
 * {@code Host} header, a client address other than 127.0.0.1, half-sent requests.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** Sends {@code request} (CRLFs and all) from 127.0.0.1 and reads one response (the server closes or ends it). */
    public static Api.Response exchange(int port, String request) {
        return exchange(port, request, "127.0.0.1");
    }

    /** The same from another local address, e.g. 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback). */
    public static Api.Response exchange(int port, String request, String fromAddress) {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(fromAddress), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A request: method, path, headers (Host first, as given), and a body; asks the server to close after it. */
    public static String request(String method, String path, String host, Map<String, String> headers, String body) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        if (host != null) b.append("Host: ").append(host).append("\r\n");
        headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) b.append("Content-Length: ").append(bytes.length).append("\r\n");
        b.append("Connection: close\r\n\r\n");
        if (body != null) b.append(body);
        return b.toString();
    }

    /** Reads a response's head and its body (by Content-Length, else to the end of the stream). */
    public static Api.Response read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) throw new IOException("the server closed the connection before a response head: '" + head + "'");
            head.write(c);
            matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body;
        List<String> length = headers.get("content-length");
        if (length != null) body = in.readNBytes(Integer.parseInt(length.get(0)));
        else body = in.readAllBytes();
        return new Api.Response(status, java.net.http.HttpHeaders.of(headers, (a, b) -> true), new String(body, StandardCharsets.UTF_8));
    }

    /**
     * Waits for the server to close {@code socket} (a read sees the end of the stream or a reset),
     * and returns how long that took; fails if it is still open after {@code atMost}.
     */
    public static Duration awaitClosed(Socket socket, Duration atMost) throws IOException {
        long start = System.nanoTime();
        socket.setSoTimeout((int) atMost.toMillis());
        try {
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // a response the test did not ask for would show here; keep reading to the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open for " + atMost);
        } catch (IOException reset) {
            // a reset is a close too
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
