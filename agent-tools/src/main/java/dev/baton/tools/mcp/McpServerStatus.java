package dev.baton.tools.mcp;

import java.time.Instant;
import java.util.List;

/**
 * Where Baton stands with one MCP server, e.g. for an API or a health page.
 *
 * @param server    the server's name
 * @param state     connecting, connected or disconnected (and being retried)
 * @param tools     the registry names of its tools Baton holds (kept while disconnected: calls then fail retryably)
 * @param lastError why the last connection failed or dropped, or null
 * @param since     when it entered this state
 */
public record McpServerStatus(String server, State state, List<String> tools, String lastError, Instant since) {

    public enum State {
        CONNECTING, CONNECTED, DISCONNECTED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public McpServerStatus {
        tools = List.copyOf(tools);
    }
}
