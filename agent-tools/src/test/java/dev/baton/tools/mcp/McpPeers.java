package dev.baton.tools.mcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The MCP peers the tests talk to, none written here but the tiny one: the MCP project's reference
 * 'everything' server from npm ({@code bash .ci/mcp.sh} installs it and prints the folder to put in
 * {@code BATON_TEST_MCP_DIR}), and {@code mcp/peer.mjs} on the official TypeScript SDK.
 */
public final class McpPeers {
    public static final String DIR_ENV = "BATON_TEST_MCP_DIR";

    private McpPeers() {
    }

    /** The folder of the npm install; skips the test when the variable is unset, as the PostgreSQL tests do. */
    public static Path dir() {
        String dir = System.getenv(DIR_ENV);
        if (dir == null || dir.isBlank()) {
            String why = DIR_ENV + " is not set: run `bash .ci/mcp.sh` and export its last line as " + DIR_ENV
                    + " to run the MCP tests against the reference servers";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank()) fail("the MCP peers are required on CI: " + why); // as the PostgreSQL tests
            assumeTrue(false, "MCP tests skipped: " + why);
        }
        Path path = Path.of(dir);
        if (!Files.isRegularFile(everythingScript(path))) fail(DIR_ENV + "=" + dir + " holds no " + everythingScript(path) + ": run `bash .ci/mcp.sh`");
        return path;
    }

    public static Path everythingScript(Path dir) {
        return dir.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    }

    /** The 'everything' server over stdio; {@code tag} (an argument it ignores) lets a test find its process. */
    public static McpServerSpec everythingStdio(String name, String tag) {
        return McpServerSpec.stdio(name, "node", List.of(everythingScript(dir()).toString(), "stdio", "--baton-test=" + tag), Map.of());
    }

    /** The tiny peer on the TypeScript SDK: a tool without annotations, a destructive one, a tool list that grows. */
    public static McpServerSpec peer(String name) {
        return McpServerSpec.stdio(name, "node", List.of(peerScript().toString(), dir().toString(), "--baton-test=" + name), Map.of());
    }

    private static Path peerScript;

    /**
     * The tiny peer's script: the file in agent-tools' test resources, or, for another module's
     * tests that read it from agent-tools' test-jar, a copy in a temporary file (node runs files).
     */
    public static synchronized Path peerScript() {
        if (peerScript != null) return peerScript;
        java.net.URL url = McpPeers.class.getResource("/mcp/peer.mjs");
        if (url == null) throw new IllegalStateException("mcp/peer.mjs is not on the test classpath");
        try {
            if (url.getProtocol().equals("file")) {
                peerScript = Path.of(url.toURI());
            } else {
                Path copy = Files.createTempFile("baton-mcp-peer-", ".mjs");
                copy.toFile().deleteOnExit();
                try (var in = url.openStream()) {
                    Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                peerScript = copy;
            }
            return peerScript;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The child processes of this JVM whose command line holds {@code --baton-test=<tag>}. */
    public static List<ProcessHandle> processesTagged(String tag) {
        List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.current().descendants().forEach(p -> {
            String line = p.info().commandLine().orElse(String.join(" ", p.info().arguments().orElse(new String[0])));
            if (line.contains("--baton-test=" + tag)) found.add(p);
        });
        return found;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 'everything' server over streamable HTTP in a child process, which a test may kill and start again on the same port. */
    public static final class HttpEverything implements AutoCloseable {
        private final int port;
        private final Path log;
        private Process process;

        private final boolean peer;

        public HttpEverything(Path log) {
            this(log, false);
        }

        /** With {@code peer}, the tiny peer over streamable HTTP instead of the 'everything' server. */
        public HttpEverything(Path log, boolean peer) {
            this.port = freePort();
            this.log = log;
            this.peer = peer;
        }

        public URI url() {
            return URI.create("http://127.0.0.1:" + port + "/mcp");
        }

        public synchronized HttpEverything start() {
            try {
                Files.createDirectories(log.getParent());
                ProcessBuilder builder = (peer
                        ? new ProcessBuilder("node", peerScript().toString(), dir().toString(), "--http", String.valueOf(port))
                        : new ProcessBuilder("node", everythingScript(dir()).toString(), "streamableHttp"))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                builder.environment().put("PORT", String.valueOf(port));
                process = builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Instant until = Instant.now().plusSeconds(30);
            while (Instant.now().isBefore(until)) {
                if (!process.isAlive()) fail("the everything server exited with " + process.exitValue() + "; see " + log);
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return this;
                } catch (IOException notYet) {
                    try {
                        process.waitFor(50, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
            fail("the everything server did not listen on port " + port + " within 30 s; see " + log);
            return this;
        }

        /** SIGKILL: no goodbye to its clients. */
        public synchronized void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public synchronized void close() throws InterruptedException {
            if (process != null) kill();
        }
    }

    /** Waits for {@code condition}, polling, at most {@code timeout}. */
    public static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant until = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(until)) fail("waited " + timeout.toSeconds() + " s for " + what);
            Thread.sleep(20);
        }
    }
}
