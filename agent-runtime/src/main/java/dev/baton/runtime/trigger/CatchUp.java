package dev.baton.runtime.trigger;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a schedule missed while the server was down, and which of those its catch-up policy fires.
 * Only the times in {@code [nextFireAt, now]} were missed, and only they follow catch-up:
 * {@code skip} fires none of them, {@code latest} the newest, {@code all} the newest
 * {@code catchUpLimit}, oldest first (each claimed like any firing).
 */
final class CatchUp {

    /** How many times were missed, and those the catch-up policy fires, oldest first. */
    record Missed(long count, List<Instant> toFire) {
    }

    static final Missed NONE = new Missed(0, List.of());

    private CatchUp() {
    }

    /** The firings due from {@code next} up to {@code now}, by {@code spec}'s catch-up policy. */
    static Missed missed(Instant next, Schedule schedule, TriggerSpec.ScheduleSpec spec, Instant now) {
        long count = 0;
        Instant t = next;
        if (t == null || t.isAfter(now)) return NONE;
        int keep = switch (spec.catchUp()) {
            case SKIP -> 0;
            case LATEST -> 1;
            case ALL -> spec.catchUpLimit();
        };
        Deque<Instant> newest = new ArrayDeque<>();
        // Bounded: a schedule every second that was down for a year is not walked through to the end.
        for (int i = 0; t != null && !t.isAfter(now) && i < 1_000_000; i++) {
            count++;
            if (keep > 0) {
                newest.addLast(t);
                if (newest.size() > keep) newest.removeFirst();
            }
            t = schedule.next(t);
        }
        return new Missed(count, new ArrayList<>(newest));
    }
}
