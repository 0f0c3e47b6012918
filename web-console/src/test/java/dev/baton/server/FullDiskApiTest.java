package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded H2 journal on a disk that fills up, then has room again: requests meanwhile get
 * 503, and once space is freed the same server takes runs again, without a restart. (It used to
 * answer "database has been closed" until restarted: its pool kept the dead connections.) The
 * disk is a small tmpfs, so the test needs root, as CI has; elsewhere it is skipped.
 */
class FullDiskApiTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    private final Path base = Path.of("target", "full-disk").toAbsolutePath();
    private final Path mount = base.resolve("disk");
    private ServerProcess server;
    private boolean mounted;

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) server.close();
        if (mounted) run("umount", "-l", mount.toString());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFullDiskAnswers503AndTheServerRecoversWhenSpaceReturns() throws Exception {
        Files.createDirectories(mount);
        if (mounted(mount)) run("umount", "-l", mount.toString());
        mounted = run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString()) == 0;
        Assumptions.assumeTrue(mounted, "needs root to mount a small tmpfs (CI runs as root)");

        server = ServerProcess.start(mount.resolve("data"), null, base.resolve("server.log"));
        Api api = server.api();
        String before = api.startRun("before", plan()).path("id").asText();
        assertEquals("SUCCEEDED", api.awaitRunStatus(before, "SUCCEEDED").path("status").asText());

        Path filler = mount.resolve("filler");
        fill(filler);
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 40 && !statuses.contains(503); i++) statuses.add(post(api).status());
        assertTrue(statuses.contains(503), "a full disk answers 503: " + statuses + "\n" + server.logTail());
        assertFalse(statuses.contains(500), "never a 500: " + statuses);

        Files.delete(filler);
        Api.Response created = Api.await(() -> post(api), r -> r.status() == 201, AWAIT, "a run to be taken once space is back");
        String after = created.json().path("id").asText();
        assertEquals("SUCCEEDED", api.awaitRunStatus(after, "SUCCEEDED").path("status").asText());
        assertEquals(200, api.get("/api/health").status());
        try (var files = Files.list(mount.resolve("data").resolve("journal"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".trace.db")), "no H2 trace file in the data dir");
        }
    }

    private static Api.Response post(Api api) {
        ObjectNode body = Json.object().put("goal", "disk");
        body.set("plan", plan());
        return api.post("/api/runs", body);
    }

    private static ObjectNode plan() {
        ObjectNode plan = Json.object();
        plan.putArray("tasks").addObject().put("id", "e").put("tool", "echo").putObject("args").put("pad", "x".repeat(2000));
        return plan;
    }

    /** Writes until the disk is full. */
    private static void fill(Path file) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) out.write(block);
        } catch (IOException full) {
            // ENOSPC: the disk is full
        }
    }

    private static boolean mounted(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(dir.toString()));
    }

    private static int run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
