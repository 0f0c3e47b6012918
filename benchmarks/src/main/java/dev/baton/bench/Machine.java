package dev.baton.bench;

import javax.management.ObjectName;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The machine and the JVM the figures come from, and the heap as the parked-runs figure reads it. */
final class Machine {

    private Machine() {
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static String describe() {
        Runtime rt = Runtime.getRuntime();
        String gcs = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "JDK %s (%s %s), %d cores, max heap %,d MB, GC %s, %s %s",
                Runtime.version(), System.getProperty("java.vm.vendor"), System.getProperty("java.vm.name"), cores(),
                rt.maxMemory() >> 20, gcs, System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** The load average beside the core count: the noise gauge, since other builds may share the machine. */
    static String loadNote() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double load = os.getSystemLoadAverage();
        String cpu = "";
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            cpu = String.format(Locale.ROOT, ", machine CPU busy %.0f%% (this JVM %.0f%%)", 100 * sun.getCpuLoad(), 100 * sun.getProcessCpuLoad());
        }
        return String.format(Locale.ROOT, "[load average %.2f on %d cores%s]", load, cores(), cpu);
    }

    /**
     * Waits up to {@code maxSeconds} for the machine to be quiet (under half of its CPU busy for three
     * seconds running), so that a part does not start in the middle of someone else's build. Says what happened.
     */
    static String awaitQuiet(int maxSeconds) {
        if (maxSeconds <= 0 || !(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)) {
            return null;
        }
        long start = System.nanoTime();
        int quiet = 0;
        os.getCpuLoad();
        while (System.nanoTime() - start < maxSeconds * 1_000_000_000L) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            quiet = os.getCpuLoad() < 0.5 ? quiet + 1 : 0;
            if (quiet >= 3) {
                return String.format(Locale.ROOT, "machine quiet after %.0f s of waiting", (System.nanoTime() - start) / 1e9);
            }
        }
        return String.format(Locale.ROOT, "machine still busy after waiting %d s (bench.quiet): figures below are noisy", maxSeconds);
    }

    /** Used heap after full collections, in bytes: the least the live objects need. */
    static long usedHeapAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** One row of a class histogram. */
    record ClassBytes(String className, long instances, long bytes) {
    }

    /** The live-object class histogram (what {@code jcmd <pid> GC.class_histogram} prints), by class; empty if unavailable. */
    static Map<String, ClassBytes> histogram() {
        Map<String, ClassBytes> byClass = new HashMap<>();
        try {
            String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[]{new String[0]}, new String[]{String[].class.getName()});
            for (String line : text.split("\n")) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length < 4 || !cols[0].endsWith(":")) continue;
                byClass.put(cols[3], new ClassBytes(cols[3], Long.parseLong(cols[1]), Long.parseLong(cols[2])));
            }
        } catch (Exception | LinkageError e) {
            System.out.println("   (no class histogram: " + e + ")");
        }
        return byClass;
    }

    /** The classes that grew most between two histograms. */
    static List<ClassBytes> growth(Map<String, ClassBytes> before, Map<String, ClassBytes> after, int top) {
        List<ClassBytes> grown = new ArrayList<>();
        for (ClassBytes now : after.values()) {
            ClassBytes then = before.get(now.className());
            long instances = now.instances() - (then == null ? 0 : then.instances());
            long bytes = now.bytes() - (then == null ? 0 : then.bytes());
            grown.add(new ClassBytes(now.className(), instances, bytes));
        }
        grown.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        return grown.subList(0, Math.min(top, grown.size()));
    }
}
