package dev.baton.tools.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A block of IP addresses written in CIDR notation ({@code 10.0.0.0/8}, {@code fc00::/7}) or as
 * one address ({@code 127.0.0.1}, {@code ::1}). Parsing never asks DNS: text that is not an IP
 * literal is refused.
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:127.0.0.1}) is the IPv4 address it carries, both
 * as a block and as a candidate: a socket given either reaches the same host.
 */
final class IpRange {

    /** IPv4 as written here: four decimal parts. Java also reads {@code 127.1} and {@code 2130706433}; we do not. */
    private static final Pattern DOTTED_QUAD = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    /** What an IPv6 literal may contain (with an embedded IPv4 tail); checked before Java parses it. */
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9a-fA-F:.]+");

    private final byte[] network;
    private final int prefix;

    private IpRange(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
        // Bits past the prefix are cleared so that equal blocks print and compare alike.
        for (int bit = prefix; bit < network.length * 8; bit++) {
            network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
    }

    /** The block of exactly this address. */
    static IpRange of(InetAddress address) {
        byte[] bytes = canonical(address).getAddress();
        return new IpRange(bytes, bytes.length * 8);
    }

    /**
     * Reads {@code address} or {@code address/prefix}; IPv6 may be in brackets.
     *
     * @throws IllegalArgumentException when the text is no IP literal or the prefix is out of range
     */
    static IpRange parse(String text) {
        String address = text.trim();
        int prefix = -1;
        int slash = address.indexOf('/');
        if (slash >= 0) {
            String bits = address.substring(slash + 1);
            if (!bits.matches("\\d{1,3}")) throw new IllegalArgumentException("'" + text + "' has no valid prefix length after '/'");
            prefix = Integer.parseInt(bits);
            address = address.substring(0, slash);
        }
        InetAddress parsed = literal(address);
        if (parsed == null) throw new IllegalArgumentException("'" + text + "' is not an IP address");
        boolean writtenAsIpv6 = address.contains(":");
        int max = writtenAsIpv6 ? 128 : 32;
        if (prefix == -1) prefix = max;
        if (prefix > max) throw new IllegalArgumentException("'" + text + "' has a prefix longer than " + max + " bits");
        byte[] bytes = parsed.getAddress();
        if (writtenAsIpv6 && bytes.length == 4) {
            // An IPv4-mapped block: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
            if (prefix < 96) throw new IllegalArgumentException("'" + text + "' spans IPv4-mapped and other IPv6 addresses");
            prefix -= 96;
        }
        return new IpRange(bytes, prefix);
    }

    /**
     * The address that {@code host} writes literally ({@code 127.0.0.1}, {@code ::1}, {@code [::1]}),
     * or null when it is a name. Never asks DNS.
     *
     * @throws IllegalArgumentException for text that looks like an IP address but is not one that
     *                                  every client reads alike: all digits and dots but not four
     *                                  numbers 0-255 ({@code 127.1}, {@code 2130706433}, {@code 999.0.0.1})
     */
    static InetAddress literal(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.contains(":")) {
            if (!IPV6_TEXT.matcher(h).matches()) throw new IllegalArgumentException("'" + host + "' is not a valid IPv6 address");
            try {
                return canonical(InetAddress.getByName(h)); // a literal with ':' is parsed, never looked up
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + host + "' is not a valid IPv6 address");
            }
        }
        if (!h.isEmpty() && h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            var quad = DOTTED_QUAD.matcher(h);
            if (quad.matches()) {
                byte[] bytes = new byte[4];
                boolean valid = true;
                for (int i = 0; i < 4; i++) {
                    int part = Integer.parseInt(quad.group(i + 1));
                    valid &= part <= 255;
                    bytes[i] = (byte) part;
                }
                if (valid) return address(bytes);
            }
            // HTTP clients (OkHttp among them) treat all-digit hosts as addresses, and Java reads
            // 127.1 or 2130706433 as 127.0.0.1: refuse those forms rather than guess.
            throw new IllegalArgumentException("'" + host + "' is not an IPv4 address written as four numbers 0-255 (a.b.c.d)");
        }
        return null;
    }

    boolean contains(InetAddress candidate) {
        byte[] bytes = canonical(candidate).getAddress();
        if (bytes.length != network.length) return false;
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
        }
        return true;
    }

    /** True for {@code 0.0.0.0/0} and {@code ::/0}. */
    boolean isEverything() {
        return prefix == 0;
    }

    boolean isSingleAddress() {
        return prefix == network.length * 8;
    }

    /** An IPv4-mapped IPv6 address as the IPv4 address it carries; any other address as it is. */
    static InetAddress canonical(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) mapped = b[i] == 0;
            if (mapped) return address(Arrays.copyOfRange(b, 12, 16));
        }
        return address;
    }

    /** The address of these 4 or 16 bytes (no lookup). */
    static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // only for a length other than 4 or 16
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpRange r && prefix == r.prefix && Arrays.equals(network, r.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        String address = address(network.clone()).getHostAddress();
        return isSingleAddress() ? address : address + "/" + prefix;
    }
}
