package dev.baton.runtime.trigger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Triggers in memory, for a memory journal: nothing survives the process, as with the runs. Several
 * schedulers in one process may share one, with the same claims as on a database (one monitor for all).
 */
public final class MemoryTriggerStore implements TriggerStore {

    private static final class Row {
        final TriggerSpec spec;
        boolean paused;
        Instant next;
        Instant lastFiredAt;
        String lastRunId;
        PendingClaims pending;

        Row(StoredTrigger t) {
            this.spec = t.spec();
            this.paused = t.paused();
            state(t.state());
        }

        void state(FiringState s) {
            next = s.nextFireAt();
            lastFiredAt = s.lastFiredAt();
            lastRunId = s.lastRunId();
            pending = PendingClaims.of(s.pending());
        }

        StoredTrigger stored() {
            return new StoredTrigger(spec, paused, new FiringState(next, lastFiredAt, lastRunId, pending.times()));
        }
    }

    private final Map<String, Row> triggers = new TreeMap<>();
    private long changes;

    @Override
    public synchronized List<StoredTrigger> all() {
        List<StoredTrigger> list = new ArrayList<>();
        for (Row row : triggers.values()) list.add(row.stored());
        return list;
    }

    @Override
    public synchronized boolean insert(StoredTrigger trigger) {
        if (triggers.containsKey(trigger.spec().name())) return false;
        triggers.put(trigger.spec().name(), new Row(trigger));
        changes++;
        return true;
    }

    @Override
    public synchronized boolean setPaused(String name, boolean paused, FiringState state) {
        Row row = triggers.get(name);
        if (row == null) return false;
        row.paused = paused;
        row.state(state);
        changes++;
        return true;
    }

    @Override
    public synchronized boolean delete(String name) {
        if (triggers.remove(name) == null) return false;
        changes++;
        return true;
    }

    @Override
    public synchronized void saveStates(Map<String, FiringState> states) {
        states.forEach((name, state) -> {
            Row row = triggers.get(name);
            if (row != null) row.state(state);
        });
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public synchronized long changes() {
        return changes;
    }

    @Override
    public synchronized List<ClaimResult> claim(List<ClaimRequest> requests, String node, long untilMs) {
        List<ClaimResult> results = new ArrayList<>(requests.size());
        for (ClaimRequest r : requests) {
            Row row = triggers.get(r.name());
            if (row == null) {
                results.add(new ClaimResult(false, false, false, null, null));
            } else if (row.paused || !TriggerStore.sameMillis(row.next, r.seenNext())) {
                results.add(new ClaimResult(false, true, row.paused, row.next, row.lastRunId));
            } else {
                row.next = r.newNext();
                row.pending.add(r.times(), node, untilMs);
                results.add(new ClaimResult(true, true, false, row.next, row.lastRunId));
            }
        }
        return results;
    }

    @Override
    public synchronized void progress(Map<String, Progress> progress) {
        progress.forEach((name, p) -> {
            Row row = triggers.get(name);
            if (row == null) return;
            row.pending.removeAll(p.done());
            if (p.lastFiredAt() != null && (row.lastFiredAt == null || !p.lastFiredAt().isBefore(row.lastFiredAt))) {
                row.lastFiredAt = p.lastFiredAt();
                row.lastRunId = p.lastRunId();
            }
        });
    }

    @Override
    public synchronized boolean pause(String name, boolean paused, Instant next, Collection<Instant> dropped) {
        Row row = triggers.get(name);
        if (row == null) return false;
        row.paused = paused;
        row.next = next;
        row.pending.removeAll(dropped);
        changes++;
        return true;
    }

    @Override
    public synchronized Map<String, List<Instant>> renewAndTakeOver(String node, Map<String, Set<Instant>> held, long untilMs,
                                                                    long nowMs) {
        Map<String, List<Instant>> taken = new HashMap<>();
        triggers.forEach((name, row) -> {
            List<Instant> times = row.pending.renewOrTake(node, held.getOrDefault(name, Set.of()), untilMs, nowMs);
            if (!times.isEmpty()) taken.put(name, times);
        });
        return taken;
    }

    @Override
    public synchronized void release(String node) {
        for (Row row : triggers.values()) row.pending.release(node);
    }
}
