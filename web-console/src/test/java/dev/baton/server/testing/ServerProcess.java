package dev.baton.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Baton server in a child JVM ({@code java -cp <the test classpath> dev.baton.server.Main}),
 * so that a test can kill it the hard way ({@link #kill()}: SIGKILL, no shutdown hook, no
 * last flush) and start another one on the same data directory or database.
 *
 * <p>The child's stdout and stderr go to a log file (see {@link #log()}); failures quote its
 * tail. {@link #start} returns once {@code GET /api/health} answers 200, that is, after
 * recovery. Every child still alive when the test JVM exits is killed by a shutdown hook,
 * but tests should {@link #close()} theirs (in {@code @AfterEach}, so also on failure).
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Baton is running at http://[^:/]+:(\\d+)/");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-baton-children"));
    }

    private final Process process;
    private final Path log;
    private final Api api;
    private final int port;
    private final Instant ready;
    private volatile boolean suspended;

    private ServerProcess(Process process, Path log, int port, Instant ready) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.api = new Api(port);
        this.ready = ready;
    }

    /**
     * Starts {@code dev.baton.server.Main} on a free loopback port.
     *
     * @param dataDir the server's data directory (its H2 journal lives there unless {@code dbUrl} says otherwise)
     * @param dbUrl   {@code --db-url}, or null for the default H2 file in {@code dataDir}
     * @param log     where the child's stdout and stderr go (created, or emptied first)
     */
    public static ServerProcess start(Path dataDir, String dbUrl, Path log) {
        return start(dataDir, dbUrl, log, List.of());
    }

    /** As {@link #start(Path, String, Path)}, with more command-line options (e.g. {@code --routing FILE}). */
    public static ServerProcess start(Path dataDir, String dbUrl, Path log, List<String> moreOptions) {
        return start(dataDir, dbUrl, log, moreOptions, List.of());
    }

    /**
     * As {@link #start(Path, String, Path, List)}, with options for the child JVM itself (e.g. a
     * system property or a heap size).
     */
    public static ServerProcess start(Path dataDir, String dbUrl, Path log, List<String> moreOptions, List<String> jvmOptions) {
        return start(dataDir, dbUrl, log, moreOptions, jvmOptions, dev.baton.server.Main.class);
    }

    /**
     * As {@link #start(Path, String, Path, List, List)}, with another main class from the test classpath
     * that takes {@code Main}'s options and prints its "running at" line (e.g. {@link ClaimHoldingServer}).
     */
    public static ServerProcess start(Path dataDir, String dbUrl, Path log, List<String> moreOptions, List<String> jvmOptions,
                                      Class<?> mainClass) {
        return start(dataDir, dbUrl, log, moreOptions, jvmOptions, mainClass, Map.of());
    }

    /**
     * As {@link #start(Path, String, Path, List, List, Class)}, with environment variables for the child
     * (e.g. {@code BATON_CLUSTER_LEASE}). The test JVM's own {@code BATON_*} variables are never passed on;
     * these are the only ones the child sees.
     */
    public static ServerProcess start(Path dataDir, String dbUrl, Path log, List<String> moreOptions, List<String> jvmOptions,
                                      Class<?> mainClass, Map<String, String> environment) {
        // Under surefire 3.5 (forked) this is the full test classpath (checked: it starts with
        // target/test-classes); were it the booter jar, its manifest's Class-Path would serve as well.
        return start(System.getProperty("java.class.path"), dataDir, dbUrl, log, moreOptions, jvmOptions, mainClass.getName(), environment);
    }

    /**
     * As {@link #start(Path, String, Path, List, List, Class, Map)}, on another class path: e.g. the shaded
     * {@code baton.jar} and a jar of one's own tools, as the README says to run them.
     */
    public static ServerProcess start(String classPath, Path dataDir, String dbUrl, Path log, List<String> moreOptions,
                                      List<String> jvmOptions, String mainClass, Map<String, String> environment) {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                // Text lines start with the time of day (CrashRecoveryTest reads it); see logback.xml.
                "-Dbaton.log.time=HH:mm:ss.SSS",
                "-cp", classPath,
                mainClass,
                "--port", "0",
                "--data-dir", dataDir.toAbsolutePath().toString(),
                "--http-allowed-hosts", "127.0.0.1"));
        if (dbUrl != null) {
            command.add("--db-url");
            command.add(dbUrl);
        }
        command.addAll(moreOptions);
        Process process;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            // A fresh file: the port is read from it, and an older server's line must not be found instead.
            Files.writeString(log, "$ " + redact(String.join(" ", command)) + "\n", StandardCharsets.UTF_8);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeIf(name -> name.startsWith("BATON_")); // the options above, nothing else
            // No classifier warm-up (minutes of CPU on a cold cache) unless the test asks for it.
            builder.environment().put("BATON_TRIAGE_WARM_UP", "false");
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Baton server process: " + e.getMessage(), e);
        }
        LIVE.add(process);
        try {
            return awaitReady(process, log);
        } catch (RuntimeException | Error e) {
            process.destroyForcibly();
            LIVE.remove(process);
            throw e;
        }
    }

    private static ServerProcess awaitReady(Process process, Path log) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        int port = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the Baton server process exited with " + process.exitValue()
                        + " before it was ready; its log (" + log + ") ends with:\n" + tail(log));
            }
            if (port < 0) {
                Matcher m = LISTENING.matcher(read(log));
                if (m.find()) port = Integer.parseInt(m.group(1));
            }
            if (port > 0) {
                try {
                    // 401: a server started with --tokens; it listens only after recovery, so it is ready too.
                    int status = new Api(port).get("/api/health").status();
                    if (status == 200 || status == 401) {
                        return new ServerProcess(process, log, port, Instant.now());
                    }
                } catch (RuntimeException notYet) {
                    // not listening yet
                }
            }
            pause();
        }
        throw new AssertionError("the Baton server process was not ready within " + START_TIMEOUT
                + "; its log (" + log + ") ends with:\n" + tail(log));
    }

    /** A client for this server. */
    public Api api() {
        return api;
    }

    public int port() {
        return port;
    }

    /** When {@code GET /api/health} first answered 200: after recovery, which runs before the server listens. */
    public Instant readyAt() {
        return ready;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the process with SIGKILL (nothing runs in it any more: no shutdown hook, no flush) and waits for it to die. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) throw new AssertionError("process " + process.pid() + " survived SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        LIVE.remove(process);
        // 128 + 9: it died of SIGKILL, not of a clean exit that happened to come first.
        if (process.exitValue() != 137) {
            throw new AssertionError("expected the server to die of SIGKILL (exit 137) but it exited with " + process.exitValue()
                    + "; its log ends with:\n" + tail(log));
        }
    }

    /**
     * Stops the process with SIGSTOP: it keeps its sockets and memory but runs nothing (no lease
     * renewal, no timer, no answer) until {@link #resume()}, as a long GC pause or a frozen VM would.
     */
    public void suspend() {
        signal("STOP");
        suspended = true;
    }

    /** Lets a {@linkplain #suspend() stopped} process run again (SIGCONT). */
    public void resume() {
        signal("CONT");
        suspended = false;
    }

    /** Whether the process is {@linkplain #suspend() stopped}: a request to it would hang until it resumes. */
    public boolean suspended() {
        return suspended;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -" + name + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The child's whole log so far. */
    public String logText() {
        return read(log);
    }

    /** The last lines of the child's log, for failure messages. */
    public String logTail() {
        return tail(log);
    }

    /** Kills the process if it is still alive; safe to call twice. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(process);
    }

    private static String javaBinary() {
        // The same JVM as the tests; java.home is always set, unlike ProcessHandle's command.
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(java) ? java.toString()
                : ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java binary found"));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path log) {
        List<String> lines = read(log).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String redact(String text) {
        return text.replaceAll("(?i)(password=)[^&;\\s]*", "$1***");
    }

    private static void pause() {
        try {
            Thread.sleep(25);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
