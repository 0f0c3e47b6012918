package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Cron at daylight-saving changes, asked from before, inside and after each gap and repeated
 * hour of 2026 and 2027 in three zones. The instants come from the zones' rules (java.time):
 * <ul>
 * <li>Europe/Berlin: gaps 2026-03-29 and 2027-03-28 at 01:00Z (02:00 CET to 03:00 CEST); repeated
 *     02:00-03:00 on 2026-10-25 and 2027-10-31 (first pass 00:00-01:00Z CEST, second 01:00-02:00Z CET);</li>
 * <li>America/New_York: gaps 2026-03-08 and 2027-03-14 at 07:00Z (02:00 EST to 03:00 EDT); repeated
 *     01:00-02:00 on 2026-11-01 and 2027-11-07 (first pass 05:00-06:00Z EDT, second 06:00-07:00Z EST);</li>
 * <li>Australia/Lord_Howe, 30-minute changes: repeated 01:30-02:00 on 2026-04-05 and 2027-04-04
 *     (first pass 14:30-15:00Z at +11:00, second 15:00-15:30Z at +10:30 the day before in UTC); gaps
 *     02:00-02:30 on 2026-10-04 and 2027-10-03, at 15:30Z the day before.</li>
 * </ul>
 * A skipped time fires at the gap's end; a repeated time at its first occurrence only.
 */
class CronDstTest {

    @ParameterizedTest(name = "{0} {1} after {2} -> {3} ({4})")
    @CsvSource(delimiter = '|', textBlock = """
            # zone              | cron             | ask                  | expected             | what
            Europe/Berlin       | 0 30 2 * * *     | 2026-03-28T23:00:00Z | 2026-03-29T01:00:00Z | before the gap: 02:30 does not exist, fires at 03:00 CEST
            Europe/Berlin       | 0 30 2 * * *     | 2026-03-29T00:59:59Z | 2026-03-29T01:00:00Z | the last second before the gap
            Europe/Berlin       | 0 30 2 * * *     | 2026-03-29T01:00:00Z | 2026-03-30T00:30:00Z | at the gap's end, where it fired: not again at 03:30
            Europe/Berlin       | 0 30 2 * * *     | 2026-03-29T01:10:00Z | 2026-03-30T00:30:00Z | after the gap
            Europe/Berlin       | 0 0/20 2 * * *   | 2026-03-29T00:30:00Z | 2026-03-29T01:00:00Z | three skipped times fire once
            Europe/Berlin       | 0 0/20 2 * * *   | 2026-03-29T01:00:00Z | 2026-03-30T00:00:00Z | ... and only once
            Europe/Berlin       | 0 0/30 2-3 * * * | 2026-03-29T00:30:00Z | 2026-03-29T01:00:00Z | 02:00, 02:30 and 03:00 are one firing
            Europe/Berlin       | 0 0/30 2-3 * * * | 2026-03-29T01:00:00Z | 2026-03-29T01:30:00Z | then 03:30 CEST
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-24T22:00:00Z | 2026-10-25T00:45:00Z | before the repeated hour: 02:45 CEST
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T00:30:00Z | 2026-10-25T00:45:00Z | first pass, before 02:45
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T00:45:00Z | 2026-10-26T01:45:00Z | first pass, at the firing
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T01:00:00Z | 2026-10-26T01:45:00Z | second pass starts (02:00 CET)
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T01:30:00Z | 2026-10-26T01:45:00Z | second pass, 02:30 CET: not 01:45Z (the issue's case)
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T01:45:00Z | 2026-10-26T01:45:00Z | second pass, at 02:45 CET
            Europe/Berlin       | 0 45 2 * * *     | 2026-10-25T02:30:00Z | 2026-10-26T01:45:00Z | after the repeated hour
            Europe/Berlin       | 0 */15 * * * *   | 2026-10-25T00:45:00Z | 2026-10-25T02:00:00Z | the repeated hour's times fired in the first pass
            Europe/Berlin       | 0 */15 * * * *   | 2026-10-25T01:30:00Z | 2026-10-25T02:00:00Z | asked in the second pass: 03:00 CET, not 02:45 CET
            Europe/Berlin       | 0 30 2 * * *     | 2027-03-27T23:00:00Z | 2027-03-28T01:00:00Z | 2027 gap, before
            Europe/Berlin       | 0 30 2 * * *     | 2027-03-28T01:00:00Z | 2027-03-29T00:30:00Z | 2027 gap, at its end
            Europe/Berlin       | 0 30 2 * * *     | 2027-03-28T02:00:00Z | 2027-03-29T00:30:00Z | 2027 gap, after
            Europe/Berlin       | 0 45 2 * * *     | 2027-10-30T22:00:00Z | 2027-10-31T00:45:00Z | 2027 repeated hour, before
            Europe/Berlin       | 0 45 2 * * *     | 2027-10-31T00:50:00Z | 2027-11-01T01:45:00Z | 2027 first pass, after 02:45
            Europe/Berlin       | 0 45 2 * * *     | 2027-10-31T01:30:00Z | 2027-11-01T01:45:00Z | 2027 second pass
            Europe/Berlin       | 0 45 2 * * *     | 2027-10-31T03:00:00Z | 2027-11-01T01:45:00Z | 2027 after
            America/New_York    | 0 30 2 * * *     | 2026-03-08T05:00:00Z | 2026-03-08T07:00:00Z | before the gap: fires at 03:00 EDT
            America/New_York    | 0 30 2 * * *     | 2026-03-08T06:59:59Z | 2026-03-08T07:00:00Z | the last second before the gap
            America/New_York    | 0 30 2 * * *     | 2026-03-08T07:00:00Z | 2026-03-09T06:30:00Z | at the gap's end
            America/New_York    | 0 30 2 * * *     | 2026-03-08T08:00:00Z | 2026-03-09T06:30:00Z | after the gap
            America/New_York    | 0 15,45 2 * * *  | 2026-03-08T05:00:00Z | 2026-03-08T07:00:00Z | two skipped times fire once
            America/New_York    | 0 15,45 2 * * *  | 2026-03-08T07:00:00Z | 2026-03-09T06:15:00Z | ... and only once
            America/New_York    | 0 30 1 * * *     | 2026-11-01T04:00:00Z | 2026-11-01T05:30:00Z | before the repeated hour: 01:30 EDT
            America/New_York    | 0 30 1 * * *     | 2026-11-01T05:15:00Z | 2026-11-01T05:30:00Z | first pass, before 01:30
            America/New_York    | 0 30 1 * * *     | 2026-11-01T05:30:00Z | 2026-11-02T06:30:00Z | first pass, at the firing
            America/New_York    | 0 30 1 * * *     | 2026-11-01T06:15:00Z | 2026-11-02T06:30:00Z | second pass, 01:15 EST: not 06:30Z today
            America/New_York    | 0 30 1 * * *     | 2026-11-01T06:45:00Z | 2026-11-02T06:30:00Z | second pass, after 01:30 EST
            America/New_York    | 0 30 1 * * *     | 2026-11-01T07:00:00Z | 2026-11-02T06:30:00Z | after the repeated hour
            America/New_York    | 0 0/20 * * * *   | 2026-11-01T06:15:00Z | 2026-11-01T07:00:00Z | second pass: next is 02:00 EST
            America/New_York    | 0 30 2 * * *     | 2027-03-14T05:00:00Z | 2027-03-14T07:00:00Z | 2027 gap, before
            America/New_York    | 0 30 2 * * *     | 2027-03-14T07:00:00Z | 2027-03-15T06:30:00Z | 2027 gap, at its end
            America/New_York    | 0 30 2 * * *     | 2027-03-14T09:00:00Z | 2027-03-15T06:30:00Z | 2027 gap, after
            America/New_York    | 0 30 1 * * *     | 2027-11-07T04:00:00Z | 2027-11-07T05:30:00Z | 2027 repeated hour, before
            America/New_York    | 0 30 1 * * *     | 2027-11-07T06:10:00Z | 2027-11-08T06:30:00Z | 2027 second pass
            America/New_York    | 0 30 1 * * *     | 2027-11-07T07:30:00Z | 2027-11-08T06:30:00Z | 2027 after
            Australia/Lord_Howe | 0 45 1 * * *     | 2026-04-04T13:00:00Z | 2026-04-04T14:45:00Z | before the repeated half hour: 01:45+11:00
            Australia/Lord_Howe | 0 45 1 * * *     | 2026-04-04T14:50:00Z | 2026-04-05T15:15:00Z | first pass, after 01:45
            Australia/Lord_Howe | 0 45 1 * * *     | 2026-04-04T15:10:00Z | 2026-04-05T15:15:00Z | second pass, 01:40+10:30: not 15:15Z today
            Australia/Lord_Howe | 0 45 1 * * *     | 2026-04-04T15:30:00Z | 2026-04-05T15:15:00Z | after the repeated half hour
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2026-10-03T15:00:00Z | 2026-10-03T15:30:00Z | before the 30-minute gap: 02:20 fires at 02:30+11:00
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2026-10-03T15:29:59Z | 2026-10-03T15:30:00Z | the last second before the gap
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2026-10-03T15:30:00Z | 2026-10-03T15:40:00Z | 02:40+11:00 exists: not skipped (the issue's case)
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2026-10-03T15:40:00Z | 2026-10-04T15:20:00Z | after: the next day's 02:20
            Australia/Lord_Howe | 0 0/10 2 * * *   | 2026-10-03T15:00:00Z | 2026-10-03T15:30:00Z | 02:00, 02:10, 02:20 and 02:30 are one firing
            Australia/Lord_Howe | 0 0/10 2 * * *   | 2026-10-03T15:30:00Z | 2026-10-03T15:40:00Z | then 02:40
            Australia/Lord_Howe | 0 45 1 * * *     | 2027-04-03T13:00:00Z | 2027-04-03T14:45:00Z | 2027 repeated half hour, before
            Australia/Lord_Howe | 0 45 1 * * *     | 2027-04-03T15:10:00Z | 2027-04-04T15:15:00Z | 2027 second pass
            Australia/Lord_Howe | 0 45 1 * * *     | 2027-04-03T16:00:00Z | 2027-04-04T15:15:00Z | 2027 after
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2027-10-02T15:00:00Z | 2027-10-02T15:30:00Z | 2027 gap, before
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2027-10-02T15:30:00Z | 2027-10-02T15:40:00Z | 2027 gap, 02:40 exists
            Australia/Lord_Howe | 0 20,40 2 * * *  | 2027-10-02T16:00:00Z | 2027-10-03T15:20:00Z | 2027 gap, after
            """)
    void nextAcrossDaylightSaving(String zone, String cron, String ask, String expected, String what) {
        assertEquals(Instant.parse(expected), CronExpression.parse(cron).next(Instant.parse(ask), ZoneId.of(zone)), what);
    }

    /**
     * The scheduler asks the trigger's schedule for {@code next(now)} when a trigger is created or
     * resumed and at a restart (after reading it back from the store), walks {@code next(t)} from the
     * stored next time through the missed ones, and after each firing asks {@code next(firedAt)}.
     * None of these may give the repeated hour's second pass a firing.
     */
    @Test
    void triggerCreatedResumedOrRestartedInsideTheRepeatedHourDoesNotFireTwice() {
        ObjectNode body = Json.object();
        body.put("name", "nightly");
        body.put("goal", "g");
        body.putObject("schedule").put("cron", "0 45 2 * * *").put("timeZone", "Europe/Berlin").put("catchUp", "all");
        body.set("plan", Json.object().set("tasks", Json.array()));
        Instant firstPass = Instant.parse("2026-10-25T00:45:00Z"); // 02:45 CEST
        Instant secondPass = Instant.parse("2026-10-25T01:30:00Z"); // 02:30 CET
        Instant tomorrow = Instant.parse("2026-10-26T01:45:00Z"); // 02:45 CET

        // created (or resumed) inside the second pass
        TriggerSpec created = TriggerSpec.parse(body, secondPass);
        assertEquals(tomorrow, created.timing().next(secondPass));
        // restarted inside the second pass: the definition read back from the store
        TriggerSpec restarted = TriggerSpec.fromStored(created.toJson(true));
        assertEquals(tomorrow, restarted.timing().next(secondPass));
        // fired at 02:45 CEST; the next time after the firing
        assertEquals(tomorrow, restarted.timing().next(firstPass));
        // down from before 02:45 CEST to the end of the second pass: one missed firing, not two
        List<Instant> missed = new ArrayList<>();
        Instant now = Instant.parse("2026-10-25T01:59:00Z");
        for (Instant t = restarted.timing().next(Instant.parse("2026-10-24T22:00:00Z")); !t.isAfter(now); t = restarted.timing().next(t)) {
            missed.add(t);
        }
        assertEquals(List.of(firstPass), missed);
    }
}
