package dev.baton.tools.mcp;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One MCP server Baton takes tools from: how to reach it, which of its tools to take, and how
 * to treat them. Read from a JSON file by {@link McpServers#load}, or built in Java:
 *
 * <pre>{@code
 * McpServerSpec everything = McpServerSpec.stdio("everything", "node", List.of("dist/index.js", "stdio"), Map.of())
 *         .withAllow(Set.of("echo", "get-sum"));
 * McpServerSpec github = McpServerSpec.http("github", URI.create("https://api.githubcopilot.com/mcp/"),
 *         Map.of("Authorization", "Bearer " + token));
 * }</pre>
 *
 * Its tools join the registry as {@code <name>.<tool>}, source {@code mcp:<name>}.
 *
 * @param name                the server's name: a letter, then letters, digits, {@code _} or {@code -}, at most
 *                            {@value #MAX_NAME} characters; the prefix of its tools' names
 * @param transport           {@link Stdio} (a child process) or {@link StreamableHttp} (a URL)
 * @param allow               the MCP tool names to take; empty: every tool the server lists
 * @param deny                MCP tool names never to take (wins over {@code allow})
 * @param approvalNotRequired tools whose calls need no approval although their annotations say they may
 *                            destroy (or say nothing, which MCP counts as destructive): the operator lifts it
 * @param approvalRequired    tools whose every call needs approval whatever their annotations say (wins over all)
 * @param timeout             how long one call may take, or null for the orchestrator's default tool timeout
 */
public record McpServerSpec(String name, Transport transport, Set<String> allow, Set<String> deny,
                            Set<String> approvalNotRequired, Set<String> approvalRequired, Duration timeout) {

    /** The longest server name, so that {@code <server>.<tool>} keeps room for the tool within 64 characters. */
    public static final int MAX_NAME = 32;

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");

    /** How Baton reaches the server. */
    public sealed interface Transport permits Stdio, StreamableHttp {
    }

    /**
     * A server Baton starts as a child process and talks to over its standard input and output.
     * The child gets a small default environment ({@code PATH}, {@code HOME}, {@code USER},
     * {@code LANG}, ...), not Baton's, plus {@code env}: Baton's own secrets do not leak into it.
     *
     * @param command the program, e.g. {@code node}, {@code npx}, {@code uvx}, {@code docker}
     * @param args    its arguments
     * @param env     variables added to the child's environment
     */
    public record Stdio(String command, List<String> args, Map<String, String> env) implements Transport {
        public Stdio {
            if (command == null || command.isBlank()) throw new IllegalArgumentException("command must not be empty");
            args = args == null ? List.of() : List.copyOf(args);
            env = env == null ? Map.of() : Map.copyOf(env);
        }
    }

    /**
     * A server reached over MCP's streamable HTTP transport.
     *
     * @param url     its endpoint, e.g. {@code http://127.0.0.1:3001/mcp}
     * @param headers sent with every request, e.g. {@code Authorization}
     */
    public record StreamableHttp(URI url, Map<String, String> headers) implements Transport {
        public StreamableHttp {
            Objects.requireNonNull(url, "url");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
                throw new IllegalArgumentException("url must be an http:// or https:// URL with a host; got '" + url + "'");
            }
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }
    }

    public McpServerSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches() || name.length() > MAX_NAME) {
            throw new IllegalArgumentException("MCP server name '" + name + "' must start with a letter and hold only letters,"
                    + " digits, '_' or '-' (at most " + MAX_NAME + ")");
        }
        Objects.requireNonNull(transport, "transport");
        allow = allow == null ? Set.of() : Set.copyOf(allow);
        deny = deny == null ? Set.of() : Set.copyOf(deny);
        approvalNotRequired = approvalNotRequired == null ? Set.of() : Set.copyOf(approvalNotRequired);
        approvalRequired = approvalRequired == null ? Set.of() : Set.copyOf(approvalRequired);
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("MCP server '" + name + "': timeout must be positive");
        }
    }

    /** A server started as {@code command args...}, with {@code env} added to its environment. */
    public static McpServerSpec stdio(String name, String command, List<String> args, Map<String, String> env) {
        return new McpServerSpec(name, new Stdio(command, args, env), null, null, null, null, null);
    }

    /** A server at {@code url} (streamable HTTP), sent {@code headers} with every request. */
    public static McpServerSpec http(String name, URI url, Map<String, String> headers) {
        return new McpServerSpec(name, new StreamableHttp(url, headers), null, null, null, null, null);
    }

    /** The source of this server's tools in the registry and in {@code GET /api/tools}. */
    public String source() {
        return "mcp:" + name;
    }

    /** Whether the MCP tool {@code tool} is taken: in {@code allow} (or no allow list), and not in {@code deny}. */
    public boolean takes(String tool) {
        return (allow.isEmpty() || allow.contains(tool)) && !deny.contains(tool);
    }

    public McpServerSpec withAllow(Set<String> value) { return new McpServerSpec(name, transport, value, deny, approvalNotRequired, approvalRequired, timeout); }
    public McpServerSpec withDeny(Set<String> value) { return new McpServerSpec(name, transport, allow, value, approvalNotRequired, approvalRequired, timeout); }
    public McpServerSpec withApprovalNotRequired(Set<String> value) { return new McpServerSpec(name, transport, allow, deny, value, approvalRequired, timeout); }
    public McpServerSpec withApprovalRequired(Set<String> value) { return new McpServerSpec(name, transport, allow, deny, approvalNotRequired, value, timeout); }
    public McpServerSpec withTimeout(Duration value) { return new McpServerSpec(name, transport, allow, deny, approvalNotRequired, approvalRequired, value); }
}
