package dev.baton.server;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many event streams each client, and all clients together, hold open, against
 * {@link Config.StreamLimits}; and the counts {@code /metrics} shows. Streams are opened and
 * closed on any event loop, so the counts are kept under one lock (taken once per stream, never
 * per event).
 */
final class StreamQuota {
    /** Which cap refused a stream. */
    enum Scope {
        CLIENT, TOTAL;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Config.StreamLimits limits;
    private final Map<String, Integer> perClient = new HashMap<>();
    private int open;
    private final LongAdder refusedClient = new LongAdder();
    private final LongAdder refusedTotal = new LongAdder();
    private final LongAdder cut = new LongAdder();

    StreamQuota(Config.StreamLimits limits) {
        this.limits = limits;
    }

    Config.StreamLimits limits() {
        return limits;
    }

    /** Takes a stream for {@code client}; returns null if it may open, else the cap it would break (and counts the refusal). */
    synchronized Scope acquire(String client) {
        int mine = perClient.getOrDefault(client, 0);
        if (mine >= limits.perClient()) {
            refusedClient.increment();
            return Scope.CLIENT;
        }
        if (open >= limits.total()) {
            refusedTotal.increment();
            return Scope.TOTAL;
        }
        perClient.put(client, mine + 1);
        open++;
        return null;
    }

    /** Gives back a stream that {@link #acquire} took; once per stream. */
    synchronized void release(String client) {
        Integer mine = perClient.get(client);
        if (mine == null) return;
        if (mine <= 1) perClient.remove(client);
        else perClient.put(client, mine - 1);
        open--;
    }

    /** A stream closed by the server because its client did not read fast enough. */
    void cut() {
        cut.increment();
    }

    synchronized int open() {
        return open;
    }

    synchronized int open(String client) {
        return perClient.getOrDefault(client, 0);
    }

    long refused(Scope scope) {
        return scope == Scope.CLIENT ? refusedClient.sum() : refusedTotal.sum();
    }

    long cutCount() {
        return cut.sum();
    }
}
