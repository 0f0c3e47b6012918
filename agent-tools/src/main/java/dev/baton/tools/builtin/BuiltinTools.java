package dev.baton.tools.builtin;

import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.http.HttpRequestTool;

import java.util.List;

/**
 * The tools every Baton has, source {@code builtin}:
 * <ul>
 *   <li>{@code http.request}: one HTTP call to an allowed host ({@link HttpRequestTool});</li>
 *   <li>{@code echo}: returns its arguments ({@link EchoTool}).</li>
 * </ul>
 *
 * <pre>{@code
 * ToolRegistry tools = new ToolRegistry();
 * BuiltinTools.register(tools, ToolSettings.fromEnvironment(System.getenv()));
 * }</pre>
 */
public final class BuiltinTools {

    private BuiltinTools() {
    }

    /** The built-in tools, configured by {@code settings}. */
    public static List<BatonTool> create(ToolSettings settings) {
        return List.of(new HttpRequestTool(settings), new EchoTool());
    }

    /**
     * Registers the built-in tools in {@code registry}.
     *
     * @throws IllegalArgumentException when a name is taken, or an allowed-host entry is malformed
     */
    public static void register(ToolRegistry registry, ToolSettings settings) {
        registry.registerAll(create(settings));
    }
}
