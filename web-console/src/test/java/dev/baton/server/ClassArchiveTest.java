package dev.baton.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The child JVM's command {@link ClassArchive} starts the server with (the start itself is timed by benchmarks/triage-startup.sh). */
class ClassArchiveTest {

    @TempDir
    Path dir;

    private ClassArchive.Launch launch(List<String> arguments) {
        return ClassArchive.launch("/jdk/bin/java", arguments, dir.resolve("cache"), "/jdk", "17.0.15+6", 42).orElseThrow();
    }

    private Path jar() throws IOException {
        Path jar = dir.resolve("baton.jar");
        if (!Files.exists(jar)) Files.write(jar, new byte[]{1, 2, 3});
        return jar;
    }

    @Test
    void theFirstStartRecordsTheArchiveAndKeepsTheCommandLine() throws IOException {
        ClassArchive.Launch first = launch(List.of("-Xmx1g", "-jar", jar().toString(), "--port", "9000"));
        assertTrue(first.recording().getFileName().toString().endsWith(".jsa.42.tmp"), first.recording().toString());
        assertEquals(dir.resolve("cache").resolve("cds"), first.archive().getParent());
        assertEquals(List.of("/jdk/bin/java", "-XX:ArchiveClassesAtExit=" + first.recording(), "-Xlog:cds*=off",
                "-D" + ClassArchive.CHILD + "=42", "-D" + ClassArchive.RECORDING + "=" + first.recording(),
                "-Xmx1g", "-jar", jar().toString(), "--port", "9000"), first.command());
    }

    @Test
    void aStartWithTheArchiveMapsIt() throws IOException {
        ClassArchive.Launch first = launch(List.of("-jar", jar().toString()));
        Files.write(first.archive(), new byte[]{1});
        ClassArchive.Launch next = launch(List.of("-jar", jar().toString()));
        assertNull(next.recording());
        assertEquals("-XX:SharedArchiveFile=" + first.archive(), next.command().get(1));
    }

    @Test
    void anotherJarJvmOrOptionsHaveAnotherArchive() throws IOException {
        Path archive = launch(List.of("-jar", jar().toString())).archive();
        assertNotEquals(archive, launch(List.of("-Xmx2g", "-jar", jar().toString())).archive());
        assertNotEquals(archive, ClassArchive.launch("/jdk/bin/java", List.of("-jar", jar().toString()), dir.resolve("cache"), "/jdk",
                "25.0.3+9", 42).orElseThrow().archive());
        Files.setLastModifiedTime(jar(), FileTime.fromMillis(Files.getLastModifiedTime(jar()).toMillis() + 60_000));
        assertNotEquals(archive, launch(List.of("-jar", jar().toString())).archive());
    }

    @Test
    void theCacheFolderIsTheServersOwn() {
        assertEquals(Config.Setting.TRIAGE_CACHE_DIR.option(), ClassArchive.CACHE_DIR_OPTION);
        assertEquals(Config.Setting.TRIAGE_CACHE_DIR.variable(), ClassArchive.CACHE_DIR_VARIABLE);
        assertEquals(Path.of("/a"), ClassArchive.cacheDir(new String[]{"--triage-cache-dir", "/a"}, Map.of("BATON_TRIAGE_CACHE_DIR", "/b")));
        assertEquals(Path.of("/a"), ClassArchive.cacheDir(new String[]{"--triage-cache-dir=/a"}, Map.of()));
        assertEquals(Path.of("/b"), ClassArchive.cacheDir(new String[]{"--port", "1"}, Map.of("BATON_TRIAGE_CACHE_DIR", "/b")));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "baton"), ClassArchive.cacheDir(new String[0], Map.of()));
    }

    @Test
    void theServerRunsInThisJvmWhenTheCommandLineManagesSharingOrAttachesAnAgent() throws IOException {
        for (String option : List.of("-Xshare:off", "-XX:SharedArchiveFile=/x.jsa", "-XX:ArchiveClassesAtExit=/x.jsa",
                "-XX:AOTCache=/x.aot", "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-javaagent:/x.jar")) {
            assertEquals(Optional.empty(), ClassArchive.launch("/jdk/bin/java", List.of(option, "-jar", jar().toString()),
                    dir.resolve("cache"), "/jdk", "17", 42), option);
        }
        assertEquals(Optional.empty(), ClassArchive.launch("/jdk/bin/java", List.of("-cp", jar().toString(), "dev.baton.server.Main"),
                dir.resolve("cache"), "/jdk", "17", 42), "without -jar");
        assertEquals(Optional.empty(), ClassArchive.launch("/jdk/bin/java", List.of("-jar", dir.resolve("missing.jar").toString()),
                dir.resolve("cache"), "/jdk", "17", 42), "a jar that is not there");
    }

    @Test
    void whatAKilledRecordingLeftIsDeletedButNotARunningOnes() throws IOException {
        Path cds = Files.createDirectories(dir.resolve("cds"));
        long running = ProcessHandle.current().pid();
        long gone = Long.MAX_VALUE / 2; // no such process
        Path mine = Files.write(cds.resolve("baton-0123456789abcdef.jsa." + running + ".tmp"), new byte[] {1});
        Path mineStarted = Files.write(cds.resolve("baton-0123456789abcdef.jsa." + running + ".tmp.started"), new byte[0]);
        Path orphan = Files.write(cds.resolve("baton-0123456789abcdef.jsa." + gone + ".tmp"), new byte[] {1});
        Path orphanStarted = Files.write(cds.resolve("baton-0123456789abcdef.jsa." + gone + ".tmp.started"), new byte[0]);
        Path archive = Files.write(cds.resolve("baton-0123456789abcdef.jsa"), new byte[] {1});
        ClassArchive.deleteOrphans(cds);
        org.junit.jupiter.api.Assertions.assertTrue(Files.exists(mine) && Files.exists(mineStarted) && Files.exists(archive));
        org.junit.jupiter.api.Assertions.assertFalse(Files.exists(orphan) || Files.exists(orphanStarted));
    }
}
