package dev.baton.runtime.trigger;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A six-field cron expression with seconds: {@code second minute hour day-of-month month day-of-week},
 * for example {@code 0 *&#47;5 * * * *} (every five minutes, on the minute).
 *
 * <p>Each field is {@code *}, {@code ?} (same as {@code *}), a value, a range {@code a-b}, a step
 * {@code *&#47;n}, {@code a&#47;n} or {@code a-b&#47;n}, or a comma-separated list of those. A step
 * counts from the start of its range: {@code *&#47;n} from the field's first value (day of month
 * 1, 1+n, ...; day of week 0 = Sunday, n, ...), {@code a&#47;n} from {@code a} to the field's last
 * value. Months may be named {@code JAN}..{@code DEC}, days of the week {@code SUN}..{@code SAT};
 * day-of-week numbers are 0-7 with both 0 and 7 meaning Sunday.
 *
 * <p>The two day fields combine as in Vixie cron: if either of them starts with {@code *} or
 * {@code ?} (so also {@code *&#47;2}), a day must match both; if neither does, a day matches if
 * either does. So {@code 0 0 9 13 * FRI} fires on the 13th and on every Friday, {@code 0 0 9 *&#47;2 * MON}
 * only on Mondays that fall on an odd day of the month. (Quartz accepts only one restricted day
 * field, with {@code ?} in the other; those expressions mean the same here.)
 *
 * <p>Times are wall-clock times in a time zone, and each matching wall-clock time fires once:
 * <ul>
 * <li>a time that occurs twice (the repeated hour of a fall-back) fires at its first occurrence
 *     only; during the second pass nothing fires that fired in the first, also when {@link #next}
 *     is asked from inside the second pass (a trigger created, resumed or restarted then);</li>
 * <li>times skipped by a spring-forward fire once, together, at the first instant after the gap,
 *     which is the instant of the change itself (Berlin, 2026-03-29, {@code 0 0/20 2-3 * * *}: 02:00,
 *     02:20 and 02:40 do not exist and fire as one firing at 03:00 CEST, which is also the firing of
 *     03:00; then 03:20 and 03:40). This is the gap's end, not the shift of
 *     {@link ZonedDateTime#ofLocal} (which would move 02:30 to 03:30), and it is what Vixie cron
 *     does: the jobs of the skipped times run once, right after the gap;</li>
 * <li>nothing that exists is skipped: with Lord Howe's 30-minute gap (02:00 to 02:30),
 *     {@code 0 20,40 2 * * *} fires at 02:30 (for 02:20) and at 02:40.</li>
 * </ul>
 */
public final class CronExpression {
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");
    /** How far ahead {@link #next} looks before it decides the expression never fires (e.g. {@code 0 0 0 31 2 *}). */
    private static final int MAX_YEARS = 5;

    private final String text;
    private final BitSet seconds;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    /** The day field starts with '*' or '?': see the class comment for how the two day fields combine. */
    private final boolean dayOfMonthStar;
    private final boolean dayOfWeekStar;

    private CronExpression(String text, String[] f) {
        this.text = text;
        this.seconds = field(f[0], "second", 0, 59, null);
        this.minutes = field(f[1], "minute", 0, 59, null);
        this.hours = field(f[2], "hour", 0, 23, null);
        this.daysOfMonth = field(f[3], "day of month", 1, 31, null);
        this.months = field(f[4], "month", 1, 12, MONTHS);
        BitSet dow = field(f[5], "day of week", 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        this.daysOfWeek = dow;
        // Vixie cron decides this on the field's first character, before it is parsed: '*/2' counts as '*'.
        this.dayOfMonthStar = f[3].startsWith("*") || f[3].startsWith("?");
        this.dayOfWeekStar = f[5].startsWith("*") || f[5].startsWith("?");
    }

    /**
     * Parses an expression.
     *
     * @throws IllegalArgumentException with a message that names the field and what is wrong
     */
    public static CronExpression parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("the cron expression is empty");
        String[] fields = text.trim().split("\\s+");
        if (fields.length != 6) {
            throw new IllegalArgumentException("a cron expression has 6 fields (second minute hour day-of-month month day-of-week),"
                    + " e.g. '0 */5 * * * *'; '" + text.trim() + "' has " + fields.length);
        }
        for (int i = 0; i < fields.length; i++) fields[i] = fields[i].toUpperCase(Locale.ROOT);
        CronExpression cron = new CronExpression(text.trim(), fields);
        if (cron.daysOfMonth.isEmpty() || cron.months.isEmpty()) throw new IllegalArgumentException("the cron expression matches no day");
        return cron;
    }

    /**
     * The firing time strictly after {@code after}, or null if none within five years: the first
     * instant after {@code after} at which the wall clock in {@code zone} reaches a matching time
     * for the first time (see the class comment for what that means at daylight-saving changes).
     */
    public Instant next(Instant after, ZoneId zone) {
        ZonedDateTime at = after.atZone(zone);
        LocalDateTime local = at.toLocalDateTime();
        ZoneOffsetTransition change = zone.getRules().getTransition(local);
        if (change != null && change.isOverlap() && at.getOffset().equals(change.getOffsetAfter())) {
            // The second pass of a repeated hour: its times fired in the first pass already, so the
            // search starts where the repeat ends (e.g. 03:00 CET on Berlin's fall-back day).
            local = change.getDateTimeBefore().minusNanos(1);
        }
        // firstReached is non-decreasing in local time, so the first match it puts after 'after' is the answer;
        // the loop only steps over matches it maps to 'after' or earlier, which the jump above leaves none of.
        for (int guard = 0; guard < 10_000; guard++) {
            LocalDateTime candidate = nextLocal(local);
            if (candidate == null) return null;
            Instant instant = firstReached(candidate, zone);
            if (instant.isAfter(after)) return instant;
            local = candidate;
        }
        return null;
    }

    /**
     * When the wall clock first shows {@code local}: its only instant, the earlier of two in a
     * repeated hour, or for a time skipped by a gap, the end of the gap (the instant of the change).
     */
    private static Instant firstReached(LocalDateTime local, ZoneId zone) {
        ZoneOffsetTransition change = zone.getRules().getTransition(local);
        if (change != null && change.isGap()) return change.getInstant();
        return local.atZone(zone).withEarlierOffsetAtOverlap().toInstant();
    }

    /** The first local time strictly after {@code after} that matches, or null. */
    LocalDateTime nextLocal(LocalDateTime after) {
        LocalDateTime t = after.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        int lastYear = after.getYear() + MAX_YEARS;
        while (t.getYear() <= lastYear) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
                continue;
            }
            if (!dayMatches(t.toLocalDate())) {
                t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                continue;
            }
            int hour = hours.nextSetBit(t.getHour());
            if (hour < 0) {
                t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                continue;
            }
            if (hour != t.getHour()) {
                t = t.truncatedTo(ChronoUnit.DAYS).withHour(hour);
                continue;
            }
            int minute = minutes.nextSetBit(t.getMinute());
            if (minute < 0) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                continue;
            }
            if (minute != t.getMinute()) {
                t = t.truncatedTo(ChronoUnit.HOURS).withMinute(minute);
                continue;
            }
            int second = seconds.nextSetBit(t.getSecond());
            if (second < 0) {
                t = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
                continue;
            }
            return t.withSecond(second);
        }
        return null;
    }

    private boolean dayMatches(LocalDate day) {
        boolean dom = daysOfMonth.get(day.getDayOfMonth());
        boolean dow = daysOfWeek.get(day.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : day.getDayOfWeek().getValue());
        // A plain '*' or '?' sets every bit, so 'both' is then simply the other field.
        return dayOfMonthStar || dayOfWeekStar ? dom && dow : dom || dow;
    }

    private static BitSet field(String text, String name, int min, int max, List<String> names) {
        BitSet bits = new BitSet(max + 1);
        for (String part : text.split(",", -1)) {
            if (part.isEmpty()) throw new IllegalArgumentException("the " + name + " field '" + text + "' has an empty list item");
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), name, text, null);
                if (step < 1 || step > max) {
                    throw new IllegalArgumentException("the " + name + " field '" + text + "' has a step of " + step
                            + "; steps go from 1 to " + max);
                }
            }
            int from;
            int to;
            if (range.equals("*") || range.equals("?")) {
                from = min;
                to = max;
            } else {
                int dash = range.indexOf('-');
                if (dash > 0) {
                    from = number(range.substring(0, dash), name, text, names);
                    to = number(range.substring(dash + 1), name, text, names);
                } else {
                    from = number(range, name, text, names);
                    to = slash >= 0 ? max : from;
                }
            }
            if (from < min || to > max || from > max || to < min) {
                throw new IllegalArgumentException("the " + name + " field '" + text + "' is out of range: values go from "
                        + min + " to " + max);
            }
            if (from > to) {
                throw new IllegalArgumentException("the " + name + " field '" + text + "' has a range that runs backwards ("
                        + from + "-" + to + ")");
            }
            for (int v = from; v <= to; v += step) bits.set(v);
        }
        return bits;
    }

    private static int number(String text, String name, String field, List<String> names) {
        if (names != null) {
            int index = names.indexOf(text);
            if (index >= 0) return names == MONTHS ? index + 1 : index;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the " + name + " field '" + field + "' has '" + text + "', which is not "
                    + (names == null ? "a number" : "a number or a name (" + String.join(", ", names) + ")"));
        }
    }

    // What CronDescription reads: the fields as parsed, so that the words and the firing times come from one parser.

    BitSet seconds() {
        return (BitSet) seconds.clone();
    }

    BitSet minutes() {
        return (BitSet) minutes.clone();
    }

    BitSet hours() {
        return (BitSet) hours.clone();
    }

    BitSet daysOfMonth() {
        return (BitSet) daysOfMonth.clone();
    }

    BitSet months() {
        return (BitSet) months.clone();
    }

    /** Sunday is 0 (a 7 in the expression is folded into it). */
    BitSet daysOfWeek() {
        return (BitSet) daysOfWeek.clone();
    }

    boolean dayOfMonthStar() {
        return dayOfMonthStar;
    }

    boolean dayOfWeekStar() {
        return dayOfWeekStar;
    }

    @Override
    public String toString() {
        return text;
    }
}
