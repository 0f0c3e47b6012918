package dev.baton.tools.mcp;

import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK's stdio transport, with two things Baton needs that it does not give:
 * <ul>
 *   <li>a child environment of a few harmless variables (as the MCP TypeScript SDK does), not all
 *       of Baton's: its tokens and database password stay out of third-party servers;</li>
 *   <li>the child {@link Process}, to notice at once when it dies (the SDK only lets pending calls
 *       run into their timeout) and to kill what it spawned on close ({@code npx} starts a second
 *       process that a TERM to the first leaves orphaned).</li>
 * </ul>
 * The process is the transport's private field {@code process}, read by reflection: SDK 2.0.1
 * offers no accessor. If a later SDK renames it, {@link #process()} is null and Baton falls back
 * to noticing a dead server by a failed call and a ping.
 */
final class ChildProcessTransport extends StdioClientTransport {

    /** What the child inherits from Baton's environment; everything else it gets from the server's {@code env}. */
    private static final List<String> INHERITED = List.of("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL",
            "TMPDIR", "TZ", "SYSTEMROOT", "SystemRoot", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "PATHEXT", "COMSPEC", "windir");

    ChildProcessTransport(ServerParameters params, McpJsonMapper jsonMapper) {
        super(params, jsonMapper);
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
