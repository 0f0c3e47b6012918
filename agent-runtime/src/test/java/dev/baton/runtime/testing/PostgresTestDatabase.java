package dev.baton.runtime.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server for tests, and fresh empty schemas on it.
 *
 * <p>The server is the one {@code BATON_TEST_PG_URL} names, or else the private cluster that
 * {@code .ci/postgres.sh} starts (run once per JVM; the script is found by walking up from the
 * working directory, and needs root). When neither works, tests that need PostgreSQL are
 * skipped with a message saying how to enable them, except on CI (env {@code CI} set), where
 * they fail.
 *
 * <pre>{@code
 * try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
 *     Journal journal = JdbcJournal.open(db.url());
 *     ...
 * }
 * }</pre>
 *
 * <p>Each instance is a new schema ({@code baton_test_<random>}) on the server; its URL sets
 * {@code currentSchema}, so tables created through it land there and nothing else sees them.
 * {@link #close()} drops the schema.
 */
public final class PostgresTestDatabase implements AutoCloseable {

    /** Overrides the server: a full JDBC URL with user and password. */
    public static final String URL_ENV = "BATON_TEST_PG_URL";

    private static final String SCRIPT = ".ci/postgres.sh";
    private static final long SCRIPT_TIMEOUT_MINUTES = 10;

    private static String serverUrl;
    private static String unavailable;

    private final String schema;
    private final String url;

    private PostgresTestDatabase(String schema, String url) {
        this.schema = schema;
        this.url = url;
    }

    /**
     * The test server's URL (its {@code baton} database). Aborts the calling test when there
     * is no server, or fails it when env {@code CI} is set.
     */
    public static synchronized String serverUrl() {
        if (serverUrl == null && unavailable == null) locateServer();
        if (serverUrl != null) return serverUrl;
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank()) {
            throw new IllegalStateException("PostgreSQL is required on CI but unavailable: " + unavailable);
        }
        Assumptions.abort("PostgreSQL tests skipped: " + unavailable + ". To run them, set " + URL_ENV
                + "=jdbc:postgresql://host:port/db?user=...&password=... or run the build as root so that "
                + SCRIPT + " can start a private server");
        throw new AssertionError("unreachable");
    }

    /** A new, empty schema on the test server; aborts or fails like {@link #serverUrl()}. */
    public static PostgresTestDatabase create() {
        String server = serverUrl();
        String schema = "baton_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        execute(server, "CREATE SCHEMA " + schema);
        return new PostgresTestDatabase(schema, withSchema(server, schema));
    }

    /** A JDBC URL whose tables live in this schema only. */
    public String url() {
        return url;
    }

    public String schema() {
        return schema;
    }

    /** Drops the schema and everything in it; close what uses it first. */
    @Override
    public void close() {
        execute(serverUrl, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    private static String withSchema(String url, String schema) {
        String base = url.replaceAll("([?&])currentSchema=[^&]*&?", "$1").replaceAll("[?&]$", "");
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    private static void execute(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("test PostgreSQL: '" + sql + "' failed: " + e.getMessage(), e);
        }
    }

    private static void locateServer() {
        String fromEnv = System.getenv(URL_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            serverUrl = fromEnv.trim();
            return;
        }
        Path script = findScript();
        if (script == null) {
            unavailable = URL_ENV + " is not set and no " + SCRIPT + " was found above " + Path.of("").toAbsolutePath();
            return;
        }
        try {
            serverUrl = runScript(script);
        } catch (IOException | RuntimeException e) {
            unavailable = script + " failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable = script + " was interrupted";
        }
    }

    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(SCRIPT);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        return null;
    }

    /** Runs the script and returns the last line it prints: the URL. */
    private static String runScript(Path script) throws IOException, InterruptedException {
        Path out = Files.createTempFile("baton-pg", ".out");
        Path err = Files.createTempFile("baton-pg", ".err");
        try {
            Process process = new ProcessBuilder("bash", script.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(SCRIPT_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("no answer within " + SCRIPT_TIMEOUT_MINUTES + " minutes");
            }
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
            if (process.exitValue() != 0 || lines.isEmpty() || !lines.get(lines.size() - 1).startsWith("jdbc:postgresql:")) {
                String errors = Files.readString(err, StandardCharsets.UTF_8).strip();
                throw new IllegalStateException("exit " + process.exitValue() + ": "
                        + errors.substring(Math.max(0, errors.length() - 2000)));
            }
            return lines.get(lines.size() - 1).trim();
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
