package dev.baton.tools.http;

import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The hosts a network tool may reach, from {@link dev.baton.tools.ToolSettings#allowedHosts()}.
 * Entries, compared without regard to case:
 * <ul>
 *   <li>{@code api.example.com}: that host, any port;</li>
 *   <li>{@code *.example.com}: any host under {@code example.com} ({@code a.example.com},
 *       {@code a.b.example.com}) but not {@code example.com} itself: list both to allow both;</li>
 *   <li>{@code localhost:8080} or {@code [::1]:8080}: that host on that port only.</li>
 * </ul>
 * No entry means no host. There is deliberately no allow-everything entry.
 */
public final class HostAllowlist {

    private record Entry(String host, boolean subdomains, int port) {
        boolean matches(String candidateHost, int candidatePort) {
            if (port != -1 && port != candidatePort) return false;
            return subdomains ? candidateHost.endsWith("." + host) : candidateHost.equals(host);
        }
    }

    private final List<Entry> entries;

    /** @throws IllegalArgumentException for an entry that is no host, {@code *.domain} or {@code host:port} */
    public HostAllowlist(Collection<String> patterns) {
        this.entries = patterns.stream()
                .map(String::trim)
                .filter(pattern -> !pattern.isEmpty())
                .map(HostAllowlist::parse)
                .toList();
    }

    /** True when {@code uri}'s host (and port) is on the list. */
    public boolean allows(URI uri) {
        String host = normalise(uri.getHost());
        if (host.isEmpty()) return false;
        int port = uri.getPort() != -1 ? uri.getPort() : defaultPort(uri.getScheme());
        return entries.stream().anyMatch(entry -> entry.matches(host, port));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    private static Entry parse(String pattern) {
        if (pattern.contains("/")) {
            throw new IllegalArgumentException("allowed host '" + pattern
                    + "' is a URL: list host names, not URLs (api.example.com, *.example.com or host:port)");
        }
        String text = pattern.toLowerCase(Locale.ROOT);
        String host = text;
        int port = -1;
        int colon = text.lastIndexOf(':');
        boolean bracketed = text.startsWith("[");
        // A port follows the last ':' unless that colon belongs to a bare IPv6 address ("::1").
        if (colon > 0 && (bracketed ? text.indexOf(']') < colon : text.indexOf(':') == colon)) {
            host = text.substring(0, colon);
            port = parsePort(pattern, text.substring(colon + 1));
        }
        boolean subdomains = host.startsWith("*.");
        host = normalise(subdomains ? host.substring(2) : host);
        if (host.isEmpty() || host.contains("*") || host.contains("/") || host.contains("@")) {
            throw new IllegalArgumentException("allowed host '" + pattern
                    + "' is not valid: use a host name (api.example.com), a domain pattern (*.example.com) or host:port");
        }
        return new Entry(host, subdomains, port);
    }

    private static int parsePort(String pattern, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port > 0 && port < 65536) return port;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("allowed host '" + pattern + "' has an invalid port '" + text + "'");
    }

    /** Lower case, without IPv6 brackets or a trailing dot ("example.com." is "example.com"). */
    private static String normalise(String host) {
        if (host == null) return "";
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h;
    }

    private static int defaultPort(String scheme) {
        return "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }
}
