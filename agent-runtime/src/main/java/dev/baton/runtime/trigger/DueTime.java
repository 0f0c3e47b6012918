package dev.baton.runtime.trigger;

/** When a schedule is due next, in the timer wheel; {@code generation} tells a stale entry from the current one. */
record DueTime(long atMs, String name, long generation) implements Comparable<DueTime> {
    @Override
    public int compareTo(DueTime o) {
        return Long.compare(atMs, o.atMs);
    }
}
