package dev.baton.tools.mcp;

import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import reactor.core.publisher.Mono;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The SDK's stdio transport, with what Baton needs that it does not give:
 * <ul>
 *   <li>a child environment of a few harmless variables (as the MCP TypeScript SDK does), not all
 *       of Baton's: its tokens and database password stay out of third-party servers;</li>
 *   <li>the child {@link Process}, to notice at once when it dies (the SDK only lets pending calls
 *       run into their timeout) and to kill what it spawned on close ({@code npx} starts a second
 *       process that a TERM to the first leaves orphaned);</li>
 *   <li>messages sent from many threads at once, and a process started at most once (see below).</li>
 * </ul>
 * The process is the transport's private field {@code process}, read by reflection: SDK 2.0.1
 * offers no accessor. If a later SDK renames it, {@link #process()} is null and Baton falls back
 * to noticing a dead server by a failed call and a ping.
 */
final class ChildProcessTransport extends StdioClientTransport {

    /** What the child inherits from Baton's environment; everything else it gets from the server's {@code env}. */
    private static final List<String> INHERITED = List.of("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL",
            "TMPDIR", "TZ", "SYSTEMROOT", "SystemRoot", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "PATHEXT", "COMSPEC", "windir");

    private final java.util.concurrent.atomic.AtomicBoolean connected = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Throwable startFailure;

    ChildProcessTransport(ServerParameters params, McpJsonMapper jsonMapper) {
        super(params, jsonMapper);
    }

    /**
     * Starts the process, once. The SDK's client initialises again, on the same transport, when
     * it is used after its session closed (a late ping, a call racing the close): a second start
     * would fail half-way and leave a process nobody owns. Baton makes a new transport for every
     * connection instead.
     */
    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        if (!connected.compareAndSet(false, true)) {
            return Mono.error(new IllegalStateException("this connection to the MCP server is closed"));
        }
        return super.connect(handler).doOnError(e -> startFailure = e);
    }

    /** Why the process could not be started (e.g. no such command), or null: the SDK only logs it. */
    Throwable startFailure() {
        return startFailure;
    }

    /**
     * One message at a time: the SDK queues outgoing messages in a sink that refuses concurrent
     * emitters ("Failed to enqueue message"), and tasks call a server's tools from many threads.
     */
    @Override
    public synchronized Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        return super.sendMessage(message);
    }

    @Override
    protected ProcessBuilder getProcessBuilder() {
        ProcessBuilder builder = new ProcessBuilder();
        Map<String, String> kept = new LinkedHashMap<>();
        for (String name : INHERITED) {
            String value = System.getenv(name);
            if (value != null) kept.put(name, value);
        }
        builder.environment().clear();
        builder.environment().putAll(kept); // the transport adds the server's env after this
        return builder;
    }

    /** The child process once started, or null (not started yet, or an SDK without the field). */
    Process process() {
        try {
            Field field = StdioClientTransport.class.getDeclaredField("process");
            field.setAccessible(true);
            return (Process) field.get(this);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
