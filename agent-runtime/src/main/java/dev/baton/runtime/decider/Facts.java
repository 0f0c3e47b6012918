package dev.baton.runtime.decider;

import java.time.Instant;

/**
 * What the shell knows that a decision depends on: the time of the input and the calls it
 * has in flight. The decider reads it and never changes it; a table test writes one by hand.
 */
public interface Facts {
    /** The time of the input, truncated to milliseconds: the only clock a decision reads. */
    Instant now();

    /** Whether a call of this task of the run (on any lane) is in flight. */
    boolean inFlight(String taskId);

    /** The run's calls in flight. */
    int callsInFlight();

    /** Call slots free across the node; a decision starts at most this many calls and queues the rest. */
    int freeSlots();

    /** Facts for a run with no call in flight. */
    static Facts idle(Instant now, int freeSlots) {
        return new Facts() {
            @Override public Instant now() { return now; }
            @Override public boolean inFlight(String taskId) { return false; }
            @Override public int callsInFlight() { return 0; }
            @Override public int freeSlots() { return freeSlots; }
        };
    }
}
