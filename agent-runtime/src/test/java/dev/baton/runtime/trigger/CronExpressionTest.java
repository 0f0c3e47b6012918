package dev.baton.runtime.trigger;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CronExpressionTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    private static Instant next(String cron, String after, ZoneId zone) {
        return CronExpression.parse(cron).next(Instant.parse(after), zone);
    }

    private static List<Instant> times(String cron, String after, ZoneId zone, int n) {
        CronExpression c = CronExpression.parse(cron);
        List<Instant> list = new ArrayList<>();
        Instant t = Instant.parse(after);
        for (int i = 0; i < n; i++) {
            t = c.next(t, zone);
            list.add(t);
        }
        return list;
    }

    @Test
    void everyFiveMinutesOnTheMinute() {
        assertEquals(Instant.parse("2026-03-01T10:05:00Z"), next("0 */5 * * * *", "2026-03-01T10:00:00Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-03-01T10:05:00Z"), next("0 */5 * * * *", "2026-03-01T10:04:59.999Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-03-01T11:00:00Z"), next("0 */5 * * * *", "2026-03-01T10:55:00Z", ZoneOffset.UTC));
    }

    @Test
    void strictlyAfterEvenWithinTheSameSecond() {
        assertEquals(Instant.parse("2026-03-01T10:00:01Z"), next("* * * * * *", "2026-03-01T10:00:00Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-03-01T10:00:01Z"), next("* * * * * *", "2026-03-01T10:00:00.500Z", ZoneOffset.UTC));
    }

    @Test
    void listsRangesStepsAndNames() {
        // 09:30 on weekdays
        assertEquals(List.of(Instant.parse("2026-11-23T09:30:00Z"), Instant.parse("2026-11-24T09:30:00Z"),
                        Instant.parse("2026-11-25T09:30:00Z"), Instant.parse("2026-11-26T09:30:00Z"),
                        Instant.parse("2026-11-27T09:30:00Z"), Instant.parse("2026-11-30T09:30:00Z")),
                times("0 30 9 * * MON-FRI", "2026-11-22T00:00:00Z", ZoneOffset.UTC, 6));
        assertEquals(List.of(Instant.parse("2026-01-01T00:00:15Z"), Instant.parse("2026-01-01T00:00:45Z"),
                        Instant.parse("2026-01-01T00:01:15Z")),
                times("15,45 * * * * ?", "2026-01-01T00:00:00Z", ZoneOffset.UTC, 3));
        // the first of Feb, Apr and Jun at midnight
        assertEquals(List.of(Instant.parse("2026-02-01T00:00:00Z"), Instant.parse("2026-04-01T00:00:00Z"),
                        Instant.parse("2026-06-01T00:00:00Z"), Instant.parse("2027-02-01T00:00:00Z")),
                times("0 0 0 1 FEB-JUN/2 *", "2026-01-15T00:00:00Z", ZoneOffset.UTC, 4));
        // 7 and 0 are both Sunday
        assertEquals(next("0 0 12 * * 0", "2026-11-23T00:00:00Z", ZoneOffset.UTC), next("0 0 12 * * 7", "2026-11-23T00:00:00Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-11-29T12:00:00Z"), next("0 0 12 * * SUN", "2026-11-23T00:00:00Z", ZoneOffset.UTC));
    }

    @Test
    void bothDayFieldsRestrictedMatchEither() {
        // the 13th, or any Friday
        assertEquals(List.of(Instant.parse("2026-11-27T00:00:00Z"), Instant.parse("2026-12-04T00:00:00Z"),
                        Instant.parse("2026-12-11T00:00:00Z"), Instant.parse("2026-12-13T00:00:00Z")),
                times("0 0 0 13 * FRI", "2026-11-23T00:00:00Z", ZoneOffset.UTC, 4));
    }

    @Test
    void aDayFieldStartingWithAStarIsUnrestrictedAsInVixieCron() {
        // */2 with a day of week: both must match (Mondays on odd days), not either (as for 1-31/2)
        assertEquals(List.of(Instant.parse("2026-11-23T00:00:00Z"), Instant.parse("2026-12-07T00:00:00Z"),
                        Instant.parse("2026-12-21T00:00:00Z"), Instant.parse("2027-01-11T00:00:00Z")),
                times("0 0 0 */2 * MON", "2026-11-22T00:00:00Z", ZoneOffset.UTC, 4));
        assertEquals(List.of(Instant.parse("2026-11-23T00:00:00Z"), Instant.parse("2026-11-25T00:00:00Z"),
                        Instant.parse("2026-11-27T00:00:00Z"), Instant.parse("2026-11-29T00:00:00Z"),
                        Instant.parse("2026-11-30T00:00:00Z")),
                times("0 0 0 1-31/2 * MON", "2026-11-22T00:00:00Z", ZoneOffset.UTC, 5));
        // a day-of-week step starting with * likewise; */3 is Sunday, Wednesday, Saturday
        assertEquals(List.of(Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-04T00:00:00Z"),
                        Instant.parse("2026-11-07T00:00:00Z"), Instant.parse("2026-11-08T00:00:00Z")),
                times("0 0 0 1-10 * */3", "2026-10-31T12:00:00Z", ZoneOffset.UTC, 4));
        // with the other day field * or ?, a step alone decides, as in Quartz
        assertEquals(next("0 0 0 */2 * ?", "2026-11-22T00:00:00Z", ZoneOffset.UTC), next("0 0 0 */2 * *", "2026-11-22T00:00:00Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-11-23T00:00:00Z"), next("0 0 0 */2 * *", "2026-11-22T00:00:00Z", ZoneOffset.UTC));
        assertEquals(Instant.parse("2026-11-25T00:00:00Z"), next("0 0 0 ? * */3", "2026-11-22T00:00:00Z", ZoneOffset.UTC));
    }

    @Test
    void leapDayAndDaysThatNeverCome() {
        assertEquals(Instant.parse("2028-02-29T00:00:00Z"), next("0 0 0 29 2 *", "2026-03-01T00:00:00Z", ZoneOffset.UTC));
        assertNull(next("0 0 0 30 2 *", "2026-03-01T00:00:00Z", ZoneOffset.UTC));
    }

    @Test
    void timeZoneIsWallClock() {
        // 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC in summer
        assertEquals(Instant.parse("2026-01-10T08:00:00Z"), next("0 0 9 * * *", "2026-01-10T00:00:00Z", BERLIN));
        assertEquals(Instant.parse("2026-07-10T07:00:00Z"), next("0 0 9 * * *", "2026-07-10T00:00:00Z", BERLIN));
    }

    @Test
    void springForwardGapFiresOnceAfterTheGap() {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
        List<Instant> daily = times("0 30 2 * * *", "2026-03-28T00:00:00Z", BERLIN, 3);
        assertEquals(Instant.parse("2026-03-28T01:30:00Z"), daily.get(0)); // 02:30 CET
        assertEquals(Instant.parse("2026-03-29T01:00:00Z"), daily.get(1)); // at the gap's end, 03:00 CEST, once
        assertEquals(Instant.parse("2026-03-30T00:30:00Z"), daily.get(2)); // 02:30 CEST
        // Every 30 minutes across the gap: 01:30 CET, then 03:00 CEST (the gap's times collapse into one), 03:30 ...
        List<Instant> halfHourly = times("0 0/30 * * * *", "2026-03-29T00:15:00Z", BERLIN, 3);
        assertEquals(List.of(Instant.parse("2026-03-29T00:30:00Z"), Instant.parse("2026-03-29T01:00:00Z"),
                Instant.parse("2026-03-29T01:30:00Z")), halfHourly);
        for (int i = 1; i < halfHourly.size(); i++) assertTrue(halfHourly.get(i).isAfter(halfHourly.get(i - 1)));
    }

    @Test
    void fallBackRepeatedTimeFiresOnce() {
        // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST, so 01:30 happens twice.
        List<Instant> daily = times("0 30 1 * * *", "2026-10-31T12:00:00Z", NEW_YORK, 3);
        assertEquals(Instant.parse("2026-11-01T05:30:00Z"), daily.get(0)); // 01:30 EDT, the first occurrence
        assertEquals(Instant.parse("2026-11-02T06:30:00Z"), daily.get(1)); // the next day, 01:30 EST; not 06:30Z on the 1st
        assertEquals(Instant.parse("2026-11-03T06:30:00Z"), daily.get(2));
        // Hourly on the hour around the change: strictly increasing, never the same instant twice.
        List<Instant> hourly = times("0 0 * * * *", "2026-11-01T03:30:00Z", NEW_YORK, 4);
        for (int i = 1; i < hourly.size(); i++) assertTrue(hourly.get(i).isAfter(hourly.get(i - 1)), hourly.toString());
        assertEquals(Instant.parse("2026-11-01T04:00:00Z"), hourly.get(0)); // 00:00 EDT
        assertEquals(Instant.parse("2026-11-01T05:00:00Z"), hourly.get(1)); // 01:00 EDT
    }

    @Test
    void badExpressionsNameTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("*/5 * * * *")).getMessage().contains("6 fields"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 60 * * * *")).getMessage().contains("minute"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 24 * * *")).getMessage().contains("hour"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 0 0 * *")).getMessage().contains("day of month"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 0 * FOO *")).getMessage().contains("month"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 0 * * 8")).getMessage().contains("day of week"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("*/0 * * * * *")).getMessage().contains("step"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 30-10 * * * *")).getMessage().contains("backwards"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 1,,2 * * * *")).getMessage().contains("empty"));
    }

    @Test
    void everyIsAnchoredAndDoesNotDrift() {
        Schedule.Every every = new Schedule.Every(java.time.Duration.ofSeconds(10), Instant.parse("2026-01-01T00:00:03Z"));
        assertEquals(Instant.parse("2026-01-01T00:00:03Z"), every.next(Instant.parse("2026-01-01T00:00:00Z")));
        assertEquals(Instant.parse("2026-01-01T00:00:13Z"), every.next(Instant.parse("2026-01-01T00:00:03Z")));
        assertEquals(Instant.parse("2026-01-01T00:01:03Z"), every.next(Instant.parse("2026-01-01T00:00:58.250Z")));
    }

    @Test
    void payloadPaths() throws Exception {
        var payload = dev.baton.json.Json.parse("{\"ticket\": {\"id\": 7, \"tags\": [\"a\", \"b\"], \"e-mail\": \"x@y\", \"odd key\": 1}}");
        assertEquals(7, PayloadPath.parse("$.ticket.id").read(payload).intValue());
        assertEquals("b", PayloadPath.parse("$.ticket.tags[1]").read(payload).textValue());
        assertEquals("x@y", PayloadPath.parse("$.ticket.e-mail").read(payload).textValue());
        assertEquals(1, PayloadPath.parse("$.ticket[\"odd key\"]").read(payload).intValue());
        assertEquals(payload, PayloadPath.parse("$").read(payload));
        assertNull(PayloadPath.parse("$.ticket.tags[5]").read(payload));
        assertNull(PayloadPath.parse("$.nothing.here").read(payload));
        for (String bad : new String[]{"ticket.id", "$.", "$..a", "$[x]", "$[\"a\"", "$.a b", "$[1", "$.a()"}) {
            assertThrows(IllegalArgumentException.class, () -> PayloadPath.parse(bad), bad);
        }
    }
}
