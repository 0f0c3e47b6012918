package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.playwright.Page;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser benchmark for the console (not a test: it prints figures and never fails). It starts a
 * real server and Debian's headless Chromium and measures
 * <ol>
 *   <li>how long a 500-task plan takes to appear in the run view: from navigation to all 500 task
 *       list elements present and the graph drawn (median of a few runs);</li>
 *   <li>the frame time (requestAnimationFrame deltas in the page) while about 100 events per
 *       second stream in for about 10 seconds;</li>
 *   <li>the first ticket on a fresh install: {@code java -jar baton.jar} on an empty data
 *       directory and an empty classifier cache (the bundled demo's trained state comes from the
 *       jar), the tickets page opened as soon as the port answers, one ticket posted, and the time
 *       from the start of the process until the page shows that ticket triaged (routed, or waiting
 *       for review). Needs the jar: {@code -Dbaton.jar=web-console/target/baton.jar}
 *       ({@code mvn -B -q -DskipTests package}); skipped without it.</li>
 * </ol>
 * Run: {@code mvn -B -q -pl web-console test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.baton.server.console.ConsoleBench} (see docs/benchmarks.md).
 * Sizes: {@code -Dbench.tasks=500 -Dbench.repeats=5 -Dbench.seconds=10 -Dbench.eventsPerSecond=100}.
 */
public final class ConsoleBench {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    public static void main(String[] args) {
        int tasks = Integer.getInteger("bench.tasks", 500);
        int repeats = Integer.getInteger("bench.repeats", 5);
        int seconds = Integer.getInteger("bench.seconds", 10);
        int eventsPerSecond = Integer.getInteger("bench.eventsPerSecond", 100);
        try (TestServer server = TestServer.start(); Browser browser = Browser.launch()) {
            Api api = server.api();
            planAppears(api, browser, tasks, repeats);
            eventStream(api, browser, seconds, eventsPerSecond);
            firstTicket(browser);
        } catch (RuntimeException e) {
            System.out.println("console bench: stopped early: " + e);
        }
        System.exit(0); // Playwright's and Vert.x's threads must not keep Maven's JVM alive
    }

    /** Layers of 50: the first waits an hour (so nothing moves while we measure), each later task is an echo after two of the layer before. */
    static ObjectNode layeredPlan(int count) {
        ArrayNode list = F.arrayNode();
        int width = 50;
        for (int i = 0; i < count; i++) {
            ObjectNode t = list.addObject();
            t.put("id", "t" + i);
            t.put("title", "Task " + i);
            int layer = i / width;
            if (layer == 0) {
                t.put("wait", "PT1H");
            } else {
                t.put("tool", "echo");
                t.putObject("args").put("text", "task " + i);
                ArrayNode deps = t.putArray("dependsOn");
                int base = (layer - 1) * width;
                deps.add("t" + (base + i % width));
                deps.add("t" + (base + (i + 7) % width));
            }
        }
        ObjectNode plan = F.objectNode();
        plan.set("tasks", list);
        return plan;
    }

    static void planAppears(Api api, Browser browser, int tasks, int repeats) {
        double[] times = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            String runId = api.startRun("bench: " + tasks + " tasks", layeredPlan(tasks)).path("id").asText();
            try (Browser.Tab tab = browser.open(api.base())) {
                Page page = tab.page;
                page.navigate("/runs/" + runId);
                page.waitForFunction("n => document.querySelectorAll('#tasks [data-task-id]').length >= n"
                        + " && document.querySelector('#graph canvas') !== null", tasks,
                        new Page.WaitForFunctionOptions().setTimeout(120_000).setPollingInterval(5));
                // the graph draws on the next animation frames: wait for two, then read the clock
                // (performance.now() counts from the navigation's start)
                Object ms = page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now()))))");
                times[r] = ((Number) ms).doubleValue();
            }
            api.post("/api/runs/" + runId + "/cancel", F.objectNode());
        }
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "console bench (a): %d-task plan appears (list + graph) in median %.0f ms over %d runs (runs: %s)%n",
                tasks, sorted[sorted.length / 2], repeats, Arrays.toString(Arrays.stream(times).mapToLong(Math::round).toArray()));
    }

    static void eventStream(Api api, Browser browser, int seconds, int eventsPerSecond) {
        // Each wait task streams one event when it ends (all start with the run); space their ends
        // so that the events arrive at the rate asked for, starting well after the page has opened.
        int tasks = Math.max(1, seconds * eventsPerSecond);
        double spacingMs = seconds * 1000.0 / tasks;
        long startDelayMs = 15_000;
        ArrayNode list = F.arrayNode();
        for (int i = 0; i < tasks; i++) {
            ObjectNode t = list.addObject();
            t.put("id", "w" + i);
            long ms = startDelayMs + Math.round(i * spacingMs);
            t.put("wait", String.format(Locale.ROOT, "PT%d.%03dS", ms / 1000, ms % 1000));
        }
        ObjectNode plan = F.objectNode();
        plan.set("tasks", list);
        long created = System.nanoTime();
        String runId = api.startRun("bench: events", plan).path("id").asText();
        try (Browser.Tab tab = browser.open(api.base())) {
            Page page = tab.page;
            page.navigate("/runs/" + runId);
            page.waitForFunction("n => document.querySelectorAll('#tasks [data-task-id]').length >= n", tasks,
                    new Page.WaitForFunctionOptions().setTimeout(60_000));
            long untilStartMs = startDelayMs - (System.nanoTime() - created) / 1_000_000;
            if (untilStartMs > 0) page.waitForTimeout(untilStartMs);
            @SuppressWarnings("unchecked")
            List<Object> result = (List<Object>) page.evaluate("ms => new Promise(done => {"
                    + " const deltas = []; const seq0 = document.querySelectorAll('.timeline li').length;"
                    + " const t0 = performance.now(); let last = t0;"
                    + " const tick = (now) => { deltas.push(now - last); last = now;"
                    + "   if (now - t0 < ms) requestAnimationFrame(tick);"
                    + "   else done([deltas, document.querySelectorAll('.timeline li').length - seq0, now - t0]); };"
                    + " requestAnimationFrame(tick); })", seconds * 1000);
            @SuppressWarnings("unchecked")
            List<Object> raw = (List<Object>) result.get(0);
            double[] deltas = raw.stream().skip(1).mapToDouble(o -> ((Number) o).doubleValue()).sorted().toArray();
            int events = ((Number) result.get(1)).intValue();
            double elapsed = ((Number) result.get(2)).doubleValue();
            long dropped = Arrays.stream(deltas).filter(d -> d > 50).count();
            JsonNode run = api.run(runId);
            System.out.printf(Locale.ROOT, "console bench (b): %d events in %.1f s (%.0f/s) on a %d-task run (%s): frames %d,"
                            + " frame time p50 %.1f ms, p95 %.1f ms, max %.1f ms, frames over 50 ms: %d%n",
                    events, elapsed / 1000, events * 1000 / elapsed, tasks, run.path("status").asText(), deltas.length,
                    percentile(deltas, 50), percentile(deltas, 95), deltas.length == 0 ? 0 : deltas[deltas.length - 1], dropped);
        }
        api.post("/api/runs/" + runId + "/cancel", F.objectNode());
    }

    static void firstTicket(Browser browser) {
        String jarSetting = System.getProperty("baton.jar");
        Path jar = jarSetting == null ? null : Path.of(jarSetting);
        if (jar == null || !Files.isRegularFile(jar)) {
            System.out.println("console bench (c): skipped: -Dbaton.jar=<path to baton.jar> is not a file (mvn -B -q -DskipTests package builds it)");
            return;
        }
        Process server = null;
        try {
            Path data = Files.createTempDirectory("baton-bench-data-");
            Path cache = Files.createTempDirectory("baton-bench-cache-");
            Path log = data.resolve("server.log");
            long start = System.nanoTime();
            server = new ProcessBuilder("java", "-jar", jar.toAbsolutePath().toString(), "--port", "0",
                    "--data-dir", data.toString(), "--triage-cache-dir", cache.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Pattern listening = Pattern.compile("Baton is running at http://[^:/]+:(\\d+)/");
            int port = -1;
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (port < 0) {
                if (!server.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("the server did not start; see " + log);
                Matcher m = listening.matcher(Files.readString(log));
                if (m.find()) port = Integer.parseInt(m.group(1));
                else Thread.sleep(20); // polling a log file: there is nothing to wait on
            }
            double portMs = (System.nanoTime() - start) / 1e6;
            Api api = new Api(port);
            try (Browser.Tab tab = browser.open(api.base())) {
                Page page = tab.page;
                page.navigate("/tickets");
                page.waitForSelector("h1");
                double pageMs = (System.nanoTime() - start) / 1e6;
                ObjectNode ticket = F.objectNode();
                ticket.put("subject", "Card still not here");
                ticket.put("body", "I ordered my card two weeks ago and it has not arrived.");
                String id = api.post("/api/tickets", ticket).json().path("id").asText();
                page.waitForSelector("tr[data-ticket-id='" + id + "'][data-status=ROUTED], tr[data-ticket-id='" + id + "'][data-status=AWAITING_APPROVAL]",
                        new Page.WaitForSelectorOptions().setTimeout(180_000));
                double shownMs = (System.nanoTime() - start) / 1e6;
                JsonNode settled = api.get("/api/tickets/" + id).json();
                System.out.printf(Locale.ROOT, "console bench (c): first ticket on a fresh install: port open %.1f s, /tickets shown %.1f s,"
                                + " the ticket shown %s (%s) %.1f s after java -jar%n", portMs / 1000, pageMs / 1000,
                        settled.path("status").asText(), settled.path("category").asText(), shownMs / 1000);
            }
        } catch (java.io.IOException | InterruptedException e) {
            System.out.println("console bench (c): stopped early: " + e);
        } finally {
            if (server != null) server.destroyForcibly();
        }
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private ConsoleBench() {
    }
}
