package dev.baton.tools.http;

import java.net.InetAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The hosts a network tool may reach, from {@link dev.baton.tools.ToolSettings#allowedHosts()}.
 * Entries, compared without regard to case:
 * <ul>
 *   <li>{@code api.example.com}: that host, any port;</li>
 *   <li>{@code *.example.com}: any host under {@code example.com} ({@code a.example.com},
 *       {@code a.b.example.com}) but not {@code example.com} itself: list both to allow both;</li>
 *   <li>{@code api.example.com:8443}, {@code localhost:8080} or {@code [::1]:8080}: that host on that port only;</li>
 *   <li>{@code 10.1.2.3}, {@code ::1}: that IP address (a port may follow as above);
 *       {@code 10.1.0.0/16}, {@code fd00::/8}: every address of that block (no port).</li>
 * </ul>
 * No entry means no host. There is deliberately no allow-everything entry ({@code *}, {@code 0.0.0.0/0}).
 *
 * <p><b>Names and addresses.</b> A URL whose host is a name passes when a name entry matches it; its
 * host is then resolved, and every address it resolves to must be public, or else named on this list:
 * <ul>
 *   <li>an IP or block entry covering the address (and, for an IP entry with a port, that port) lets the
 *       address be reached whatever name led to it;</li>
 *   <li>the entry {@code localhost} (exactly, with or without a port) lets the host {@code localhost} reach
 *       its loopback addresses;</li>
 *   <li>no other name entry does, and no {@code *.domain} entry ever does: an allowed name whose DNS
 *       answer is {@code 127.0.0.1} or {@code 169.254.169.254} is refused, which is the point. To reach an
 *       internal host by name, list the name and its address or block ({@code billing.internal, 10.1.0.0/16}).</li>
 * </ul>
 * "Public" excludes private, loopback, link-local, unspecified, shared (CGNAT), multicast, documentation
 * and other special-purpose blocks, in IPv4 and IPv6 and in IPv4-mapped IPv6 form: see {@link NonPublicAddresses}.
 * A URL whose host is an IP literal passes only through an IP or block entry, which names it explicitly.
 *
 * <p>{@link #trusted} builds the list for destinations the operator wrote in configuration that no plan
 * can change (a ticket queue's webhook): their exact hosts may resolve to any address, private ones included.
 */
public final class HostAllowlist {

    private static final Pattern CIDR = Pattern.compile("\\[?[0-9a-f:.]+]?/\\d{1,3}");

    private sealed interface Entry permits Name, Address {
        int port();

        default boolean portMatches(int candidate) {
            return port() == -1 || port() == candidate;
        }
    }

    /** A host name or {@code *.domain}; {@code trusted}: it may resolve to any address. */
    private record Name(String host, boolean subdomains, int port, boolean trusted) implements Entry {
        boolean matches(String candidateHost, int candidatePort) {
            if (!portMatches(candidatePort)) return false;
            return subdomains ? candidateHost.endsWith("." + host) : candidateHost.equals(host);
        }
    }

    /** An IP address or a block of them. */
    private record Address(IpRange range, int port) implements Entry {
        boolean covers(InetAddress address, int candidatePort) {
            return portMatches(candidatePort) && range.contains(address);
        }
    }

    private final List<Entry> entries;

    /** @throws IllegalArgumentException for an entry that is no host, {@code *.domain}, {@code host:port}, IP or CIDR block */
    public HostAllowlist(Collection<String> patterns) {
        this(patterns, false);
    }

    private HostAllowlist(Collection<String> patterns, boolean trusted) {
        this.entries = patterns.stream()
                .map(String::trim)
                .filter(pattern -> !pattern.isEmpty())
                .map(pattern -> parse(pattern, trusted))
                .toList();
    }

    /**
     * A list of exact {@code host} or {@code host:port} entries from the operator's own configuration,
     * whose hosts may resolve to any address, private and loopback included. Use it only for
     * destinations that no plan, model or API caller can choose (a ticket queue's webhook).
     *
     * @throws IllegalArgumentException for a malformed entry or a {@code *.domain} pattern
     */
    public static HostAllowlist trusted(Collection<String> hostPorts) {
        for (String entry : hostPorts) {
            if (entry.contains("*")) throw new IllegalArgumentException("trusted host '" + entry + "' must name one host, not a pattern");
        }
        return new HostAllowlist(hostPorts, true);
    }

    /** True when {@code uri}'s host (and port) is on the list. Says nothing of the addresses a name resolves to. */
    public boolean allows(URI uri) {
        int port = uri.getPort() != -1 ? uri.getPort() : defaultPort(uri.getScheme());
        return allows(uri.getHost(), port);
    }

    /** True when {@code host} (a name or an IP literal, IPv6 with or without brackets) on {@code port} is on the list. */
    boolean allows(String host, int port) {
        String h = normalise(host);
        if (h.isEmpty()) return false;
        InetAddress literal;
        try {
            literal = IpRange.literal(h);
        } catch (IllegalArgumentException notAnAddressAnyoneReadsAlike) {
            return false;
        }
        if (literal != null) {
            return entries.stream().anyMatch(e -> e instanceof Address a && a.covers(literal, port));
        }
        return entries.stream().anyMatch(e -> e instanceof Name n && n.matches(h, port));
    }

    /**
     * Why {@code host:port} (already {@link #allows allowed}) may not be reached at {@code address}, or
     * empty when it may: a public address, or a non-public one that this list names explicitly.
     */
    Optional<String> refusal(String host, int port, InetAddress address) {
        Optional<String> kind = NonPublicAddresses.kind(address);
        if (kind.isEmpty()) return kind;
        InetAddress a = IpRange.canonical(address);
        String h = normalise(host);
        for (Entry entry : entries) {
            if (entry instanceof Address range && range.covers(a, port)) return Optional.empty();
            if (entry instanceof Name name && !name.subdomains() && name.matches(h, port)
                    && (name.trusted() || (h.equals("localhost") && a.isLoopbackAddress()))) {
                return Optional.empty();
            }
        }
        return kind;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    private static Entry parse(String pattern, boolean trusted) {
        String text = pattern.toLowerCase(Locale.ROOT);
        if (CIDR.matcher(text).matches()) {
            IpRange range;
            try {
                range = IpRange.parse(text.replace("[", "").replace("]", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allowed host '" + pattern + "' is not a valid address block: " + e.getMessage());
            }
            if (range.isEverything()) {
                throw new IllegalArgumentException("allowed host '" + pattern + "' would allow every address: list the hosts or blocks to reach");
            }
            return new Address(range, -1);
        }
        if (pattern.contains("/")) {
            throw new IllegalArgumentException("allowed host '" + pattern
                    + "' is a URL: list host names, not URLs (api.example.com, *.example.com, host:port or 10.0.0.0/8)");
        }
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
                    + "' is not valid: use a host name (api.example.com), a domain pattern (*.example.com), host:port or an IP address or block");
        }
        if (!subdomains) {
            InetAddress literal;
            try {
                literal = IpRange.literal(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allowed host '" + pattern + "' is not valid: " + e.getMessage());
            }
            if (literal != null) return new Address(IpRange.of(literal), port);
        }
        return new Name(host, subdomains, port, trusted);
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

    static int defaultPort(String scheme) {
        return "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }
}
