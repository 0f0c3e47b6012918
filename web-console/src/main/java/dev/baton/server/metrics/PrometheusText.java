package dev.baton.server.metrics;

import dev.baton.runtime.metrics.Histogram;

import java.util.HashSet;
import java.util.Set;

/**
 * Writes the Prometheus text exposition format (version 0.0.4): one HELP and TYPE line per
 * family, then its samples. Label values are escaped as the format says ({@code \\}, {@code \"},
 * and newline as {@code \n}); HELP text escapes backslash and newline. Label values come from
 * plans and tools (tool, agent and model names), so they are never trusted to be clean.
 */
public final class PrometheusText {
    private final StringBuilder out = new StringBuilder(4096);
    private final Set<String> families = new HashSet<>();

    /** Starts a family; each name once. */
    public PrometheusText family(String name, String type, String help) {
        if (!families.add(name)) throw new IllegalStateException("metric family " + name + " written twice");
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** A sample: {@code labels} are name, value, name, value, ... */
    public PrometheusText sample(String name, double value, String... labels) {
        out.append(name);
        labels(labels, null, null);
        out.append(' ');
        number(value);
        out.append('\n');
        return this;
    }

    public PrometheusText counter(String name, String help, double value) {
        return family(name, "counter", help).sample(name, value);
    }

    public PrometheusText gauge(String name, String help, double value) {
        return family(name, "gauge", help).sample(name, value);
    }

    /** A histogram's samples (bucket, sum, count) under a family started with type {@code histogram}. */
    public PrometheusText histogram(String name, Histogram.Snapshot h, String... labels) {
        double[] bounds = h.bounds();
        long[] cumulative = h.cumulative();
        for (int i = 0; i < bounds.length; i++) {
            out.append(name).append("_bucket");
            labels(labels, "le", format(bounds[i]));
            out.append(' ').append(cumulative[i]).append('\n');
        }
        out.append(name).append("_bucket");
        labels(labels, "le", "+Inf");
        out.append(' ').append(h.count()).append('\n');
        out.append(name).append("_sum");
        labels(labels, null, null);
        out.append(' ');
        number(h.sum());
        out.append('\n');
        out.append(name).append("_count");
        labels(labels, null, null);
        out.append(' ').append(h.count()).append('\n');
        return this;
    }

    private void labels(String[] labels, String extraName, String extraValue) {
        if (labels.length == 0 && extraName == null) return;
        out.append('{');
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (i > 0) out.append(',');
            out.append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
        }
        if (extraName != null) {
            if (labels.length > 0) out.append(',');
            out.append(extraName).append("=\"").append(escape(extraValue)).append('"');
        }
        out.append('}');
    }

    /** A label value as the format wants it. */
    public static String escape(String value) {
        if (value == null) return "";
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') b.append("\\\\");
            else if (c == '"') b.append("\\\"");
            else if (c == '\n') b.append("\\n");
            else b.append(c);
        }
        return b.toString();
    }

    private void number(double value) {
        out.append(format(value));
    }

    static String format(double value) {
        if (Double.isNaN(value)) return "NaN";
        if (Double.isInfinite(value)) return value > 0 ? "+Inf" : "-Inf";
        if (value == Math.rint(value) && Math.abs(value) < 1e15) return Long.toString((long) value);
        return Double.toString(value);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
