package dev.baton.tools.http;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostAllowlistTest {

    private static boolean allows(List<String> entries, String url) {
        return new HostAllowlist(entries).allows(URI.create(url));
    }

    @Test
    void exactHostIgnoresCaseAndPort() {
        assertTrue(allows(List.of("API.example.com"), "https://api.EXAMPLE.com:8443/x"));
        assertTrue(allows(List.of("api.example.com."), "https://api.example.com/x"));
        assertFalse(allows(List.of("api.example.com"), "https://example.com/x"));
        assertFalse(allows(List.of("api.example.com"), "https://api.example.com.evil.net/x"));
    }

    @Test
    void wildcardMatchesSubdomainsOnly() {
        List<String> entries = List.of("*.example.com");
        assertTrue(allows(entries, "https://a.example.com/"));
        assertTrue(allows(entries, "https://a.b.example.com/"));
        assertFalse(allows(entries, "https://example.com/"));
        assertFalse(allows(entries, "https://badexample.com/"));
    }

    @Test
    void hostAndPortEntryUsesTheSchemesDefaultPort() {
        assertTrue(allows(List.of("example.com:443"), "https://example.com/"));
        assertFalse(allows(List.of("example.com:443"), "http://example.com/"));
        assertTrue(allows(List.of("[::1]:8080"), "http://[::1]:8080/"));
        assertTrue(allows(List.of("::1"), "http://[::1]:9/"));
    }

    @Test
    void userInfoCannotDisguiseTheHost() {
        assertFalse(allows(List.of("good.example.com"), "http://good.example.com@evil.net/"));
    }

    @Test
    void emptyListAllowsNothing() {
        assertFalse(allows(List.of(), "http://localhost/"));
        assertFalse(allows(List.of(" ", ""), "http://localhost/"));
    }

    @Test
    void addressEntriesAndBlocksMatchIpLiteralHostsByAddress() {
        assertTrue(allows(List.of("10.0.0.0/8"), "http://10.1.2.3/"));
        assertFalse(allows(List.of("10.0.0.0/8"), "http://11.0.0.1/"));
        assertTrue(allows(List.of("127.0.0.1"), "http://[::ffff:127.0.0.1]:8080/"), "the IPv4-mapped form is the same address");
        assertTrue(allows(List.of("[fd00::]/8"), "http://[fd12::1]/"));
        assertTrue(allows(List.of("::ffff:10.0.0.0/104"), "http://10.9.9.9/"));
        assertFalse(allows(List.of("127.0.0.1"), "http://127.1/"), "127.1 is no address anyone reads alike");
        assertFalse(allows(List.of("127.0.0.1"), "http://2130706433/"));
    }

    @Test
    void aNamePatternNeverMatchesAnIpLiteral() {
        assertFalse(allows(List.of("*.0.0.1"), "http://127.0.0.1/"));
        assertFalse(allows(List.of("*.254.169.254"), "http://169.254.169.254/"));
    }

    @Test
    void onlyAddressEntriesLocalhostAndTrustedHostsOptInNonPublicAddresses() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        InetAddress metadata = InetAddress.getByName("169.254.169.254");
        InetAddress internal = InetAddress.getByName("10.1.2.3");
        InetAddress everyone = InetAddress.getByName("93.184.216.34");

        assertTrue(new HostAllowlist(List.of("api.example.com")).refusal("api.example.com", 443, everyone).isEmpty());
        assertEquals(Optional.of("loopback address"), new HostAllowlist(List.of("api.example.com")).refusal("api.example.com", 443, loopback));
        assertTrue(new HostAllowlist(List.of("*.example.com")).refusal("api.example.com", 443, metadata).isPresent());
        assertTrue(new HostAllowlist(List.of("api.example.com", "10.0.0.0/8")).refusal("api.example.com", 443, internal).isEmpty());
        assertTrue(new HostAllowlist(List.of("api.example.com", "10.1.2.3:443")).refusal("api.example.com", 443, internal).isEmpty());
        assertTrue(new HostAllowlist(List.of("api.example.com", "10.1.2.3:8443")).refusal("api.example.com", 443, internal).isPresent());
        assertTrue(new HostAllowlist(List.of("localhost")).refusal("localhost", 80, loopback).isEmpty());
        assertTrue(new HostAllowlist(List.of("localhost")).refusal("localhost", 80, internal).isPresent(), "localhost opts in loopback only");
        assertTrue(new HostAllowlist(List.of("*.localhost")).refusal("a.localhost", 80, loopback).isPresent());
        assertTrue(HostAllowlist.trusted(List.of("hooks.internal:8080")).refusal("hooks.internal", 8080, internal).isEmpty());
        assertTrue(HostAllowlist.trusted(List.of("hooks.internal:8080")).refusal("hooks.internal", 8081, internal).isPresent());
    }

    @Test
    void malformedEntriesAreRefusedUpFront() {
        for (String entry : List.of("*", "*example.com", "http://example.com", "example.com:http", "a@b.com",
                "0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96", "10.0.0.0/33", "10.0.0.0/8:80", "127.1", "999.1.1.1", "example.com/8")) {
            assertThrows(IllegalArgumentException.class, () -> new HostAllowlist(List.of(entry)), entry);
        }
    }
}
