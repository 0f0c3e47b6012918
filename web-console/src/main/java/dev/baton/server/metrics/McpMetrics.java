package dev.baton.server.metrics;

import dev.baton.tools.mcp.McpCallListener;
import dev.baton.tools.mcp.McpServerStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Calls to MCP servers' tools counted by server and outcome, fed by the MCP connections as their
 * {@link McpCallListener}: {@code baton_mcp_calls_total{server,outcome}} (every server with every
 * outcome, zeros included, so that rates need no absent-series guard) and
 * {@code baton_mcp_server_connected{server}} (1 connected, 0 not) for each configured server.
 */
public final class McpMetrics implements McpCallListener {
    private final MeterRegistry registry;
    /** Per server, a counter per outcome: made once, when the server is first named. */
    private final ConcurrentHashMap<String, Map<Outcome, Counter>> calls = new ConcurrentHashMap<>();

    public McpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void called(String server, String tool, Outcome outcome, Duration duration) {
        counters(server).get(outcome).increment();
    }

    private Map<Outcome, Counter> counters(String server) {
        return calls.computeIfAbsent(server, s -> {
            Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome outcome : Outcome.values()) {
                byOutcome.put(outcome, Counter.builder("baton.mcp.calls")
                        .description("Calls to MCP servers' tools, by server and outcome (ok, tool_error, unavailable, protocol_error).")
                        .tags("server", s, "outcome", outcome.label()).register(registry));
            }
            return byOutcome;
        });
    }

    /** Where the servers' states come from, once they are connected: each server gets its gauge and its (zero) counters. */
    public void servers(Supplier<List<McpServerStatus>> statuses) {
        for (McpServerStatus status : statuses.get()) {
            String server = status.server();
            counters(server);
            Gauge.builder("baton.mcp.server.connected", statuses, s -> s.get().stream()
                            .anyMatch(st -> st.server().equals(server) && st.state() == McpServerStatus.State.CONNECTED) ? 1 : 0)
                    .description("1 while Baton is connected to the MCP server, 0 while it is (re)connecting.")
                    .tag("server", server).strongReference(true).register(registry);
        }
    }

    /** The calls to {@code server}'s tools that ended with {@code outcome}. */
    public long calls(String server, Outcome outcome) {
        Map<Outcome, Counter> byOutcome = calls.get(server);
        return byOutcome == null ? 0 : (long) byOutcome.get(outcome).count();
    }
}
