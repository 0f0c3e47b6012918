package dev.baton.tools.mcp;

import java.time.Duration;

/**
 * Told of every call Baton makes to an MCP server's tool, e.g. to count them for {@code /metrics}.
 * Called on the calling thread, once per call: keep it quick and never throw.
 */
@FunctionalInterface
public interface McpCallListener {

    /** How a call ended. */
    enum Outcome {
        /** The tool answered. */
        OK,
        /** The tool answered {@code isError: true}: a failed attempt, not retried. */
        TOOL_ERROR,
        /** The server could not be reached, dropped the call or did not answer in time: retryable. */
        UNAVAILABLE,
        /** The server answered with a JSON-RPC error instead of a result: retryable. */
        PROTOCOL_ERROR;

        /** The lower-case label, as in {@code baton_mcp_calls_total{outcome="tool_error"}}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param server   the server's name in the configuration
     * @param tool     the tool's MCP name (not the registry's {@code server.tool} name)
     * @param outcome  how the call ended
     * @param duration from the call to its end
     */
    void called(String server, String tool, Outcome outcome, Duration duration);

    McpCallListener NONE = (server, tool, outcome, duration) -> {
    };
}
