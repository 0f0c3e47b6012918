package dev.baton.server.testing;

import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The crash tests' servers: each test gets a folder {@code target/<folder>/<test>/} with a data
 * directory ({@code data/}, where the H2 journal lives) and the logs of the {@link ServerProcess}es
 * it starts there ({@code server-1.log}, {@code server-2.log}...). Whatever the test started (the
 * servers, a PostgreSQL database) is killed or dropped after it, also when it failed or timed
 * out; the folder stays for a post-mortem until the test runs again.
 * <pre>{@code
 * @RegisterExtension
 * final ServerProcesses servers = new ServerProcesses("crash-recovery");
 *
 * ServerProcess first = servers.start(null);   // H2 in servers.dataDir()
 * first.kill();
 * ServerProcess second = servers.start(null);  // the same journal
 * }</pre>
 */
public final class ServerProcesses implements BeforeEachCallback, AfterEachCallback {
    private final String folder;
    private final List<ServerProcess> started = new ArrayList<>();
    private final Set<Path> usedLogs = new HashSet<>();
    private PostgresTestDatabase database;
    private Path dataDir;
    private Path logDir;

    /** @param folder the folder under {@code target/} that holds one folder per test */
    public ServerProcesses(String folder) {
        this.folder = folder;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String test = context.getRequiredTestMethod().getName();
        String display = context.getDisplayName().replaceAll("\\W+", "");
        // A parameterized test's display name tells its cases apart; a plain test's is its method's.
        String name = display.equals(test) ? test : test + "-" + display;
        logDir = Path.of("target", folder, name);
        deleteRecursively(logDir);
        dataDir = Files.createDirectories(logDir.resolve("data"));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // Even when the test failed or timed out: no child JVM outlives its test.
        List<ServerProcess> all;
        synchronized (this) {
            all = List.copyOf(started);
            started.clear();
            usedLogs.clear();
        }
        if (context.getExecutionException().isPresent()) {
            // Into the test's output file: what each server said last, beside the failure.
            for (ServerProcess server : all) System.out.println("---- the end of " + server.log() + ":\n" + server.logTail());
        }
        for (ServerProcess server : all) server.close();
        if (database != null) {
            database.close();
            database = null;
        }
    }

    /**
     * Starts one node of a cluster: a server with a data directory of its own ({@code <name>/data}) and
     * its log in {@code <name>.log} ({@code <name>-2.log}... when the name is used again). Safe to call
     * from several threads at once, to start nodes at the same moment.
     *
     * @param environment the child's environment variables (e.g. {@code BATON_CLUSTER_LEASE})
     */
    public ServerProcess startNode(String name, String dbUrl, List<String> moreOptions, Map<String, String> environment) {
        Path log;
        synchronized (this) {
            log = logDir.resolve(name + ".log");
            for (int n = 2; usedLogs.contains(log); n++) log = logDir.resolve(name + "-" + n + ".log");
            usedLogs.add(log);
        }
        ServerProcess server;
        try {
            server = ServerProcess.start(Files.createDirectories(logDir.resolve(name).resolve("data")), dbUrl, log, moreOptions, List.of(),
                    dev.baton.server.Main.class, environment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (this) {
            started.add(server);
        }
        return server;
    }

    /** Starts a server on this test's data directory; {@code dbUrl} null for its H2 file. */
    public ServerProcess start(String dbUrl) {
        return start(dbUrl, List.of(), List.of());
    }

    /** As {@link #start(String)}, with more command-line options and options for the child JVM. */
    public ServerProcess start(String dbUrl, List<String> moreOptions, List<String> jvmOptions) {
        return start(dbUrl, moreOptions, jvmOptions, dev.baton.server.Main.class);
    }

    /** As {@link #start(String, List, List)}, with a main class of the test classpath instead of the server's own. */
    public ServerProcess start(String dbUrl, List<String> moreOptions, List<String> jvmOptions, Class<?> mainClass) {
        ServerProcess server = ServerProcess.start(dataDir, dbUrl, logDir.resolve("server-" + (started.size() + 1) + ".log"),
                moreOptions, jvmOptions, mainClass);
        synchronized (this) {
            started.add(server);
        }
        return server;
    }

    /**
     * The URL of a fresh PostgreSQL database for this test, dropped after it (the test is skipped
     * when no PostgreSQL is available, see {@link PostgresTestDatabase}).
     */
    public String postgresUrl() {
        if (database == null) database = PostgresTestDatabase.create();
        return database.url();
    }

    /** The data directory the servers share (the H2 journal is there). */
    public Path dataDir() {
        return dataDir;
    }

    /** The folder of this test's logs. */
    public Path logDir() {
        return logDir;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
