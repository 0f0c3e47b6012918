package dev.baton.tools.mcp;

import dev.baton.tools.ToolRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The MCP servers Baton takes tools from, connected and kept connected:
 *
 * <pre>{@code
 * ToolRegistry tools = new ToolRegistry();
 * try (McpTools mcp = McpTools.connect(McpServers.load(Path.of("mcp.json"), System.getenv()), tools,
 *                                      McpCallListener.NONE, Duration.ofSeconds(10))) {
 *     // tools now holds everything.echo, everything.get-sum, github.create_issue, ...
 * }
 * }</pre>
 *
 * {@link #connect} connects to every server at once and waits for each at most {@code wait}, so
 * that plans naming their tools validate as soon as it returns. A server still down then is
 * logged (WARN) and retried in the background; its tools join the registry when it answers. Each
 * server has one connection, described in {@link McpConnection}'s terms: tools as
 * {@code <server>.<tool>} with source {@code mcp:<server>}, {@code list_changed} followed,
 * reconnection with backoff. {@link #close} ends every session, kills every child process and
 * removes the tools.
 */
public final class McpTools implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpTools.class);

    /** How long {@link #connect} waits by default for each server before it goes on without it. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    private final List<McpConnection> connections;
    private final ScheduledExecutorService scheduler;

    private McpTools(List<McpConnection> connections, ScheduledExecutorService scheduler) {
        this.connections = connections;
        this.scheduler = scheduler;
    }

    /**
     * Connects to {@code servers} in parallel, registering their tools in {@code registry}, and
     * returns once each has connected or failed its first attempt, or {@code wait} has passed.
     *
     * @param listener told of every call (e.g. metrics); {@link McpCallListener#NONE} for none
     * @throws IllegalArgumentException when two servers have the same name
     */
    public static McpTools connect(List<McpServerSpec> servers, ToolRegistry registry, McpCallListener listener, Duration wait) {
        Set<String> names = new LinkedHashSet<>();
        for (McpServerSpec spec : servers) {
            if (!names.add(spec.name())) throw new IllegalArgumentException("two MCP servers are named '" + spec.name() + "'");
        }
        AtomicInteger threads = new AtomicInteger();
        // Connecting blocks (a process start, an HTTP round trip): one thread per server connects them all at once.
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(Math.max(1, servers.size()), runnable -> {
            Thread thread = new Thread(runnable, "baton-mcp-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        String version = McpTools.class.getPackage().getImplementationVersion();
        List<McpConnection> connections = new ArrayList<>();
        for (McpServerSpec spec : servers) {
            connections.add(new McpConnection(spec, registry, listener == null ? McpCallListener.NONE : listener, scheduler,
                    version == null ? "dev" : version));
        }
        McpTools tools = new McpTools(List.copyOf(connections), scheduler);
        connections.forEach(McpConnection::start);
        CompletableFuture<?> all = CompletableFuture.allOf(connections.stream().map(McpConnection::firstAttempt).toArray(CompletableFuture[]::new));
        try {
            all.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // reported below, server by server
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        for (McpServerStatus status : tools.statuses()) {
            if (status.state() != McpServerStatus.State.CONNECTED) {
                LOG.warn("MCP server '{}' is not connected ({}); Baton starts without its tools and keeps trying: they join when it answers",
                        status.server(), status.lastError() == null ? "still " + status.state().label() + " after " + wait.toMillis() + " ms"
                                : status.lastError());
            }
        }
        return tools;
    }

    /** Each server's state, in the order they were configured. */
    public List<McpServerStatus> statuses() {
        return connections.stream().map(McpConnection::status).toList();
    }

    /** The state of the server called {@code server}. */
    public java.util.Optional<McpServerStatus> status(String server) {
        return connections.stream().filter(c -> c.spec().name().equals(server)).map(McpConnection::status).findFirst();
    }

    /** The servers, as configured. */
    public List<McpServerSpec> servers() {
        return connections.stream().map(McpConnection::spec).toList();
    }

    @Override
    public void close() {
        connections.parallelStream().forEach(McpConnection::close);
        // A connect still under way is interrupted and cleans up after itself (its process included): wait for it.
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("MCP connections still closing after 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
