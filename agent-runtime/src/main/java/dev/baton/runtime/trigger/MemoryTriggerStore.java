package dev.baton.runtime.trigger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** Triggers in memory, for a memory journal: nothing survives the process, as with the runs. */
public final class MemoryTriggerStore implements TriggerStore {
    private final Map<String, StoredTrigger> triggers = new ConcurrentSkipListMap<>();

    @Override
    public List<StoredTrigger> all() {
        return new ArrayList<>(triggers.values());
    }

    @Override
    public boolean insert(StoredTrigger trigger) {
        return triggers.putIfAbsent(trigger.spec().name(), trigger) == null;
    }

    @Override
    public boolean setPaused(String name, boolean paused, FiringState state) {
        return triggers.computeIfPresent(name, (k, t) -> new StoredTrigger(t.spec(), paused, state)) != null;
    }

    @Override
    public boolean delete(String name) {
        return triggers.remove(name) != null;
    }

    @Override
    public void saveStates(Map<String, FiringState> states) {
        states.forEach((name, state) -> triggers.computeIfPresent(name, (k, t) -> new StoredTrigger(t.spec(), t.paused(), state)));
    }
}
