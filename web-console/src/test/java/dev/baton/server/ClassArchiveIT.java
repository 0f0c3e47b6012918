package dev.baton.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar baton.jar} as the README runs it, with the class archive ({@link ClassArchive}): the first
 * start records an archive at its clean stop, the next maps it, and a {@code kill -9} of the pid the operator
 * knows (the parent's) ends the server at once, port and all. Needs the shaded jar (see {@link ServerJarToolsIT}).
 */
class ClassArchiveIT {

    @TempDir
    Path dir;

    @Test
    void theSecondStartMapsTheArchiveAndDiesWithItsParent() throws Exception {
        String jar = System.getProperty("baton.jar");
        Assumptions.assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)),
                "needs the shaded baton.jar: run by web-console's server-jar execution, after package (mvn verify)");
        Path cache = dir.resolve("cache");

        Process first = start(jar, cache);
        ProcessHandle firstChild = awaitChild(first);
        assertTrue(firstChild.info().arguments().map(a -> List.of(a).stream().anyMatch(s -> s.startsWith("-XX:ArchiveClassesAtExit=")))
                .orElse(false), "the first start records an archive");
        first.destroy(); // SIGTERM: the child stops cleanly and writes the archive
        assertTrue(first.waitFor(120, TimeUnit.SECONDS), "stopped");
        assertEquals(143, first.exitValue());
        try (Stream<Path> files = Files.list(cache.resolve("cds"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertEquals(1, names.stream().filter(n -> n.endsWith(".jsa")).count(), "one archive kept: " + names + "\n"
                    + Files.readString(dir.resolve("server-" + port + ".log")));
        }

        Process second = start(jar, cache);
        ProcessHandle child = awaitChild(second);
        assertTrue(child.info().arguments().map(a -> List.of(a).stream().anyMatch(s -> s.startsWith("-XX:SharedArchiveFile=")))
                .orElse(false), "the second start maps it");
        second.destroyForcibly(); // kill -9 of the parent
        waitFor(() -> ended(child), Duration.ofSeconds(10), "the child ends with its parent");
        waitFor(() -> portIsFree(port), Duration.ofSeconds(5), "the port is free again");
    }

    private int port;

    private Process start(String jar, Path cache) throws Exception {
        port = freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar)
                .redirectErrorStream(true).redirectOutput(dir.resolve("server-" + port + ".log").toFile());
        pb.environment().put("BATON_PORT", String.valueOf(port));
        pb.environment().put("BATON_DATA_DIR", dir.resolve("data-" + port).toString());
        pb.environment().put("BATON_TRIAGE_CACHE_DIR", cache.toString());
        pb.environment().remove("BATON_CLASS_ARCHIVE");
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        waitFor(() -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, Duration.ofSeconds(120), "the server is ready on " + port);
        return p;
    }

    private static ProcessHandle awaitChild(Process parent) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var child = parent.toHandle().children().findFirst();
            if (child.isPresent()) return child.get();
            Thread.sleep(50);
        }
        throw new AssertionError("no child JVM");
    }

    /**
     * Gone, or a zombie: the killed parent's child is reparented to the machine's init, which may reap it only seconds
     * later (every 2 s or so on a firecracker VM's), and {@link ProcessHandle#isAlive} is true until then.
     */
    private static boolean ended(ProcessHandle process) {
        if (!process.isAlive()) return true;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2); // the state follows the command's closing parenthesis
            return state == 'Z' || state == 'X';
        } catch (IOException | RuntimeException e) {
            return !process.isAlive(); // reaped meanwhile, or no /proc here
        }
    }

    private static boolean portIsFree(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
            Thread.sleep(20);
        }
    }
}
