package dev.baton.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints as it goes, and keeps the figures that have goals for the closing summary. */
final class Report {

    /** A figure beside its goal; {@code met} is null when there is no goal or no figure. */
    record Line(String name, String figure, String goal, Boolean met) {
    }

    private final List<Line> lines = new ArrayList<>();

    void section(String title) {
        System.out.println();
        System.out.println("== " + title + " " + "=".repeat(Math.max(3, 76 - title.length())));
        System.out.println("   " + Machine.loadNote());
    }

    void say(String format, Object... args) {
        System.out.println("   " + String.format(Locale.ROOT, format, args));
    }

    /** Records a figure with an upper bound as its goal ({@code lowerIsBetter}) or a lower bound. */
    void goal(String name, double value, String unit, double bound, boolean lowerIsBetter, String shown) {
        boolean met = lowerIsBetter ? value <= bound : value >= bound;
        String goal = (lowerIsBetter ? "<= " : ">= ") + fmt(bound) + " " + unit;
        lines.add(new Line(name, shown, goal, met));
        say("%-44s %s   goal %s   %s", name, shown, goal, met ? "MEETS" : "MISSES");
    }

    /** A figure worth carrying to the summary that has no goal. */
    void info(String name, String figure) {
        lines.add(new Line(name, figure, "-", null));
    }

    void skipped(String name, String why) {
        lines.add(new Line(name, "skipped", why, null));
    }

    void summary() {
        System.out.println();
        System.out.println("== Summary (figures beside goals; a missed goal never fails the build) " + "=".repeat(8));
        int width = lines.stream().mapToInt(l -> l.name().length()).max().orElse(10);
        for (Line l : lines) {
            String verdict = l.met() == null ? "" : l.met() ? "MEETS" : "MISSES";
            System.out.printf(Locale.ROOT, "   %-" + width + "s  %-22s  %-22s  %s%n", l.name(), l.figure(), l.goal(), verdict);
        }
        System.out.println("   " + Machine.loadNote());
    }

    static String fmt(double value) {
        if (Double.isNaN(value)) return "n/a";
        double abs = Math.abs(value);
        if (abs >= 100_000) return String.format(Locale.ROOT, "%,.0f", value);
        if (abs >= 100) return String.format(Locale.ROOT, "%,.0f", value);
        if (abs >= 10) return String.format(Locale.ROOT, "%.1f", value);
        if (abs >= 1) return String.format(Locale.ROOT, "%.2f", value);
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
