package dev.baton.tools.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The addresses that are not on the public internet, which {@code http.request} reaches only when
 * its allowlist names them: IANA's special-purpose blocks that are not globally reachable
 * (RFC 6890 and its updates), the cloud metadata address {@code 169.254.169.254} among them.
 *
 * <p>An IPv6 address that carries an IPv4 address a gateway would forward to (IPv4-mapped
 * {@code ::ffff:a.b.c.d}, NAT64 {@code 64:ff9b::a.b.c.d}, 6to4 {@code 2002:aabb:ccdd::}) is judged by
 * that IPv4 address too.
 */
final class NonPublicAddresses {

    private record Block(IpRange range, String what) {
    }

    private static final List<Block> BLOCKS = List.of(
            block("0.0.0.0/8", "'this network' address (0.0.0.0 reaches the local host)"),
            block("10.0.0.0/8", "private address"),
            block("100.64.0.0/10", "shared (carrier-grade NAT) address"),
            block("127.0.0.0/8", "loopback address"),
            block("169.254.169.254/32", "link-local address (the cloud metadata service)"),
            block("169.254.0.0/16", "link-local address"),
            block("172.16.0.0/12", "private address"),
            block("192.0.0.0/24", "IETF protocol address"),
            block("192.0.2.0/24", "documentation address"),
            block("192.88.99.0/24", "6to4 relay address"),
            block("192.168.0.0/16", "private address"),
            block("198.18.0.0/15", "benchmarking address"),
            block("198.51.100.0/24", "documentation address"),
            block("203.0.113.0/24", "documentation address"),
            block("224.0.0.0/4", "multicast address"),
            block("240.0.0.0/4", "reserved address"), // 255.255.255.255 (broadcast) included
            block("::/128", "unspecified address (it reaches the local host)"),
            block("::1/128", "loopback address"),
            block("::/96", "IPv4-compatible address (deprecated)"),
            block("64:ff9b:1::/48", "local-use NAT64 address"),
            block("100::/64", "discard-only address"),
            block("2001:db8::/32", "documentation address"),
            block("2001::/23", "IETF protocol address (Teredo, benchmarking and others)"),
            block("3fff::/20", "documentation address"),
            block("5f00::/16", "segment routing address"),
            block("fc00::/7", "unique local (private) address"),
            block("fe80::/10", "link-local address"),
            block("fec0::/10", "site-local address (deprecated)"),
            block("ff00::/8", "multicast address"));

    private static final IpRange NAT64 = IpRange.parse("64:ff9b::/96");
    private static final IpRange SIX_TO_FOUR = IpRange.parse("2002::/16");

    private NonPublicAddresses() {
    }

    /** What kind of non-public address this is ("loopback address", ...), or empty for a public one. */
    static Optional<String> kind(InetAddress address) {
        InetAddress a = IpRange.canonical(address);
        for (Block block : BLOCKS) {
            if (block.range().contains(a)) return Optional.of(block.what());
        }
        InetAddress embedded = embeddedIpv4(a);
        if (embedded != null) {
            return kind(embedded).map(what -> what + " (" + embedded.getHostAddress() + ", inside an IPv6 address)");
        }
        return Optional.empty();
    }

    /** The IPv4 address a NAT64 or 6to4 address leads to, or null. */
    private static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) return null;
        byte[] b = address.getAddress();
        if (NAT64.contains(address)) return IpRange.address(Arrays.copyOfRange(b, 12, 16));
        if (SIX_TO_FOUR.contains(address)) return IpRange.address(Arrays.copyOfRange(b, 2, 6));
        return null;
    }

    private static Block block(String cidr, String what) {
        return new Block(IpRange.parse(cidr), what);
    }
}
