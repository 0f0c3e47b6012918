package dev.baton.tools.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

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
    void malformedEntriesAreRefusedUpFront() {
        for (String entry : List.of("*", "*example.com", "http://example.com", "example.com:http", "a@b.com")) {
            assertThrows(IllegalArgumentException.class, () -> new HostAllowlist(List.of(entry)), entry);
        }
    }
}
