package dev.baton.runtime.trigger;

import dev.baton.runtime.journal.JdbcJournal;
import dev.baton.runtime.journal.Journal;

import java.util.List;
import java.util.Map;

/**
 * Where trigger definitions and their firing state are kept: the journal's own database
 * ({@link JdbcTriggerStore}, table {@code baton_triggers}) or memory ({@link MemoryTriggerStore},
 * beside a memory journal). Methods block: call them off the event loop.
 */
public interface TriggerStore {

    /** The store that goes with a journal: the same database, or memory for a memory journal. */
    static TriggerStore forJournal(Journal journal) {
        return journal instanceof JdbcJournal jdbc ? new JdbcTriggerStore(jdbc.dataSource()) : new MemoryTriggerStore();
    }

    /** Every trigger, by name. */
    List<StoredTrigger> all();

    /** Adds a trigger; false (and nothing changed) if one with its name exists. */
    boolean insert(StoredTrigger trigger);

    /** Pauses or resumes a trigger and saves its state; false if there is no such trigger. */
    boolean setPaused(String name, boolean paused, FiringState state);

    /** Removes a trigger; false if there was none. */
    boolean delete(String name);

    /** Saves the firing state of several triggers in one transaction (triggers deleted meanwhile are ignored). */
    void saveStates(Map<String, FiringState> states);
}
