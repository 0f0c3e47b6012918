package dev.baton.runtime.trigger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Walks {@link CronExpression#next} through 2026 and 2027 and holds it against an oracle that
 * knows nothing of offsets or transitions: it steps the real time line minute by minute, reads
 * the wall clock, and fires whenever the clock reaches a matching wall-clock time it has not
 * shown before (jumping over one in a gap counts as reaching it). That is the rule: each
 * matching time fires once, at its first occurrence, a skipped one right after the gap.
 * The expressions all fire on second 0 and every change in these zones is on a whole minute,
 * so minute steps see every firing.
 */
class CronDstPropertyTest {
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2028-01-01T00:00:00Z");
    private static final List<String> EXPRESSIONS = List.of(
            "0 45 2 * * *", "0 20,40 2 * * *", "0 30 1 * * *", "0 0 0 * * *", "0 30 23 * * *",
            "0 */15 * * * *", "0 0 * * * *", "0 * 2 * * *", "0 10 2 */2 * *", "0 0/30 0-3 * * SUN",
            "0 5,35 0-3 * 3,4,9,10,11 *", "0 45 1-3 * * 0");

    @ParameterizedTest
    @ValueSource(strings = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham", "UTC"})
    void eachMatchingWallClockTimeFiresOnceAtItsFirstOccurrence(String zoneName) {
        ZoneId zone = ZoneId.of(zoneName);
        List<CronExpression> crons = EXPRESSIONS.stream().map(CronExpression::parse).toList();
        List<List<Instant>> oracle = oracle(crons, zone);
        LocalDateTime first = FROM.minusSeconds(60).atZone(zone).toLocalDateTime();
        LocalDateTime last = TO.atZone(zone).toLocalDateTime();
        List<Instant> changes = transitions(zone);
        Random random = new Random(17);

        for (int c = 0; c < crons.size(); c++) {
            CronExpression cron = crons.get(c);
            String what = cron + " in " + zone;
            List<Instant> expected = oracle.get(c);

            List<Instant> walked = new ArrayList<>();
            for (Instant t = cron.next(FROM.minusSeconds(60), zone); t.isBefore(TO); t = cron.next(t, zone)) {
                if (!walked.isEmpty()) assertTrue(t.isAfter(walked.get(walked.size() - 1)), what + ": went back to " + t);
                walked.add(t);
            }
            Set<LocalDateTime> wallClock = new HashSet<>();
            for (Instant t : walked) {
                assertTrue(wallClock.add(t.atZone(zone).toLocalDateTime()), what + ": fired " + t.atZone(zone).toLocalDateTime() + " twice");
            }
            // every matching wall-clock time that exists was reached: it fired
            for (LocalDateTime l = cron.nextLocal(first); l.isBefore(last); l = cron.nextLocal(l)) {
                if (!zone.getRules().getValidOffsets(l).isEmpty()) assertTrue(wallClock.contains(l), what + ": " + l + " exists and never fired");
            }
            assertFirings(expected, walked, what + ", walked from firing to firing");

            // asked from anywhere: around each change minute by minute (on and off the minute), and at random instants
            List<Instant> asks = new ArrayList<>();
            for (Instant change : changes) {
                for (Instant a = change.minus(Duration.ofHours(3)); a.isBefore(change.plus(Duration.ofHours(3))); a = a.plusSeconds(60)) {
                    asks.add(a);
                    asks.add(a.plusMillis(30_500));
                }
            }
            for (int k = 0; k < 2000; k++) asks.add(FROM.plusSeconds((long) (random.nextDouble() * Duration.between(FROM, TO).minusDays(1).toSeconds())));
            for (Instant ask : asks) {
                int at = Collections.binarySearch(expected, ask);
                int following = at >= 0 ? at + 1 : -at - 1;
                if (following >= expected.size()) continue; // past TO: the oracle does not know
                assertEquals(expected.get(following), cron.next(ask, zone), what + ", asked at " + ask + " (" + ask.atZone(zone) + ")");
            }
        }
    }

    /**
     * For each expression, the instants at which the wall clock first reaches a matching time,
     * stepping the time line by minutes from FROM to TO.
     */
    private static List<List<Instant>> oracle(List<CronExpression> crons, ZoneId zone) {
        List<List<Instant>> fires = new ArrayList<>();
        LocalDateTime reached = FROM.minusSeconds(60).atZone(zone).toLocalDateTime(); // the newest time the clock has shown
        LocalDateTime[] due = new LocalDateTime[crons.size()]; // each expression's first match after 'reached'
        for (int c = 0; c < crons.size(); c++) {
            fires.add(new ArrayList<>());
            due[c] = crons.get(c).nextLocal(reached);
        }
        for (Instant i = FROM; i.isBefore(TO); i = i.plusSeconds(60)) {
            LocalDateTime now = i.atZone(zone).toLocalDateTime();
            if (!now.isAfter(reached)) continue; // a time shown before (a repeat): it does not fire again
            for (int c = 0; c < crons.size(); c++) {
                if (due[c] != null && !due[c].isAfter(now)) {
                    fires.get(c).add(i);
                    due[c] = crons.get(c).nextLocal(now); // the matches the clock jumped over in a gap fire once, here
                }
            }
            reached = now;
        }
        return fires;
    }

    private static List<Instant> transitions(ZoneId zone) {
        List<Instant> list = new ArrayList<>();
        for (ZoneOffsetTransition t = zone.getRules().nextTransition(FROM); t != null && t.getInstant().isBefore(TO);
             t = zone.getRules().nextTransition(t.getInstant())) {
            list.add(t.getInstant());
        }
        return list;
    }

    private static void assertFirings(List<Instant> expected, List<Instant> actual, String what) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            if (!expected.get(i).equals(actual.get(i))) {
                fail(what + ": firing " + i + " should be " + expected.get(i) + " but is " + actual.get(i));
            }
        }
        assertEquals(expected.size(), actual.size(), what + ": how many firings");
    }
}
