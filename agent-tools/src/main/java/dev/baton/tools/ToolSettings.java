package dev.baton.tools;

import java.util.Set;

/**
 * What the host application tells the tools about their environment.
 *
 * @param allowedHosts hosts that network tools may reach (exact names, or {@code *.example.com});
 *                     empty means none
 */
public record ToolSettings(Set<String> allowedHosts) {
    public ToolSettings {
        allowedHosts = Set.copyOf(allowedHosts);
    }

    public static ToolSettings none() {
        return new ToolSettings(Set.of());
    }
}
