package dev.baton.runtime.trigger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A schedule in words, for people: {@code 0 *&#47;5 * * * *} is "every 5 minutes",
 * {@code 0 0 9 * * MON-FRI} "at 09:00 on weekdays", {@code 0 0 *&#47;2 * * *} "at minute 0 past every
 * 2nd hour", {@code PT90S} "every 1 minute 30 seconds".
 *
 * <p>It reads the fields as {@link CronExpression} parsed them (the sets of values each field
 * matches), so the words and the firing times cannot disagree: a step is recognised in the set it
 * produced ({@code 10/5} in minutes is 10, 15, ... 55: "every 5 minutes from minute 10"). The two day
 * fields are told as they combine (see {@link CronExpression}): "on day 13 of the month and on Friday"
 * when either may match, "on every 2nd day of the month if it is a Monday" when both must. Pure: no
 * clock, no time zone (the caller adds the zone).
 */
public final class CronDescription {
    private static final String[] MONTHS = {"", "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"};
    private static final java.util.regex.Pattern CLOCK = java.util.regex.Pattern.compile("at \\d\\d:\\d\\d");
    private static final String[] DAYS = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

    private CronDescription() {
    }

    /** The expression in words, e.g. "at 09:00 on weekdays". */
    public static String of(CronExpression cron) {
        List<String> parts = new ArrayList<>();
        String time = time(cron);
        parts.add(time);
        String days = days(cron);
        if (days != null) parts.add(days);
        else if (CLOCK.matcher(time).lookingAt()) parts.add("every day"); // "at 12:00 every day", not a bare "at 12:00"
        String months = months(cron.months());
        if (months != null) parts.add(months);
        return String.join(" ", parts);
    }

    /** Parses and describes; throws the parser's {@link IllegalArgumentException} for a bad expression. */
    public static String of(String cron) {
        return of(CronExpression.parse(cron));
    }

    /** An interval in words: PT1S "every second", PT5M "every 5 minutes", PT1H30M "every 1 hour 30 minutes". */
    public static String of(Duration every) {
        List<String> parts = new ArrayList<>();
        long days = every.toDays();
        long hours = every.toHoursPart();
        long minutes = every.toMinutesPart();
        long seconds = every.toSecondsPart();
        long millis = every.toMillisPart();
        if (days > 0) parts.add(count(days, "day"));
        if (hours > 0) parts.add(count(hours, "hour"));
        if (minutes > 0) parts.add(count(minutes, "minute"));
        if (seconds > 0) parts.add(count(seconds, "second"));
        if (millis > 0) parts.add(count(millis, "millisecond"));
        if (parts.size() == 1 && parts.get(0).startsWith("1 ")) return "every " + parts.get(0).substring(2);
        return "every " + String.join(" ", parts);
    }

    // ------------------------------------------------------------------ time of day

    private static String time(CronExpression cron) {
        BitSet s = cron.seconds();
        BitSet m = cron.minutes();
        BitSet h = cron.hours();
        boolean sZero = s.cardinality() == 1 && s.get(0);
        // One second and one minute at a few hours: clock times ("at 09:00 and 17:00").
        if (s.cardinality() == 1 && m.cardinality() == 1 && !all(h, 0, 23) && h.cardinality() <= 6
                && (h.cardinality() <= 2 || Progression.of(h, 0, 23) == null)) {
            int second = s.nextSetBit(0);
            int minute = m.nextSetBit(0);
            return "at " + list(h, hour -> second == 0 ? String.format("%02d:%02d", hour, minute)
                    : String.format("%02d:%02d:%02d", hour, minute, second), false);
        }
        String hours = hours(h);
        if (sZero) {
            String minutes;
            if (all(m, 0, 59)) minutes = "every minute";
            else if (m.cardinality() == 1 && m.get(0) && all(h, 0, 23)) return "every hour";
            else minutes = every(m, 0, 59, "minute");
            return hours == null ? minutes + (minutes.startsWith("at ") ? " past every hour" : "") : minutes + " " + hours;
        }
        String seconds = all(s, 0, 59) ? "every second" : every(s, 0, 59, "second");
        boolean anyMinute = all(m, 0, 59);
        if (anyMinute && hours == null) return seconds + (seconds.startsWith("at ") ? " of every minute" : "");
        String minutes = anyMinute ? "of every minute" : "of " + every(m, 0, 59, "minute").replaceFirst("^at ", "");
        return seconds + " " + minutes + (hours == null ? "" : " " + hours);
    }

    /** "past hour 9", "past every 2nd hour", "past hours 9 through 17", or null for every hour. */
    private static String hours(BitSet h) {
        if (all(h, 0, 23)) return null;
        if (h.cardinality() == 1) return "past hour " + h.nextSetBit(0);
        Progression p = Progression.of(h, 0, 23);
        if (p != null && p.step() > 1) {
            String head = "past every " + ordinal(p.step()) + " hour";
            if (p.from() == 0 && p.to() + p.step() > 23) return head;
            return head + " from " + p.from() + " through " + p.to();
        }
        return "past hours " + list(h, Integer::toString, true);
    }

    /**
     * A field of seconds or minutes: "every 5 minutes", "every 5 minutes from minute 10", "at minute 30",
     * "at minutes 0, 15 and 40", "at minutes 1 through 5".
     */
    private static String every(BitSet bits, int min, int max, String unit) {
        if (bits.cardinality() == 1) return "at " + unit + " " + bits.nextSetBit(0);
        Progression p = Progression.of(bits, min, max);
        if (p != null && p.step() > 1) {
            String head = "every " + p.step() + " " + unit + "s";
            if (p.from() == min && p.to() + p.step() > max) return head;
            if (p.to() + p.step() > max) return head + " from " + unit + " " + p.from();
            return head + " from " + unit + " " + p.from() + " through " + p.to();
        }
        return "at " + unit + "s " + list(bits, Integer::toString, true);
    }

    // ------------------------------------------------------------------ days and months

    private static String days(CronExpression cron) {
        BitSet dom = cron.daysOfMonth();
        BitSet dow = cron.daysOfWeek();
        boolean anyDom = all(dom, 1, 31);
        boolean anyDow = all(dow, 0, 6);
        if (!cron.dayOfMonthStar() && !cron.dayOfWeekStar()) {
            // Vixie cron: neither field starts with '*': a day matching either fires.
            if (anyDom || anyDow) return null;
            return "on " + daysOfMonth(dom) + " and on " + daysOfWeek(dow);
        }
        // Otherwise a day must match both (a plain '*' matches every day).
        if (anyDom && anyDow) return null;
        if (anyDow) return "on " + daysOfMonth(dom);
        if (anyDom) return "on " + daysOfWeek(dow);
        return "on " + daysOfMonth(dom) + " if it is " + (dow.cardinality() == 1 ? "a " : "") + daysOfWeek(dow);
    }

    private static String daysOfMonth(BitSet dom) {
        if (dom.cardinality() == 1) return "day " + dom.nextSetBit(0) + " of the month";
        Progression p = Progression.of(dom, 1, 31);
        if (p != null && p.step() > 1) {
            String head = "every " + ordinal(p.step()) + " day of the month";
            if (p.from() == 1 && p.to() + p.step() > 31) return head;
            return head + " from day " + p.from() + " through " + p.to();
        }
        return "days " + list(dom, Integer::toString, true) + " of the month";
    }

    private static String daysOfWeek(BitSet dow) {
        if (dow.cardinality() == 5 && dow.get(1, 6).cardinality() == 5) return "weekdays";
        if (dow.cardinality() == 2 && dow.get(0) && dow.get(6)) return "weekends";
        return list(dow, d -> DAYS[d], true);
    }

    private static String months(BitSet months) {
        if (all(months, 1, 12)) return null;
        Progression p = Progression.of(months, 1, 12);
        if (months.cardinality() > 2 && p != null && p.step() > 1 && p.from() == 1 && p.to() + p.step() > 12) {
            return "in every " + ordinal(p.step()) + " month";
        }
        if (p != null && p.step() == 1 && months.cardinality() > 2) return "from " + MONTHS[p.from()] + " through " + MONTHS[p.to()];
        return "in " + list(months, m -> MONTHS[m], false);
    }

    // ------------------------------------------------------------------ helpers

    private static boolean all(BitSet bits, int min, int max) {
        return bits.get(min, max + 1).cardinality() == max - min + 1;
    }

    /** Values as words: "1, 15 and 20"; with {@code ranges}, runs of three or more as "1 through 5". */
    private static String list(BitSet bits, IntFunction<String> name, boolean ranges) {
        List<String> items = new ArrayList<>();
        for (int v = bits.nextSetBit(0); v >= 0; ) {
            int end = v;
            while (ranges && bits.get(end + 1)) end++;
            if (end - v >= 2) {
                items.add(name.apply(v) + " through " + name.apply(end));
            } else {
                items.add(name.apply(v));
                if (end > v) items.add(name.apply(end));
            }
            v = bits.nextSetBit(end + 1);
        }
        if (items.size() == 1) return items.get(0);
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    private static String count(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    static String ordinal(int n) {
        int tens = n % 100;
        String suffix = tens >= 11 && tens <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    /**
     * The values {@code from, from + step, ..., to} of a field that goes from {@code min} to {@code max}: at
     * least three of them, or two that a step over the whole field makes ({@code *&#47;30} in minutes is 0 and
     * 30, but days 1 and 15 are a list, not "every 14th day").
     */
    private record Progression(int from, int step, int to) {
        static Progression of(BitSet bits, int min, int max) {
            if (bits.cardinality() < 2) return null;
            if (bits.cardinality() == 2) {
                int a = bits.nextSetBit(0);
                int b = bits.nextSetBit(a + 1);
                return a == min && b + (b - a) > max ? new Progression(a, b - a, b) : null;
            }
            int from = bits.nextSetBit(0);
            int second = bits.nextSetBit(from + 1);
            int step = second - from;
            int last = from;
            for (int v = second; v >= 0; v = bits.nextSetBit(v + 1)) {
                if (v - last != step) return null;
                last = v;
            }
            return new Progression(from, step, last);
        }
    }
}
