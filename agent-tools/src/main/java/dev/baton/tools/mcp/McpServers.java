package dev.baton.tools.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the MCP servers file ({@code BATON_MCP_SERVERS}). It takes the format the desktop and IDE
 * assistants use (Claude Desktop, Cursor, VS Code), so an existing file can be reused as it is:
 *
 * <pre>{@code
 * {"mcpServers": {
 *    "everything": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"],
 *                   "env": {"LOG_LEVEL": "info"}, "allow": ["echo", "get-sum"]},
 *    "github": {"url": "https://api.githubcopilot.com/mcp/",
 *               "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"},
 *               "approvalRequired": ["create_issue"], "timeout": "PT60S"}}}
 * }</pre>
 *
 * <ul>
 *   <li>The top key is {@code mcpServers} or {@code servers}; other top-level keys (a desktop app's own settings) are ignored.</li>
 *   <li>A server has {@code command} (with optional {@code args}, {@code env}) or {@code url} (with optional
 *       {@code headers}), never both; {@code type} ({@code stdio}, {@code http}, {@code streamable-http}) may say which.</li>
 *   <li>{@code ${VAR}} in a header value or an {@code env} value is replaced by the environment variable
 *       {@code VAR}: secrets stay out of the file. A variable that is not set is an error.</li>
 *   <li>Baton's own keys: {@code allow}, {@code deny}, {@code approvalNotRequired}, {@code approvalRequired}
 *       (lists of MCP tool names) and {@code timeout} (ISO-8601, e.g. {@code PT30S}); see {@link McpServerSpec}.</li>
 *   <li>Any other key, a bad server name, a value of the wrong type: an {@link IllegalArgumentException}
 *       naming the file, the server and the key.</li>
 * </ul>
 */
public final class McpServers {

    private static final Set<String> KEYS = new LinkedHashSet<>(List.of("type", "command", "args", "env", "url", "headers",
            "allow", "deny", "approvalNotRequired", "approvalRequired", "timeout"));
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private McpServers() {
    }

    /**
     * Reads the servers of {@code file}, with {@code env} for the {@code ${VAR}} references.
     *
     * @throws IllegalArgumentException naming the file, the server and the key at fault
     */
    public static List<McpServerSpec> load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read: " + e);
        }
        return parse(text, file.toString(), env);
    }

    /** As {@link #load}, from the file's text; {@code where} names it in messages. */
    public static List<McpServerSpec> parse(String json, String where, Map<String, String> env) {
        JsonNode root;
        try {
            root = Json.parse(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(where + " must hold a JSON object with the key \"mcpServers\"");
        if (root.has("mcpServers") && root.has("servers")) {
            throw new IllegalArgumentException(where + " has both \"mcpServers\" and \"servers\"; keep one");
        }
        String top = root.has("servers") ? "servers" : "mcpServers";
        JsonNode servers = root.get(top);
        if (servers == null) throw new IllegalArgumentException(where + " has no \"mcpServers\" key (nor \"servers\")");
        if (!servers.isObject()) throw new IllegalArgumentException(where + ": \"" + top + "\" must be an object of server name to server");
        List<McpServerSpec> specs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = servers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            specs.add(server(entry.getKey(), entry.getValue(), where, env));
        }
        return List.copyOf(specs);
    }

    private static McpServerSpec server(String name, JsonNode node, String where, Map<String, String> env) {
        String at = where + ": MCP server '" + name + "'";
        if (!node.isObject()) throw new IllegalArgumentException(at + " must be an object");
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(at + " has the unknown key '" + key + "'; the keys are " + String.join(", ", KEYS));
            }
        }
        boolean hasCommand = node.has("command");
        boolean hasUrl = node.has("url");
        if (hasCommand == hasUrl) {
            throw new IllegalArgumentException(at + (hasCommand ? " has both 'command' and 'url'" : " has neither 'command' nor 'url'")
                    + ": give 'command' (and 'args', 'env') for a server Baton starts, or 'url' (and 'headers') for one it reaches over HTTP");
        }
        String type = node.has("type") ? text(node, "type", at) : hasCommand ? "stdio" : "http";
        boolean typeSaysStdio = type.equals("stdio");
        boolean typeSaysHttp = type.equals("http") || type.equals("streamable-http") || type.equals("streamableHttp");
        if (!typeSaysStdio && !typeSaysHttp) {
            throw new IllegalArgumentException(at + ": 'type' is '" + type + "'; Baton takes 'stdio' or 'http' (streamable HTTP)"
                    + (type.equals("sse") ? " (the older SSE transport is not supported: most servers serve streamable HTTP too)" : ""));
        }
        if (typeSaysStdio != hasCommand) {
            throw new IllegalArgumentException(at + ": 'type' is '" + type + "' but the server has " + (hasCommand ? "'command'" : "'url'"));
        }
        McpServerSpec.Transport transport;
        try {
            if (hasCommand) {
                if (node.has("headers")) throw new IllegalArgumentException(at + ": 'headers' is for a server with 'url', not 'command'");
                transport = new McpServerSpec.Stdio(text(node, "command", at), strings(node, "args", at),
                        map(node, "env", at, env));
            } else {
                if (node.has("args") || node.has("env")) {
                    throw new IllegalArgumentException(at + ": '" + (node.has("args") ? "args" : "env") + "' is for a server with 'command', not 'url'");
                }
                transport = new McpServerSpec.StreamableHttp(uri(text(node, "url", at), at), map(node, "headers", at, env));
            }
            return new McpServerSpec(name, transport, set(node, "allow", at), set(node, "deny", at),
                    set(node, "approvalNotRequired", at), set(node, "approvalRequired", at), duration(node, at));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(where)) throw e;
            throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String key, String at) {
        JsonNode value = node.get(key);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(at + ": '" + key + "' must be a non-empty string");
        }
        return value.asText();
    }

    private static List<String> strings(JsonNode node, String key, String at) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) return List.of();
        if (!value.isArray()) throw new IllegalArgumentException(at + ": '" + key + "' must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) throw new IllegalArgumentException(at + ": '" + key + "' must be an array of strings; found " + item);
            out.add(item.asText());
        }
        return out;
    }

    private static Set<String> set(JsonNode node, String key, String at) {
        return new LinkedHashSet<>(strings(node, key, at));
    }

    private static Map<String, String> map(JsonNode node, String key, String at, Map<String, String> env) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) return Map.of();
        if (!value.isObject()) throw new IllegalArgumentException(at + ": '" + key + "' must be an object of string values");
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new IllegalArgumentException(at + ": '" + key + "." + entry.getKey() + "' must be a string");
            }
            out.put(entry.getKey(), substitute(entry.getValue().asText(), at + ", '" + key + "." + entry.getKey() + "'", env));
        }
        return out;
    }

    /** {@code ${VAR}} from the environment; a variable that is not set is an error, never an empty secret. */
    static String substitute(String value, String at, Map<String, String> env) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = env.get(m.group(1));
            if (replacement == null) {
                throw new IllegalArgumentException(at + " refers to the environment variable " + m.group(1) + ", which is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static URI uri(String text, String at) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(at + ": 'url' is not a URL: " + e.getMessage());
        }
    }

    private static Duration duration(JsonNode node, String at) {
        if (!node.has("timeout")) return null;
        String text = text(node, "timeout", at);
        try {
            Duration d = Duration.parse(text);
            if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) throw new DateTimeParseException("range", text, 0);
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(at + ": 'timeout' must be an ISO-8601 duration from PT0.001S to P1D, such as PT30S; got '" + text + "'");
        }
    }
}
