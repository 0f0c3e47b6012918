package dev.baton.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time, which a busy machine disturbs far less than wall time: the whole process, and the
 * Java threads grouped by role. What the process used beyond its Java threads is the JVM's own
 * work (garbage collection, JIT compilation).
 */
final class CpuMeter {

    /** CPU nanoseconds at one moment: the process, and each thread group. */
    record Snapshot(long process, Map<String, Long> byGroup, long gcCount, long gcMillis, long jitMillis) {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuMeter() {
    }

    static Snapshot now() {
        Map<String, Long> groups = new TreeMap<>();
        if (THREADS.isThreadCpuTimeSupported()) {
            long[] ids = THREADS.getAllThreadIds();
            ThreadInfo[] infos = THREADS.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] == null) continue;
                long cpu = THREADS.getThreadCpuTime(ids[i]);
                if (cpu > 0) groups.merge(group(infos[i].getThreadName()), cpu, Long::sum);
            }
        }
        long process = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            process = os.getProcessCpuTime();
        }
        long gcCount = 0, gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        return new Snapshot(process, groups, gcCount, gcMillis, jitMillis);
    }

    private static String group(String thread) {
        // Each event loop apart: the orchestrator has one, the benchmark's event-bus listener another.
        if (thread.startsWith("vert.x-eventloop-thread-")) return "loop-" + thread.substring("vert.x-eventloop-thread-".length());
        if (thread.startsWith("baton-journal-writer")) return "journal writer";
        if (thread.startsWith("baton-tool")) return "tool threads";
        if (thread.startsWith("baton-journal-read") || thread.startsWith("vert.x-worker") || thread.startsWith("vert.x-internal")) return "vert.x workers";
        if (thread.startsWith("qtp") || thread.contains("Jetty") || thread.startsWith("HttpClient")) return "http";
        return "other java";
    }

    /**
     * "cpu 40us = loop-1 16us + loop-2 5us + journal writer 8us + JVM/GC/JIT 11us", per task if {@code tasks} > 0;
     * loop-N is Vert.x event loop N (the orchestrator's context is on one, the benchmark's listener on another).
     */
    static String describe(Snapshot before, Snapshot after, int tasks) {
        return describe(before, after, tasks, "us");
    }

    /** As {@link #describe(Snapshot, Snapshot, int)}, with per-item amounts labelled {@code unit} (e.g. "us/layer"). */
    static String describe(Snapshot before, Snapshot after, int tasks, String unit) {
        long process = after.process() - before.process();
        Map<String, Long> delta = new TreeMap<>();
        long threads = 0;
        for (Map.Entry<String, Long> e : after.byGroup().entrySet()) {
            long d = e.getValue() - before.byGroup().getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                delta.put(e.getKey(), d);
                threads += d;
            }
        }
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "cpu %s", amount(process, tasks, unit)));
        text.append(" = ");
        boolean first = true;
        for (Map.Entry<String, Long> e : delta.entrySet()) {
            if (e.getValue() < process / 100) continue; // under 1%: noise
            if (!first) text.append(" + ");
            text.append(e.getKey()).append(' ').append(amount(e.getValue(), tasks, unit));
            first = false;
        }
        if (!first) text.append(" + ");
        text.append("JVM/GC/JIT ").append(amount(Math.max(0, process - threads), tasks, unit));
        text.append(String.format(Locale.ROOT, " | %d GCs, %d ms in GC pauses, JIT compiling %d ms", after.gcCount() - before.gcCount(),
                after.gcMillis() - before.gcMillis(), after.jitMillis() - before.jitMillis()));
        return text.toString();
    }

    private static String amount(long nanos, int tasks, String unit) {
        if (tasks > 0) return Report.fmt(nanos / 1e3 / tasks) + unit;
        return String.format(Locale.ROOT, "%.0fms", nanos / 1e6);
    }
}
