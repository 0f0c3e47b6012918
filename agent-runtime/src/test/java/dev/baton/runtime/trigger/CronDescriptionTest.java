package dev.baton.runtime.trigger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Cron expressions in words, as a table over the syntax {@link CronExpression} accepts: {@code *}, {@code ?},
 * values, ranges, the three kinds of step, lists, month and day names, 0 and 7 as Sunday, and the two day fields
 * combined as Vixie cron combines them.
 */
class CronDescriptionTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            0 */5 * * * *           | every 5 minutes
            0 0 9 * * MON-FRI       | at 09:00 on weekdays
            0 0 */2 * * *           | at minute 0 past every 2nd hour
            * * * * * *             | every second
            * * * * * ?             | every second
            */10 * * * * *          | every 10 seconds
            30 * * * * *            | at second 30 of every minute
            0-10 * * * * *          | at seconds 0 through 10 of every minute
            0 * * * * *             | every minute
            0 * 9 * * *             | every minute past hour 9
            0 0 * * * *             | every hour
            0 30 * * * ?            | at minute 30 past every hour
            0 0,15,40 * * * *       | at minutes 0, 15 and 40 past every hour
            0 */30 * * * *          | every 30 minutes
            0 10/5 * * * *          | every 5 minutes from minute 10
            0 1-30/2 * * * *        | every 2 minutes from minute 1 through 29
            0 0/15 9-17 * * *       | every 15 minutes past hours 9 through 17
            0 0 0,6,12,18 * * *     | at minute 0 past every 6th hour
            0 0 1-23/2 * * *        | at minute 0 past every 2nd hour from 1 through 23
            0 0 0 * * *             | at 00:00 every day
            0 0 9,17 * * *          | at 09:00 and 17:00 every day
            30 15 10 * * *          | at 10:15:30 every day
            0 0 0 1 * *             | at 00:00 on day 1 of the month
            0 0 12 1,15 * *         | at 12:00 on days 1 and 15 of the month
            0 0 12 1-7 * *          | at 12:00 on days 1 through 7 of the month
            0 0 12 */2 * *          | at 12:00 on every 2nd day of the month
            0 0 9 13 * FRI          | at 09:00 on day 13 of the month and on Friday
            0 0 9 */2 * MON         | at 09:00 on every 2nd day of the month if it is a Monday
            0 0 9 1-31 * MON        | at 09:00 every day
            0 0 6 * * SAT,SUN       | at 06:00 on weekends
            0 0 6 * * 0,6           | at 06:00 on weekends
            0 0 8 * * 7             | at 08:00 on Sunday
            0 0 8 * * 0             | at 08:00 on Sunday
            0 5 4 * * 1-3           | at 04:05 on Monday through Wednesday
            0 0 12 * * MON,WED,FRI  | at 12:00 on Monday, Wednesday and Friday
            0 0 12 ? * *            | at 12:00 every day
            0 0 0 * JAN,JUL *       | at 00:00 every day in January and July
            0 0 0 * */3 *           | at 00:00 every day in every 3rd month
            0 0 0 * 1-3 *           | at 00:00 every day from January through March
            0 0 0 1 JAN *           | at 00:00 on day 1 of the month in January
            0 0 9 * * mon-fri       | at 09:00 on weekdays
            """)
    void cronInWords(String cron, String words) {
        assertEquals(words, CronDescription.of(cron.trim()));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            PT1S    | every second
            PT10S   | every 10 seconds
            PT5M    | every 5 minutes
            PT1H    | every hour
            PT1H30M | every 1 hour 30 minutes
            P1D     | every day
            P2D     | every 2 days
            PT1.5S  | every 1 second 500 milliseconds
            """)
    void intervalsInWords(String every, String words) {
        assertEquals(words, CronDescription.of(Duration.parse(every.trim())));
    }

    @Test
    void aBadExpressionGetsTheParsersMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronDescription.of("0 61 * * * *"));
        assertEquals("the minute field '61' is out of range: values go from 0 to 59", e.getMessage());
    }

    @Test
    void ordinals() {
        assertEquals("1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd",
                String.join(" ", java.util.stream.IntStream.of(1, 2, 3, 4, 11, 12, 13, 21, 22, 23).mapToObj(CronDescription::ordinal).toList()));
    }
}
