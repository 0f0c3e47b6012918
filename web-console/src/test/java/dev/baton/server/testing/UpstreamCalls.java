package dev.baton.server.testing;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a WireMock upstream saw, by the {@code Idempotency-Key} header that Baton's {@code http.request}
 * (and the ticket delivery, which uses it) sends: the same key on every retry and after a takeover,
 * a new key only for a new piece of work. "Made exactly once" means one successful answer per key.
 */
public final class UpstreamCalls {
    /** One request the upstream answered: its path (with query), key (null if none), status and when it arrived. */
    public record Call(String url, String key, int status, long atMillis) {
        public boolean succeeded() {
            return status >= 200 && status < 300;
        }
    }

    private UpstreamCalls() {
    }

    /** Every request whose URL starts with {@code prefix}, oldest first. */
    public static List<Call> of(WireMockExtension upstream, String prefix) {
        List<Call> calls = new ArrayList<>();
        for (ServeEvent e : upstream.getAllServeEvents()) {
            String url = e.getRequest().getUrl();
            if (!url.startsWith(prefix)) continue;
            String key = e.getRequest().containsHeader("Idempotency-Key") ? e.getRequest().getHeader("Idempotency-Key") : null;
            int status = e.getResponse() == null ? -1 : e.getResponse().getStatus();
            calls.add(new Call(url, key, status, e.getRequest().getLoggedDate().getTime()));
        }
        calls.sort(Comparator.comparingLong(Call::atMillis));
        return calls;
    }

    /** The calls by idempotency key (a call without one is filed under "(none)"). */
    public static Map<String, List<Call>> byKey(List<Call> calls) {
        Map<String, List<Call>> out = new TreeMap<>();
        for (Call c : calls) out.computeIfAbsent(c.key() == null ? "(none)" : c.key(), k -> new ArrayList<>()).add(c);
        return out;
    }

    /** Asserts that every key got exactly one successful answer, and no call came without a key. */
    public static void assertOnceEach(Map<String, List<Call>> byKey, String what) {
        if (byKey.containsKey("(none)")) throw new AssertionError(what + ": calls without an Idempotency-Key: " + byKey.get("(none)"));
        for (Map.Entry<String, List<Call>> e : byKey.entrySet()) {
            long ok = e.getValue().stream().filter(Call::succeeded).count();
            if (ok != 1) throw new AssertionError(what + ": key " + e.getKey() + " was answered with success " + ok + " times, not once: " + e.getValue());
        }
    }
}
