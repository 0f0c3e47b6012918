package dev.baton.server.mcp;

import dev.baton.server.Caller;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.HttpHeaders;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * MCP's Streamable HTTP transport (spec 2025-06-18 and later) on Vert.x Web, for the SDK's
 * server, modelled on the SDK's {@code HttpServletStreamableServerTransportProvider} (2.0.1):
 * {@code POST /mcp} takes one JSON-RPC message (an {@code initialize} starts a session and is
 * answered as JSON with its {@code Mcp-Session-Id}; any other request is answered on an SSE
 * stream, which also carries what the server asks the client meanwhile; notifications and
 * responses get 202), {@code GET /mcp} opens the session's listening SSE stream (server requests
 * and notifications outside any request), {@code DELETE /mcp} ends the session.
 *
 * <p>Nothing here blocks: every write is made on the request's own context, and the SDK's
 * handlers answer with {@code Mono}s that Baton's futures complete. A session belongs to the
 * caller (bearer token) that opened it; another caller naming it is refused. The caller travels
 * to the handlers in the {@link McpTransportContext} under {@link #CALLER}.
 *
 * <p>Unlike the servlet transport, a GET with {@code Last-Event-ID} opens a new listening
 * stream (no history is kept to replay), a failed write ends that stream and not the session,
 * and a session nobody used for {@link #IDLE_SESSION} (no request, no listening stream) is closed.
 */
public final class VertxMcpTransport implements McpStreamableServerTransportProvider {
    private static final Logger LOG = LoggerFactory.getLogger(VertxMcpTransport.class);
    /** The key of the {@link Caller} in the transport context. */
    public static final String CALLER = "baton.caller";
    /** The key of the client's IP address in the transport context (callers without a token are rate-limited by it). */
    public static final String ADDRESS = "baton.address";
    public static final String PATH = "/mcp";
    /** A comment line on open streams this often, so that neither Baton's idle timeout nor a proxy cuts them. */
    private static final long KEEP_ALIVE_MS = 15_000;
    static final Duration IDLE_SESSION = Duration.ofMinutes(30);
    /**
     * Sessions one caller (token; without tokens, every local client together) may hold open: a client
     * that initializes without end would otherwise fill the memory for {@link #IDLE_SESSION}.
     */
    static final int MAX_SESSIONS_PER_CALLER = 100;
    private static final long SWEEP_MS = 60_000;

    /** What Baton's side of the server hears of sessions; called on any thread. */
    public interface Listener {
        /** A session started, opened by {@code caller} with the client's {@code capabilities}. */
        void opened(String sessionId, Caller caller, McpSchema.ClientCapabilities capabilities);

        /** A request of the session, before the SDK handles it (e.g. {@code resources/subscribe}). */
        void request(String sessionId, McpSchema.JSONRPCRequest request);

        /** The session's listening stream opened: what the server asks now reaches the client. */
        void listening(String sessionId);

        /** The session ended (DELETE, idle, or the server stops). */
        void closed(String sessionId);
    }

    private final Vertx vertx;
    private final McpJsonMapper json;
    private final Function<RoutingContext, Caller> callers;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final long sweeper;
    private volatile McpStreamableServerSession.Factory factory;
    private volatile Listener listener;
    private volatile boolean closing;

    private static final class Session {
        final McpStreamableServerSession sdk;
        final Caller caller;
        volatile long lastSeen = System.nanoTime();
        /** The open listening stream, if any. */
        volatile McpStreamableServerSession.McpStreamableServerSessionStream listening;

        Session(McpStreamableServerSession sdk, Caller caller) {
            this.sdk = sdk;
            this.caller = caller;
        }
    }

    /** @param callers who made a request (authenticated before the MCP routes) */
    public VertxMcpTransport(Vertx vertx, McpJsonMapper json, Function<RoutingContext, Caller> callers) {
        this.vertx = vertx;
        this.json = json;
        this.callers = callers;
        this.sweeper = vertx.setPeriodic(SWEEP_MS, id -> closeIdle());
    }

    void listener(Listener listener) {
        this.listener = listener;
    }

    /** Routes {@code /mcp}; authentication and the body handler come before. */
    public void mount(Router router) {
        router.post(PATH).handler(this::post);
        router.get(PATH).handler(this::get);
        router.delete(PATH).handler(this::delete);
        router.route(PATH).handler(ctx -> error(ctx, 405, McpSchema.ErrorCodes.INVALID_REQUEST,
                "/mcp takes POST (a JSON-RPC message), GET (the session's event stream) and DELETE (end the session)"));
    }

    /** The SDK's session of this id, if it is open. */
    McpStreamableServerSession session(String sessionId) {
        Session session = sessions.get(sessionId);
        return session == null ? null : session.sdk;
    }

    int openSessions() {
        return sessions.size();
    }

    // ------------------------------------------------------------------ the SPI

    @Override
    public void setSessionFactory(McpStreamableServerSession.Factory sessionFactory) {
        this.factory = sessionFactory;
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return Flux.fromIterable(sessions.values())
                .flatMap(s -> s.sdk.sendNotification(method, params).onErrorResume(e -> {
                    LOG.debug("MCP session {}: notification {} not sent: {}", s.sdk.getId(), method, e.toString());
                    return Mono.empty();
                }))
                .then();
    }

    @Override
    public Mono<Void> notifyClient(String sessionId, String method, Object params) {
        return Mono.defer(() -> {
            Session session = sessions.get(sessionId);
            return session == null ? Mono.empty() : session.sdk.sendNotification(method, params);
        });
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.defer(() -> {
            closing = true;
            vertx.cancelTimer(sweeper);
            return Flux.fromIterable(List.copyOf(sessions.keySet())).flatMap(this::end).then();
        });
    }

    /** Closes the session and forgets it. */
    private Mono<Void> end(String sessionId) {
        Session session = sessions.remove(sessionId);
        if (session == null) return Mono.empty();
        return session.sdk.closeGracefully()
                .onErrorResume(e -> {
                    LOG.debug("MCP session {} did not close cleanly: {}", sessionId, e.toString());
                    return Mono.empty();
                })
                .doFinally(signal -> {
                    var stream = session.listening;
                    if (stream != null) stream.close();
                    Listener l = listener;
                    if (l != null) l.closed(sessionId);
                });
    }

    private void closeIdle() {
        long now = System.nanoTime();
        sessions.forEach((id, session) -> {
            if (session.listening == null && now - session.lastSeen > IDLE_SESSION.toNanos()) {
                LOG.info("MCP session {} of '{}' closed: unused for {}", id, session.caller.name(), IDLE_SESSION);
                end(id).subscribe();
            }
        });
    }

    // ------------------------------------------------------------------ routes

    private void post(RoutingContext ctx) {
        if (closing) {
            error(ctx, 503, McpSchema.ErrorCodes.INTERNAL_ERROR, "the server is shutting down");
            return;
        }
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        if (accept == null || !accept.contains("application/json") || !accept.contains("text/event-stream")) {
            error(ctx, 406, McpSchema.ErrorCodes.INVALID_REQUEST,
                    "the Accept header must list both application/json and text/event-stream");
            return;
        }
        McpSchema.JSONRPCMessage message;
        try {
            String body = ctx.body() == null ? null : ctx.body().asString();
            if (body == null || body.isBlank()) throw new IllegalArgumentException("the body is empty");
            message = McpSchema.deserializeJsonRpcMessage(json, body);
        } catch (Exception e) {
            error(ctx, 400, McpSchema.ErrorCodes.PARSE_ERROR, "the body is not a JSON-RPC message: " + e.getMessage());
            return;
        }
        Caller caller = callers.apply(ctx);
        var remote = ctx.request().remoteAddress();
        McpTransportContext transportContext = McpTransportContext.create(Map.of(CALLER, caller,
                ADDRESS, remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress()));
        if (message instanceof McpSchema.JSONRPCRequest request && McpSchema.METHOD_INITIALIZE.equals(request.method())) {
            initialize(ctx, request, caller, transportContext);
            return;
        }
        Session session = session(ctx, caller);
        if (session == null) return;
        Context context = Vertx.currentContext();
        if (message instanceof McpSchema.JSONRPCRequest request) {
            Listener l = listener;
            if (l != null) l.request(session.sdk.getId(), request);
            Stream stream = new Stream(ctx);
            session.sdk.responseStream(request, stream)
                    .contextWrite(c -> c.put(McpTransportContext.KEY, transportContext))
                    .subscribe(null, e -> {
                        LOG.warn("MCP session {}: request {} failed: {}", session.sdk.getId(), request.method(), e.toString());
                        stream.close();
                    });
            return;
        }
        Mono<Void> accepted = message instanceof McpSchema.JSONRPCResponse response ? session.sdk.accept(response)
                : session.sdk.accept((McpSchema.JSONRPCNotification) message);
        accepted.contextWrite(c -> c.put(McpTransportContext.KEY, transportContext))
                .subscribe(null,
                        e -> context.runOnContext(v -> error(ctx, 400, McpSchema.ErrorCodes.INVALID_PARAMS, e.getMessage())),
                        () -> context.runOnContext(v -> {
                            if (!ctx.response().ended()) ctx.response().setStatusCode(202).end();
                        }));
    }

    private void initialize(RoutingContext ctx, McpSchema.JSONRPCRequest request, Caller caller, McpTransportContext transportContext) {
        McpSchema.InitializeRequest init;
        try {
            init = json.convertValue(request.params(), new TypeRef<McpSchema.InitializeRequest>() {
            });
        } catch (RuntimeException e) {
            error(ctx, 400, McpSchema.ErrorCodes.INVALID_PARAMS, "the initialize request's params are malformed: " + e.getMessage());
            return;
        }
        long held = sessions.values().stream().filter(s -> s.caller.name().equals(caller.name())).count();
        if (held >= MAX_SESSIONS_PER_CALLER) {
            ctx.response().putHeader("Retry-After", "60");
            error(ctx, 429, McpSchema.ErrorCodes.INVALID_REQUEST, "too_many_sessions: '" + caller.name() + "' holds "
                    + held + " MCP sessions, the most one caller may; end one (DELETE /mcp) or let an unused one expire");
            return;
        }
        McpStreamableServerSession.McpStreamableServerSessionInit started = factory.startSession(init);
        String id = started.session().getId();
        sessions.put(id, new Session(started.session(), caller));
        Context context = Vertx.currentContext();
        started.initResult().contextWrite(c -> c.put(McpTransportContext.KEY, transportContext)).subscribe(
                result -> context.runOnContext(v -> {
                    Listener l = listener;
                    if (l != null) l.opened(id, caller, init.capabilities());
                    try {
                        ctx.response().setStatusCode(200)
                                .putHeader("Content-Type", "application/json")
                                .putHeader(HttpHeaders.MCP_SESSION_ID, id)
                                .end(json.writeValueAsString(McpSchema.JSONRPCResponse.result(request.id(), result)));
                    } catch (Exception e) {
                        error(ctx, 500, McpSchema.ErrorCodes.INTERNAL_ERROR, e.getMessage());
                    }
                }),
                e -> context.runOnContext(v -> {
                    sessions.remove(id);
                    error(ctx, 500, McpSchema.ErrorCodes.INTERNAL_ERROR, "the session could not start: " + e.getMessage());
                }));
    }

    private void get(RoutingContext ctx) {
        if (closing) {
            error(ctx, 503, McpSchema.ErrorCodes.INTERNAL_ERROR, "the server is shutting down");
            return;
        }
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        if (accept == null || !accept.contains("text/event-stream")) {
            error(ctx, 406, McpSchema.ErrorCodes.INVALID_REQUEST, "the Accept header must list text/event-stream");
            return;
        }
        Session session = session(ctx, callers.apply(ctx));
        if (session == null) return;
        var previous = session.listening;
        Stream stream = new Stream(ctx);
        var listening = session.sdk.listeningStream(stream);
        session.listening = listening;
        if (previous != null) previous.close(); // one listening stream per session: the newest
        ctx.response().closeHandler(v -> {
            session.lastSeen = System.nanoTime();
            if (session.listening == listening) session.listening = null;
            listening.close();
        });
        Listener l = listener;
        if (l != null) l.listening(session.sdk.getId());
    }

    private void delete(RoutingContext ctx) {
        Session session = session(ctx, callers.apply(ctx));
        if (session == null) return;
        Context context = Vertx.currentContext();
        end(session.sdk.getId()).subscribe(null,
                e -> context.runOnContext(v -> error(ctx, 500, McpSchema.ErrorCodes.INTERNAL_ERROR, e.getMessage())),
                () -> context.runOnContext(v -> {
                    if (!ctx.response().ended()) ctx.response().setStatusCode(200).end();
                }));
    }

    /**
     * The request's session, checked: its id is given and known, the caller is the one who opened
     * it, and the protocol version header (when sent) is one this server speaks. Otherwise answers
     * (400, 404, 403) and returns null.
     */
    private Session session(RoutingContext ctx, Caller caller) {
        String id = ctx.request().getHeader(HttpHeaders.MCP_SESSION_ID);
        if (id == null || id.isBlank()) {
            error(ctx, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "the Mcp-Session-Id header is required: send initialize first");
            return null;
        }
        Session session = sessions.get(id);
        if (session == null) {
            error(ctx, 404, McpSchema.ErrorCodes.INVALID_REQUEST, "no MCP session '" + id + "' (it ended or never was): initialize again");
            return null;
        }
        if (!session.caller.name().equals(caller.name())) {
            error(ctx, 403, McpSchema.ErrorCodes.INVALID_REQUEST, "MCP session '" + id + "' belongs to another caller");
            return null;
        }
        String version = ctx.request().getHeader(HttpHeaders.PROTOCOL_VERSION);
        if (version != null && !protocolVersions().contains(version)) {
            error(ctx, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "MCP-Protocol-Version '" + version + "' is not one this server speaks: "
                    + protocolVersions());
            return null;
        }
        session.lastSeen = System.nanoTime();
        return session;
    }

    /** A JSON-RPC error body (id null: the transport refused the message before anyone read its id). */
    private void error(RoutingContext ctx, int status, int code, String message) {
        if (ctx.response().ended()) return;
        // Written here, not through the SDK's JSONRPCResponse: its serialisation of an error with no id failed,
        // and every refusal then read "request refused" without its reason.
        var body = dev.baton.json.Json.object().put("jsonrpc", McpSchema.JSONRPC_VERSION).putNull("id");
        body.putObject("error").put("code", code).put("message", message);
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }

    /**
     * One SSE stream: the answer to a POSTed request, or the session's listening stream. Writes
     * happen on the request's context, whichever thread the SDK sends from.
     */
    private final class Stream implements McpStreamableServerTransport {
        private final HttpServerResponse response;
        private final Context context;
        private final long keepAlive;
        private boolean closed; // on context only

        Stream(RoutingContext ctx) {
            this.response = ctx.response();
            this.context = Vertx.currentContext();
            response.setChunked(true)
                    .setStatusCode(200)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            response.closeHandler(v -> closed = true);
            this.keepAlive = vertx.setPeriodic(KEEP_ALIVE_MS, id -> context.runOnContext(v -> {
                if (!closed && !response.ended()) response.write(": keep-alive\n\n");
                else vertx.cancelTimer(id);
            }));
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return sendMessage(message, null);
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.create(sink -> {
                String text;
                try {
                    text = json.writeValueAsString(message);
                } catch (Exception e) {
                    sink.error(e);
                    return;
                }
                Buffer frame = Buffer.buffer((messageId == null ? "" : "id: " + messageId + "\n") + "event: message\ndata: " + text + "\n\n");
                context.runOnContext(v -> {
                    if (closed || response.ended()) {
                        sink.success(); // the client left; as the servlet transport, nothing to tell the sender
                        return;
                    }
                    response.write(frame).onComplete(done -> {
                        if (done.failed()) close();
                        sink.success();
                    });
                });
            });
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return json.convertValue(data, typeRef);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.create(sink -> context.runOnContext(v -> {
                end();
                sink.success();
            }));
        }

        @Override
        public void close() {
            context.runOnContext(v -> end());
        }

        private void end() {
            if (closed) return;
            closed = true;
            vertx.cancelTimer(keepAlive);
            if (!response.ended()) response.end();
        }
    }
}
