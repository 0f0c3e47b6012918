package dev.baton.runtime.trigger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.baton.json.Json;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A trigger's pending firing times (claimed, not finished) and, for each, the scheduler that holds
 * it and until when: the same rules for every {@link TriggerStore}, so that several schedulers on one
 * store (nodes on one PostgreSQL database) never lose a claimed firing. A holder renews its claims
 * while it runs ({@link TriggerStore#renewAndTakeOver}); a claim whose holder stopped renewing (it died)
 * or let go of it ({@link #release}, at a clean stop) is taken over by the next scheduler that looks,
 * which fires it again under the firing's idempotency key (a replay if its run is durable already).
 *
 * <p>Stored as the {@code pending} column's JSON array: a claim with a holder as
 * {@code {"at": ISO, "node": id, "until": epoch ms}}, one without (saved by {@link TriggerStore#saveStates},
 * or by a Baton before clusters) as the plain ISO string it always was; such a claim is anyone's to take.
 * Not thread-safe: used under the store's row lock or monitor.
 */
final class PendingClaims {

    /** Who holds a claimed time, until when (epoch ms); {@code node} null: nobody, anyone may take it. */
    record Holder(String node, long untilMs) {
        static final Holder NOBODY = new Holder(null, 0);
    }

    private final TreeMap<Instant, Holder> times = new TreeMap<>();

    static PendingClaims of(Collection<Instant> unheld) {
        PendingClaims claims = new PendingClaims();
        for (Instant at : unheld) claims.times.put(at, Holder.NOBODY);
        return claims;
    }

    static PendingClaims parse(String json) throws JsonProcessingException {
        PendingClaims claims = new PendingClaims();
        if (json == null || json.isBlank()) return claims;
        for (JsonNode entry : Json.parse(json)) {
            if (entry.isTextual()) {
                claims.times.put(Instant.parse(entry.asText()), Holder.NOBODY);
            } else {
                String node = entry.path("node").isTextual() ? entry.get("node").asText() : null;
                claims.times.put(Instant.parse(entry.path("at").asText()), new Holder(node, entry.path("until").asLong(0)));
            }
        }
        return claims;
    }

    /** The JSON array; null (not {@code []}) for none, the common case. */
    String json() {
        if (times.isEmpty()) return null;
        ArrayNode array = Json.array();
        for (Map.Entry<Instant, Holder> e : times.entrySet()) {
            if (e.getValue().node() == null) {
                array.add(e.getKey().toString());
            } else {
                array.addObject().put("at", e.getKey().toString()).put("node", e.getValue().node()).put("until", e.getValue().untilMs());
            }
        }
        return array.toString();
    }

    List<Instant> times() {
        return new ArrayList<>(times.keySet());
    }

    boolean isEmpty() {
        return times.isEmpty();
    }

    void add(Collection<Instant> claimed, String node, long untilMs) {
        for (Instant at : claimed) times.put(at, new Holder(node, untilMs));
    }

    void removeAll(Collection<Instant> done) {
        for (Instant at : done) times.remove(at);
    }

    /**
     * Renews the claims {@code node} still holds ({@code held}), and takes over the ones nobody holds:
     * lapsed ({@code until} before {@code nowMs}), without a holder, or {@code node}'s own that it no
     * longer knows of (a claim whose commit it never heard of). The times taken, for {@code node} to fire again.
     */
    List<Instant> renewOrTake(String node, Set<Instant> held, long untilMs, long nowMs) {
        List<Instant> taken = new ArrayList<>();
        for (Map.Entry<Instant, Holder> e : times.entrySet()) {
            Holder h = e.getValue();
            boolean mine = node.equals(h.node());
            if (mine && held.contains(e.getKey())) {
                e.setValue(new Holder(node, untilMs));
            } else if (mine || h.node() == null || h.untilMs() < nowMs) {
                e.setValue(new Holder(node, untilMs));
                taken.add(e.getKey());
            }
        }
        return taken;
    }

    /** Whether {@link #renewOrTake} would change anything. */
    boolean wants(String node, long nowMs) {
        for (Holder h : times.values()) {
            if (node.equals(h.node()) || h.node() == null || h.untilMs() < nowMs) return true;
        }
        return false;
    }

    /** Lets go of {@code node}'s claims (a clean stop): the next scheduler that looks takes them over at once. */
    boolean release(String node) {
        boolean changed = false;
        for (Map.Entry<Instant, Holder> e : times.entrySet()) {
            if (node.equals(e.getValue().node())) {
                e.setValue(Holder.NOBODY);
                changed = true;
            }
        }
        return changed;
    }
}
