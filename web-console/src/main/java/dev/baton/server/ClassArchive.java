package dev.baton.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Runs the server in a second JVM that maps its classes from a class data sharing archive (AppCDS), made by the
 * first start for the next ones, so that {@code java -jar baton.jar} starts in about half the CPU with no flag to pass.
 *
 * <p>Why: most of a start's CPU on a small machine is the JVM's, not Baton's: loading, verifying and linking about
 * 4,500 classes from the 160 MB jar, spinning about 1,500 lambda and method-handle classes, and compiling the code
 * that does both. An archive holds them ready to map. Measured on 2 cores (busy, load 6): 5.8 s of CPU to the open
 * port without it, 3.9 s with it; the main thread 1.4 s against 0.65 s. A JVM takes an archive only from its command
 * line, so this class starts the server's JVM with the same command and options plus the archive's.
 *
 * <p>How: the first start (no archive for this jar, JVM and options) runs the child with
 * {@code -XX:ArchiveClassesAtExit}, which writes the archive when the server stops cleanly (SIGTERM, Ctrl-C: the
 * stop takes a few seconds longer, once); the starts after map it. The archive is kept in
 * {@code <BATON_TRIAGE_CACHE_DIR>/cds/}, named by a key of the jar (path, size, time), the JVM (home, version) and
 * the options, so that another jar or JVM writes its own (the older ones are deleted); a JVM that cannot map an
 * archive runs without it (and says nothing: {@code -Xlog:cds*=off}). This JVM stays as the child's parent: it
 * passes SIGTERM on, waits for the child and exits with its code; the child stops when its parent is gone.
 *
 * <p>Not used (the server runs in this JVM as before) when the command line manages class sharing or attaches an
 * agent (a debugger would be attached twice), without {@code -jar}, when the cache folder cannot be written, or with
 * {@code BATON_CLASS_ARCHIVE=false}.
 */
final class ClassArchive {
    /** Set on the child JVM: the parent's pid. */
    static final String CHILD = "baton.classArchive.parent";
    /** The environment variable that turns the archive off (false). */
    static final String VARIABLE = "BATON_CLASS_ARCHIVE";

    private static final List<String> MANAGES_SHARING = List.of("-Xshare", "-XX:SharedArchiveFile", "-XX:ArchiveClassesAtExit",
            "-XX:+AutoCreateSharedArchive", "-XX:SharedClassListFile", "-XX:DumpLoadedClassList", "-XX:+RecordDynamicDumpInfo",
            "-XX:AOTCache", "-XX:AOTMode", "-XX:AOTConfiguration", "-XX:AOTCacheOutput", "-agentlib", "-agentpath", "-javaagent");

    /** The child's command, and the archive it writes at exit (null when it maps one). */
    record Launch(List<String> command, Path recording, Path archive) {
    }

    private ClassArchive() {
    }

    /** True in the JVM this class started. */
    static boolean isChild() {
        return System.getProperty(CHILD) != null;
    }

    /**
     * The child JVM's command for this JVM's command line, or empty when the server should run here.
     *
     * @param java      this JVM's executable
     * @param arguments this JVM's arguments (options, {@code -jar}, the jar, the server's arguments)
     * @param cacheDir  the folder of the archives' {@code cds/} folder
     */
    static Optional<Launch> launch(String java, List<String> arguments, Path cacheDir, String javaHome, String vmVersion, long pid) {
        int jar = arguments.indexOf("-jar");
        if (jar < 0 || jar + 1 >= arguments.size()) return Optional.empty();
        List<String> options = arguments.subList(0, jar);
        for (String option : options) {
            for (String managed : MANAGES_SHARING) {
                if (option.startsWith(managed)) return Optional.empty();
            }
        }
        Path jarFile = Path.of(arguments.get(jar + 1)).toAbsolutePath();
        Path dir = cacheDir.resolve("cds");
        String key;
        try {
            BasicFileAttributes file = Files.readAttributes(jarFile, BasicFileAttributes.class);
            key = key(String.join("\n", javaHome, vmVersion, jarFile.toString(), String.valueOf(file.size()),
                    String.valueOf(file.lastModifiedTime().toMillis()), String.join("\n", options)));
            Files.createDirectories(dir);
            if (!Files.isWritable(dir)) return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        Path archive = dir.resolve("baton-" + key + ".jsa");
        List<String> command = new ArrayList<>();
        command.add(java);
        Path recording = null;
        if (Files.isRegularFile(archive)) {
            command.add("-XX:SharedArchiveFile=" + archive);
        } else {
            recording = dir.resolve("baton-" + key + ".jsa." + pid + ".tmp");
            command.add("-XX:ArchiveClassesAtExit=" + recording);
        }
        // Quiet: which classes could not be archived (old bytecode, JFR events), or an archive this JVM cannot map.
        command.add("-Xlog:cds*=off");
        command.add("-D" + CHILD + "=" + pid);
        command.addAll(arguments);
        return Optional.of(new Launch(command, recording, archive));
    }

    /**
     * Runs the server in a child JVM when it can: returns its exit code, or empty when the server should run in this
     * JVM (see the class comment).
     */
    static Optional<Integer> run(Path cacheDir, String setting) throws InterruptedException {
        if (isChild() || "false".equalsIgnoreCase(setting == null ? "" : setting.trim())) return Optional.empty();
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) return Optional.empty();
        Optional<Launch> launch = launch(info.command().get(), Arrays.asList(info.arguments().get()), cacheDir,
                System.getProperty("java.home"), System.getProperty("java.vm.version"), ProcessHandle.current().pid());
        if (launch.isEmpty()) return Optional.empty();
        Process child;
        try {
            child = new ProcessBuilder(launch.get().command()).inheritIO().start();
        } catch (IOException e) {
            return Optional.empty();
        }
        // SIGTERM or Ctrl-C here: the child is asked to stop too, and waited for (it writes the archive as it stops).
        Thread stop = new Thread(() -> {
            child.destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            keep(launch.get());
        }, "baton-child-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        int code = child.waitFor();
        keep(launch.get());
        return Optional.of(code);
    }

    /** In the child: stops this JVM (cleanly, by its shutdown hooks) when the parent that started it is gone. */
    static void stopWithParent() {
        String parent = System.getProperty(CHILD);
        if (parent == null) return;
        try {
            ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
                    p -> p.onExit().thenRun(() -> System.exit(143)), () -> System.exit(143));
        } catch (NumberFormatException ignored) {
            // not set by this class
        }
    }

    /** Puts the archive the child wrote in its place and deletes the archives of other keys; once, whoever calls first. */
    private static synchronized void keep(Launch launch) {
        Path recording = launch.recording();
        if (recording == null || !Files.isRegularFile(recording)) return;
        try {
            if (Files.size(recording) == 0) {
                Files.delete(recording);
                return;
            }
            Files.move(recording, launch.archive(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (DirectoryStream<Path> others = Files.newDirectoryStream(launch.archive().getParent(), "baton-*.jsa")) {
                for (Path other : others) {
                    if (!other.equals(launch.archive())) Files.deleteIfExists(other);
                }
            }
        } catch (IOException e) {
            System.err.println("baton: could not keep the class archive " + launch.archive() + ": " + e.getMessage());
        }
    }

    private static String key(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
