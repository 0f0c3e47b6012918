package dev.baton.tools;

import java.util.List;

/**
 * Tools shipped in a jar, found through {@link java.util.ServiceLoader}: list the
 * implementation's class name in {@code META-INF/services/dev.baton.tools.ToolProvider}.
 * An implementation needs a public no-argument constructor.
 */
public interface ToolProvider {

    /** The tools this provider contributes. Called once, when the registry discovers providers. */
    List<BatonTool> tools(ToolSettings settings);
}
