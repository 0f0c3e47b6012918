package dev.baton.server.metrics;

import dev.baton.tools.mcp.McpCallListener;
import dev.baton.tools.mcp.McpServerStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Calls to MCP servers' tools counted by server and outcome, fed by the MCP connections as their
 * {@link McpCallListener}; written to {@code /metrics} as {@code baton_mcp_calls_total{server,outcome}}
 * (every configured server with every outcome, zeros included, so that rates need no absent-series
 * guard) and {@code baton_mcp_server_connected{server}} (1 connected, 0 not).
 */
public final class McpMetrics implements McpCallListener {

    private record Key(String server, Outcome outcome) {
    }

    private final ConcurrentHashMap<Key, LongAdder> calls = new ConcurrentHashMap<>();
    private volatile Supplier<List<McpServerStatus>> servers = List::of;

    @Override
    public void called(String server, String tool, Outcome outcome, Duration duration) {
        calls.computeIfAbsent(new Key(server, outcome), k -> new LongAdder()).increment();
    }

    /** Where the servers' states come from, once they are connected. */
    public void servers(Supplier<List<McpServerStatus>> statuses) {
        this.servers = statuses;
    }

    /** The calls to {@code server}'s tools that ended with {@code outcome}. */
    public long calls(String server, Outcome outcome) {
        LongAdder count = calls.get(new Key(server, outcome));
        return count == null ? 0 : count.sum();
    }

    public void write(PrometheusText out) {
        List<McpServerStatus> statuses = servers.get();
        if (statuses.isEmpty() && calls.isEmpty()) return;
        Map<String, Boolean> connected = new TreeMap<>();
        statuses.forEach(s -> connected.put(s.server(), s.state() == McpServerStatus.State.CONNECTED));
        Map<String, Boolean> named = new TreeMap<>(connected);
        calls.keySet().forEach(k -> named.putIfAbsent(k.server(), false));
        out.family("baton_mcp_calls_total", "counter", "Calls to MCP servers' tools, by server and outcome (ok, tool_error,"
                + " unavailable, protocol_error).");
        for (String server : named.keySet()) {
            for (Outcome outcome : Outcome.values()) {
                out.sample("baton_mcp_calls_total", calls(server, outcome), "server", server, "outcome", outcome.label());
            }
        }
        out.family("baton_mcp_server_connected", "gauge", "1 while Baton is connected to the MCP server, 0 while it is (re)connecting.");
        connected.forEach((server, up) -> out.sample("baton_mcp_server_connected", up ? 1 : 0, "server", server));
    }
}
