package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Baton's one connection to one MCP server, kept up for as long as Baton runs: connects, lists
 * the server's tools into the registry (source {@code mcp:<server>}), follows
 * {@code notifications/tools/list_changed}, and when the server dies or drops, reconnects with
 * backoff (250 ms doubling to 30 s, +-20 % jitter). Meanwhile the server's tools stay
 * registered and their calls fail retryably ({@code mcp_unavailable}), so the orchestrator's
 * retry lands on the next connection.
 *
 * <p>It uses the SDK's asynchronous client: a call's time limit is the task's own deadline
 * (a Reactor {@code timeout} per call, where the synchronous client has one fixed request
 * timeout), an interrupted call cancels its request, and the list-changed notification is
 * handled without parking an SDK thread.
 */
final class McpConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpConnection.class);

    /** How long connecting (starting the process or reaching the URL, initialize, tools/list) may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
    private static final String META = "dev.baton/";

    /** One connection's client, its number (to ignore news about an earlier one), and its child process (stdio). */
    private record Session(long generation, McpAsyncClient client, Process process) {
    }

    private final McpServerSpec spec;
    private final ToolRegistry registry;
    private final McpCallListener listener;
    private final ScheduledExecutorService scheduler;
    private final String clientVersion;
    private final Object lock = new Object();
    /** Held from asking for the tool list to applying it: a list asked for later is applied later. */
    private final Object listLock = new Object();
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final AtomicBoolean checking = new AtomicBoolean();

    // guarded by lock
    private Session session;
    private long generation;
    private int failures;
    private boolean closed;

    private volatile McpServerStatus status;
    private volatile String lastStderr;

    McpConnection(McpServerSpec spec, ToolRegistry registry, McpCallListener listener, ScheduledExecutorService scheduler,
                  String clientVersion) {
        this.spec = spec;
        this.registry = registry;
        this.listener = listener;
        this.scheduler = scheduler;
        this.clientVersion = clientVersion;
        this.status = new McpServerStatus(spec.name(), McpServerStatus.State.CONNECTING, List.of(), null, Instant.now());
    }

    McpServerSpec spec() {
        return spec;
    }

    McpServerStatus status() {
        return status;
    }

    /** Starts connecting in the background; {@link #firstAttempt()} completes when the first try ended, either way. */
    void start() {
        scheduler.execute(this::connect);
    }

    CompletableFuture<Void> firstAttempt() {
        return firstAttempt;
    }

    private void connect() {
        long gen;
        synchronized (lock) {
            if (closed) return;
            gen = ++generation;
        }
        setState(McpServerStatus.State.CONNECTING, status.lastError());
        lastStderr = null;
        McpAsyncClient client = null;
        McpClientTransport transport = null;
        Process process = null;
        try {
            transport = transport();
            client = McpClient.async(transport)
                    .clientInfo(McpSchema.Implementation.builder("baton", clientVersion).build())
                    .capabilities(McpSchema.ClientCapabilities.builder().build())
                    .initializationTimeout(CONNECT_TIMEOUT)
                    // Each call sets its own limit (the task's deadline); this only bounds what nothing else does.
                    .requestTimeout(Duration.ofDays(1))
                    .jsonSchemaValidator(new DefaultJsonSchemaValidator())
                    // The SDK hands over the list it fetched on list_changed; ask again in order instead (see listLock),
                    // so that an older list, answered late, never overwrites a newer one.
                    .toolsChangeConsumer(tools -> Mono.fromRunnable(() -> relistSoon(gen)))
                    .build();
            initialize(client, transport);
            if (transport instanceof ChildProcessTransport child) process = child.process();
            synchronized (listLock) {
                McpSchema.ListToolsResult listed = client.listTools().block(CONNECT_TIMEOUT);
                boolean current;
                synchronized (lock) {
                    current = !closed && gen == generation;
                    if (current) {
                        session = new Session(gen, client, process);
                        failures = 0;
                    }
                }
                if (!current) {
                    shut(new Session(gen, client, process));
                    return;
                }
                toolsListed(gen, listed == null ? List.of() : listed.tools());
            }
            synchronized (lock) {
                // unless a failed call's ping found it dead in the meantime
                if (session != null && session.generation() == gen) setState(McpServerStatus.State.CONNECTED, null);
            }
            LOG.info("MCP server '{}': connected ({} tools)", spec.name(), status.tools().size());
            if (process != null) {
                Process watched = process;
                watched.onExit().thenRun(() -> lost(gen, "its process exited with code " + watched.exitValue()
                        + (lastStderr == null ? "" : " (stderr: " + lastStderr + ")")));
            }
        } catch (RuntimeException e) {
            if (process == null && transport instanceof ChildProcessTransport child) process = child.process();
            if (client != null) shut(new Session(gen, client, process));
            else if (process != null) process.destroyForcibly();
            String reason = describe(e);
            // The SDK's HTTP transport drops the cause of a failed connect ("Client failed to initialize by explicit
            // API call"): say whether the address answers at all, which is what an operator needs to know first.
            if (spec.transport() instanceof McpServerSpec.StreamableHttp http) reason = unreachable(http.url()).orElse(reason);
            int attempt;
            synchronized (lock) {
                if (closed) return;
                attempt = ++failures;
            }
            Duration delay = backoff(attempt);
            LOG.warn("MCP server '{}': cannot connect: {}; trying again in {} ms", spec.name(), reason, delay.toMillis());
            setState(McpServerStatus.State.DISCONNECTED, reason);
            schedule(delay);
        } finally {
            firstAttempt.complete(null);
        }
    }

    /**
     * The MCP handshake, at most {@link #CONNECT_TIMEOUT}. A child process that exits meanwhile (a
     * wrong path, a missing package) ends the wait at once, with its exit code and last stderr
     * line, where the SDK would wait out the timeout.
     */
    private void initialize(McpAsyncClient client, McpClientTransport transport) {
        CompletableFuture<McpSchema.InitializeResult> init = client.initialize().toFuture();
        long until = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (true) {
            try {
                init.get(50, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException notYet) {
                ChildProcessTransport child = transport instanceof ChildProcessTransport c ? c : null;
                Process process = child == null ? null : child.process();
                if (child != null && child.startFailure() != null) {
                    init.cancel(true);
                    throw new ConnectFailure("cannot start '" + ((McpServerSpec.Stdio) spec.transport()).command() + "': "
                            + describe(child.startFailure()));
                }
                if (process != null && !process.isAlive()) {
                    init.cancel(true);
                    throw new ConnectFailure("its process exited with code " + process.exitValue()
                            + (lastStderr == null ? "" : " (stderr: " + lastStderr + ")"));
                }
                if (System.nanoTime() > until) {
                    init.cancel(true);
                    throw new ConnectFailure("no answer to initialize within " + CONNECT_TIMEOUT.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                init.cancel(true);
                Thread.currentThread().interrupt();
                throw new ConnectFailure("interrupted while connecting");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    /** The connection {@code gen} broke: close it, keep the tools, reconnect soon. */
    private void lost(long gen, String reason) {
        Session dead;
        synchronized (lock) {
            if (closed || session == null || session.generation() != gen) return;
            dead = session;
            session = null;
            failures = 0;
        }
        LOG.warn("MCP server '{}': connection lost: {}; reconnecting", spec.name(), reason);
        setState(McpServerStatus.State.DISCONNECTED, reason);
        try {
            scheduler.execute(() -> shut(dead));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            shut(dead); // closing
        }
        schedule(backoff(0));
    }

    private void schedule(Duration delay) {
        try {
            scheduler.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** 250 ms, then doubling up to 30 s, each +-20 %. */
    static Duration backoff(int failuresSoFar) {
        double base = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() * Math.pow(2, Math.max(0, failuresSoFar - 1)));
        double jittered = base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(Math.round(jittered));
    }

    private McpClientTransport transport() {
        JacksonMcpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
        if (spec.transport() instanceof McpServerSpec.Stdio stdio) {
            ChildProcessTransport transport = new ChildProcessTransport(
                    ServerParameters.builder(stdio.command()).args(stdio.args()).env(stdio.env()).build(), mapper);
            transport.setStdErrorHandler(line -> {
                // For messages: the latest line that names an error (a stack trace ends with lines that do not), else the latest
                String shown = line.length() > 300 ? line.substring(0, 300) + "..." : line;
                if (!line.isBlank() && (lastStderr == null || line.toLowerCase(java.util.Locale.ROOT).contains("error")
                        || !lastStderr.toLowerCase(java.util.Locale.ROOT).contains("error"))) {
                    lastStderr = shown.strip();
                }
                LOG.debug("MCP server '{}' stderr: {}", spec.name(), line);
            });
            return transport;
        }
        McpServerSpec.StreamableHttp http = (McpServerSpec.StreamableHttp) spec.transport();
        URI url = http.url();
        String base = url.getScheme() + "://" + url.getRawAuthority();
        String endpoint = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        HttpRequest.Builder requests = HttpRequest.newBuilder();
        http.headers().forEach(requests::header);
        return HttpClientStreamableHttpTransport.builder(base)
                .endpoint(endpoint)
                .jsonMapper(mapper)
                .requestBuilder(requests)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    private void relistSoon(long gen) {
        try {
            scheduler.execute(() -> relist(gen));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** After {@code list_changed}: the server's tools now. */
    private void relist(long gen) {
        synchronized (listLock) {
            Session current;
            synchronized (lock) {
                current = session;
            }
            if (current == null || current.generation() != gen) return;
            try {
                McpSchema.ListToolsResult listed = current.client().listTools().block(CONNECT_TIMEOUT);
                toolsListed(gen, listed == null ? List.of() : listed.tools());
            } catch (RuntimeException e) {
                LOG.warn("MCP server '{}': listing its tools after list_changed failed: {}", spec.name(), describe(e));
                checkAlive(current);
            }
        }
    }

    /** A tools list arrived (after connecting, or after {@code list_changed}): replace the source's tools. */
    private void toolsListed(long gen, List<McpSchema.Tool> listed) {
        synchronized (lock) {
            if (closed || gen != generation) return;
            List<BatonTool> accepted = new ArrayList<>();
            Set<String> names = new LinkedHashSet<>();
            Set<String> seen = new LinkedHashSet<>();
            for (McpSchema.Tool tool : listed) {
                seen.add(tool.name());
                if (!spec.takes(tool.name())) continue;
                ToolDescriptor descriptor;
                try {
                    descriptor = McpTool.descriptor(spec, tool);
                } catch (IllegalArgumentException e) {
                    LOG.warn("MCP server '{}': tool '{}' skipped: {}", spec.name(), tool.name(), e.getMessage());
                    continue;
                }
                String name = descriptor.name();
                if (!names.add(name)) {
                    LOG.warn("MCP server '{}': tool '{}' skipped: another of its tools is registered as '{}' already", spec.name(), tool.name(), name);
                    continue;
                }
                List<SchemaViolation> problems = JsonSchemaValidator.schemaProblems(descriptor.parameters(), "inputSchema");
                if (!problems.isEmpty()) {
                    names.remove(name);
                    LOG.warn("MCP server '{}': tool '{}' skipped: its inputSchema cannot be checked as written: {}", spec.name(), tool.name(),
                            String.join("; ", problems.stream().map(SchemaViolation::toString).toList()));
                    continue;
                }
                ToolDescriptor taken = registry.descriptor(name).orElse(null);
                if (taken != null && !taken.source().equals(spec.source())) {
                    names.remove(name);
                    LOG.warn("MCP server '{}': tool '{}' skipped: the name '{}' is taken by a tool from {}", spec.name(), tool.name(), name,
                            taken.source());
                    continue;
                }
                accepted.add(new McpTool(this, tool.name(), descriptor));
            }
            for (String allowed : spec.allow()) {
                if (!seen.contains(allowed)) LOG.warn("MCP server '{}': 'allow' names '{}', which the server does not list", spec.name(), allowed);
            }
            try {
                registry.replaceSource(spec.source(), accepted);
            } catch (IllegalArgumentException e) {
                // Another source took a name between the check above and now: keep the tools we had.
                LOG.warn("MCP server '{}': its new tool list was not applied: {}", spec.name(), e.getMessage());
                return;
            }
            McpServerStatus now = status;
            status = new McpServerStatus(spec.name(), now.state(), List.copyOf(names), now.lastError(), now.since());
        }
    }

    /** One {@code tools/call}; see {@link McpResults} for the output and the class comment for the failures. */
    JsonNode call(String tool, JsonNode args, ToolContext context) throws Exception {
        long started = System.nanoTime();
        Session current;
        synchronized (lock) {
            current = session;
        }
        if (current == null) {
            record(tool, McpCallListener.Outcome.UNAVAILABLE, started);
            McpServerStatus now = status;
            throw ToolException.retryable("mcp_unavailable", "MCP server '" + spec.name() + "' is " + now.state().label()
                    + (now.lastError() == null ? "" : " (" + now.lastError() + ")"));
        }
        Duration limit = limit(context);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(META + "idempotencyKey", context.idempotencyKey());
        meta.put(META + "runId", context.runId());
        meta.put(META + "taskId", context.taskId());
        meta.put(META + "attempt", context.attempt());
        @SuppressWarnings("unchecked")
        Map<String, Object> arguments = args == null || args.isNull() ? Map.of() : Json.MAPPER.convertValue(args, Map.class);
        CompletableFuture<McpSchema.CallToolResult> pending = current.client()
                .callTool(new McpSchema.CallToolRequest(tool, arguments, meta))
                .timeout(limit)
                .toFuture();
        McpSchema.CallToolResult result;
        try {
            result = pending.get();
        } catch (InterruptedException e) {
            pending.cancel(true);
            record(tool, McpCallListener.Outcome.UNAVAILABLE, started);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            McpError protocol = find(cause, McpError.class);
            if (protocol != null) {
                record(tool, McpCallListener.Outcome.PROTOCOL_ERROR, started);
                throw new ToolException("mcp_protocol_error", "MCP server '" + spec.name() + "' answered tools/call of '" + tool
                        + "' with an error: " + protocol.getMessage(), true, null, cause);
            }
            record(tool, McpCallListener.Outcome.UNAVAILABLE, started);
            checkAlive(current);
            String why = cause instanceof TimeoutException ? "did not answer within " + limit.toMillis() + " ms" : "failed: " + describe(cause);
            throw new ToolException("mcp_unavailable", "MCP server '" + spec.name() + "', tool '" + tool + "': " + why, true, null, cause);
        }
        JsonNode json = Json.MAPPER.valueToTree(result);
        if (McpResults.isError(json)) {
            record(tool, McpCallListener.Outcome.TOOL_ERROR, started);
            throw ToolException.permanent("mcp_tool_error", McpResults.errorMessage(json));
        }
        record(tool, McpCallListener.Outcome.OK, started);
        return McpResults.output(json);
    }

    private Duration limit(ToolContext context) {
        Duration fallback = spec.timeout() != null ? spec.timeout() : ToolDescriptor.DEFAULT_TIMEOUT;
        if (context.deadline() == null) return fallback;
        Duration left = Duration.between(Instant.now(), context.deadline());
        return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
    }

    /** After a failed call: a ping tells a dead connection (reconnect now) from a slow tool (nothing to do). */
    private void checkAlive(Session current) {
        synchronized (lock) {
            if (session != current) return; // already replaced: a ping would only wake the closed client up
        }
        if (!checking.compareAndSet(false, true)) return;
        current.client().ping().timeout(PING_TIMEOUT).subscribe(
                ok -> checking.set(false),
                error -> {
                    checking.set(false);
                    lost(current.generation(), "it does not answer a ping: " + describe(error));
                });
    }

    private void record(String tool, McpCallListener.Outcome outcome, long startedNanos) {
        try {
            listener.called(spec.name(), tool, outcome, Duration.ofNanos(System.nanoTime() - startedNanos));
        } catch (RuntimeException e) {
            LOG.warn("the MCP call listener failed: {}", e.toString());
        }
    }

    private void setState(McpServerStatus.State state, String lastError) {
        synchronized (lock) {
            McpServerStatus now = status;
            Instant since = now.state() == state ? now.since() : Instant.now();
            status = new McpServerStatus(spec.name(), state, now.tools(), lastError, since);
        }
    }

    /** Ends the session and the child process with everything it started. */
    private void shut(Session s) {
        Process process = s.process();
        List<ProcessHandle> children = process == null ? List.of() : process.descendants().toList();
        try {
            s.client().closeGracefully().block(CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.debug("MCP server '{}': closing the session: {}", spec.name(), e.toString());
        }
        children.forEach(ProcessHandle::destroyForcibly);
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the session for good, kills a child process, and removes the server's tools from the registry. */
    @Override
    public void close() {
        Session last;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            last = session;
            session = null;
            try {
                registry.replaceSource(spec.source(), List.of());
            } catch (IllegalArgumentException e) {
                LOG.warn("MCP server '{}': its tools could not be removed: {}", spec.name(), e.getMessage());
            }
        }
        if (last != null) shut(last);
        setState(McpServerStatus.State.DISCONNECTED, "closed");
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) return type.cast(t);
            if (t.getCause() == t) break;
        }
        return null;
    }

    /** A failure to connect that Baton itself noticed; its message says all. */
    private static final class ConnectFailure extends RuntimeException {
        ConnectFailure(String message) {
            super(message, null, false, false);
        }
    }

    /** Why {@code url}'s host and port take no TCP connection, or empty when they do (then the failure was MCP's). */
    static java.util.Optional<String> unreachable(URI url) {
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(url.getHost(), port), (int) Duration.ofSeconds(2).toMillis());
            return java.util.Optional.empty();
        } catch (java.io.IOException e) {
            String why = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
            return java.util.Optional.of("cannot reach " + url.getHost() + ":" + port + ": " + why);
        }
    }

    /** The innermost useful message of a failure, for logs and statuses. */
    static String describe(Throwable error) {
        if (error instanceof ConnectFailure) return error.getMessage();
        Throwable t = error;
        String message = String.valueOf(error);
        while (t != null) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) message = t.getClass().getSimpleName() + ": " + t.getMessage();
            if (t.getCause() == null || t.getCause() == t) break;
            t = t.getCause();
        }
        // The root cause of a refused connection often has no message (java.net.ConnectException): name it.
        if (t != null && t != error && (t.getMessage() == null || t.getMessage().isBlank())) message += " (" + t.getClass().getSimpleName() + ")";
        return message;
    }
}
