package dev.baton.runtime.trigger;

import dev.baton.runtime.journal.JdbcJournal;
import dev.baton.runtime.journal.Journal;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where trigger definitions and their firing state are kept: the journal's own database
 * ({@link JdbcTriggerStore}, table {@code baton_triggers}) or memory ({@link MemoryTriggerStore},
 * beside a memory journal). Methods block: call them off the event loop.
 *
 * <h2>Several schedulers on one store</h2>
 * Nodes that share a PostgreSQL journal share its triggers, and every node's {@link Triggers} may fire
 * any of them; the store decides, so that each due time fires once across the nodes:
 * <ul>
 *   <li>{@link #claim}: a due time is claimed by a compare-and-set of {@code next_fire_at_ms} (under the row's
 *       lock): only the scheduler that saw the stored next time moves it on, and holds the time as pending;
 *       the others learn the stored state instead.</li>
 *   <li>{@link #renewAndTakeOver}: a scheduler renews the claims it holds, and takes over those whose holder
 *       stopped renewing them (it died) or let go of them ({@link #release}); see {@link PendingClaims}.</li>
 *   <li>{@link #changes}: a counter that grows with every definition change (create, pause, resume, delete),
 *       so that a scheduler reloads the definitions only when another one changed them.</li>
 * </ul>
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

    /**
     * Saves the firing state of several triggers in one transaction (triggers deleted meanwhile are ignored).
     * Its pending times are held by nobody; a single scheduler's tool, overwriting what others claimed.
     */
    void saveStates(Map<String, FiringState> states);

    // ------------------------------------------------------------------ several schedulers

    /** Whether other processes may use this store at the same time (PostgreSQL); false for H2 and memory. */
    boolean shared();

    /** A counter that every {@link #insert}, pause, resume and {@link #delete} increases. */
    long changes();

    /**
     * A claim: if the trigger's stored next time is {@code seenNext} (and it is not paused), move it to
     * {@code newNext} and hold {@code times} as pending (possibly none: a catch-up that fires nothing).
     */
    record ClaimRequest(String name, Instant seenNext, Instant newNext, List<Instant> times) {
    }

    /** Whether two next times are the same as stored: to the millisecond (a schedule's own times may be finer). */
    static boolean sameMillis(Instant a, Instant b) {
        return a == null ? b == null : b != null && a.toEpochMilli() == b.toEpochMilli();
    }

    /** What a claim found: won, or lost with the trigger's stored state ({@code exists} false: deleted). */
    record ClaimResult(boolean won, boolean exists, boolean paused, Instant next, String lastRunId) {
    }

    /**
     * Claims, in one transaction, in order (several claims of one trigger each see the one before);
     * the claimed times are held by {@code node} until {@code untilMs}. One result per request.
     */
    List<ClaimResult> claim(List<ClaimRequest> requests, String node, long untilMs);

    /** What a scheduler made of a trigger's firings: times no longer pending, and its newest firing (or nulls). */
    record Progress(Collection<Instant> done, Instant lastFiredAt, String lastRunId) {
    }

    /**
     * In one transaction: removes the {@code done} times from each trigger's pending ones, and keeps its
     * {@code lastFiredAt} and {@code lastRunId} unless the stored firing is newer.
     */
    void progress(Map<String, Progress> progress);

    /**
     * Pauses or resumes a trigger, as another scheduler will see it: sets its next time, drops {@code dropped}
     * from its pending times (others' claims stay). False if there is no such trigger.
     */
    boolean pause(String name, boolean paused, Instant next, Collection<Instant> dropped);

    /**
     * Renews {@code node}'s claims that it still {@code held} (trigger name to times), and takes over the
     * pending times nobody holds (see {@link PendingClaims#renewOrTake}): held by {@code node} until
     * {@code untilMs} from now on, and returned (by trigger) for it to fire again.
     */
    Map<String, List<Instant>> renewAndTakeOver(String node, Map<String, Set<Instant>> held, long untilMs, long nowMs);

    /** Lets go of every claim {@code node} holds (a clean stop), for another scheduler to take over at once. */
    void release(String node);
}
