package dev.baton.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes connections whose client is too slow to send a request, so that half-sent requests do not
 * hold connections (and buffers) forever. Vert.x has an idle timeout (no byte either way, set in
 * the server's options) but no deadline for a request's head or body, which a client that drips a
 * byte now and then never trips. So each connection gets one timer:
 * <ul>
 *   <li>the <b>header</b> deadline runs from the connection's opening, and from the end of each
 *       response while no other request is in flight, until a request's line and headers are in;</li>
 *   <li>the <b>body</b> deadline runs from then until the request's body is in (only for requests
 *       that announce a body).</li>
 * </ul>
 * A keep-alive connection that sits idle past the header deadline is closed too, as servers do
 * (the client opens a new one). A long response, such as an event stream, has its request in
 * flight and is not timed.
 */
final class ConnectionTimeouts {
    private final Vertx vertx;
    private final long headerMs;
    private final long bodyMs;
    private final EdgeMetrics metrics;
    /** Per open connection; a connection's events all run on its event loop. */
    private final Map<HttpConnection, State> connections = new ConcurrentHashMap<>();

    private static final class State {
        int inFlight;
        long timer = -1;
    }

    ConnectionTimeouts(Vertx vertx, Duration header, Duration body, EdgeMetrics metrics) {
        this.vertx = vertx;
        this.headerMs = Math.max(1, header.toMillis());
        this.bodyMs = Math.max(1, body.toMillis());
        this.metrics = metrics;
    }

    /** The server's connection handler. */
    void opened(HttpConnection connection) {
        State state = new State();
        connections.put(connection, state);
        connection.closeHandler(v -> {
            cancel(state);
            connections.remove(connection);
        });
        arm(connection, state, headerMs, EdgeMetrics.Closed.HEADER_TIMEOUT, null);
    }

    /** Route handler for every request, first: the head is in; time the body, and the next head after the response. */
    void requestArrived(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpConnection connection = request.connection();
        State state = connection == null ? null : connections.get(connection);
        if (state == null) {
            ctx.next();
            return;
        }
        state.inFlight++;
        cancel(state);
        if (!request.isEnded() && announcesBody(request)) arm(connection, state, bodyMs, EdgeMetrics.Closed.BODY_TIMEOUT, request);
        // The body's end, not addEndHandler: that one rides on response.endHandler, which a handler may
        // set for itself (EventStream does), and then it never fires.
        ctx.addBodyEndHandler(v -> {
            state.inFlight--;
            cancel(state);
            if (state.inFlight == 0 && connections.containsKey(connection)) {
                arm(connection, state, headerMs, EdgeMetrics.Closed.HEADER_TIMEOUT, null);
            }
        });
        ctx.next();
    }

    private static boolean announcesBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return (length != null && !length.trim().equals("0")) || request.getHeader("Transfer-Encoding") != null;
    }

    /** Arms the connection's timer; a body deadline is moot once its request has been read whole. */
    private void arm(HttpConnection connection, State state, long ms, EdgeMetrics.Closed reason, HttpServerRequest request) {
        state.timer = vertx.setTimer(ms, id -> {
            if (state.timer != id) return;
            state.timer = -1;
            if (request != null && request.isEnded()) return;
            metrics.closed(reason);
            connection.close();
        });
    }

    private void cancel(State state) {
        if (state.timer >= 0) {
            vertx.cancelTimer(state.timer);
            state.timer = -1;
        }
    }
}
