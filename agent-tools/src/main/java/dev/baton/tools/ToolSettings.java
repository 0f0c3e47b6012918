package dev.baton.tools;

import dev.baton.tools.http.HostAllowlist;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the host application tells the tools about their environment.
 *
 * <pre>{@code
 * ToolSettings settings = ToolSettings.allowingHosts("api.example.com", "*.internal.example.com");
 * ToolSettings fromEnv  = ToolSettings.fromEnvironment(System.getenv());   // reads BATON_HTTP_ALLOWED_HOSTS
 * }</pre>
 *
 * @param allowedHosts what network tools may reach: exact names, {@code *.example.com}, {@code host:port},
 *                     IP addresses and CIDR blocks; a private or loopback address only when an address or
 *                     block entry names it (see {@link HostAllowlist}); empty means none
 */
public record ToolSettings(Set<String> allowedHosts) {

    /** The environment variable holding the comma-separated host allowlist of network tools. */
    public static final String ALLOWED_HOSTS_VARIABLE = "BATON_HTTP_ALLOWED_HOSTS";

    public ToolSettings {
        allowedHosts = Set.copyOf(allowedHosts);
    }

    public static ToolSettings none() {
        return new ToolSettings(Set.of());
    }

    /** Settings whose network tools may reach exactly these hosts (or {@code *.domain} patterns). */
    public static ToolSettings allowingHosts(String... hosts) {
        return new ToolSettings(Set.copyOf(Arrays.asList(hosts)));
    }

    /**
     * Settings read from environment variables: {@value #ALLOWED_HOSTS_VARIABLE} holds the allowlist,
     * entries separated by commas or white space. A missing variable allows no host.
     */
    public static ToolSettings fromEnvironment(Map<String, String> environment) {
        return parse(environment.getOrDefault(ALLOWED_HOSTS_VARIABLE, ""));
    }

    /**
     * Reads an allowlist written as in {@value #ALLOWED_HOSTS_VARIABLE}: entries separated by
     * commas or white space, checked by the same rules the network tools apply.
     *
     * @throws IllegalArgumentException naming the entry at fault, e.g. a URL instead of a host
     */
    public static ToolSettings parse(String value) {
        Set<String> hosts = Arrays.stream(value.split("[,\\s]+"))
                .map(host -> host.trim().toLowerCase(Locale.ROOT))
                .filter(host -> !host.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
        new HostAllowlist(hosts); // validates every entry
        return new ToolSettings(hosts);
    }
}
