package dev.baton.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * stop takes a few seconds longer, once; kept only if the server had started); the starts after map it. The archive is kept in
 * {@code <BATON_TRIAGE_CACHE_DIR>/cds/}, named by a key of the jar (path, size, time), the JVM (home, version) and
 * the options, so that another jar or JVM writes its own (the older ones are deleted); a JVM that cannot map an
 * archive runs without it (and says nothing: {@code -Xlog:cds*=off}). This JVM stays as the child's parent: it
 * passes SIGTERM on, waits for the child and exits with its code; when the parent is killed, the child halts at once
 * (see {@link #stopWithParent()}).
 *
 * <p>Not used (the server runs in this JVM as before) when the command line manages class sharing or attaches an
 * agent (a debugger would be attached twice), without {@code -jar}, when the cache folder cannot be written, or with
 * {@code BATON_CLASS_ARCHIVE=false}.
 */
final class ClassArchive {
    /** Set on the child JVM: the parent's pid. */
    static final String CHILD = "baton.classArchive.parent";
    /** Set on a child JVM that records the archive: the file it writes at exit. */
    static final String RECORDING = "baton.classArchive.recording";
    /** Config.Setting.TRIAGE_CACHE_DIR's option and variable, without loading Config here (ClassArchiveTest checks they agree). */
    static final String CACHE_DIR_OPTION = "--triage-cache-dir";
    static final String CACHE_DIR_VARIABLE = "BATON_TRIAGE_CACHE_DIR";
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
        if (recording != null) command.add("-D" + RECORDING + "=" + recording);
        command.addAll(arguments);
        return Optional.of(new Launch(command, recording, archive));
    }

    /**
     * Runs the server in a child JVM when it can: returns its exit code, or empty when the server should run in this
     * JVM (see the class comment).
     */
    static Optional<Integer> run(Path cacheDir, String setting) throws InterruptedException {
        // This JVM only starts the other: no lambda, no stream, no digest here (each costs a fresh JVM tens of ms).
        if (isChild() || "false".equalsIgnoreCase(setting == null ? "" : setting.trim())) return Optional.empty();
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) return Optional.empty();
        Optional<Launch> launch = launch(info.command().get(), Arrays.asList(info.arguments().get()), cacheDir,
                System.getProperty("java.home"), System.getProperty("java.vm.version"), ProcessHandle.current().pid());
        if (launch.isEmpty()) return Optional.empty();
        if (launch.get().recording() != null) deleteOrphans(launch.get().recording().getParent());
        Process child;
        try {
            // The child's stdin is a pipe this JVM never writes: it closes the moment this JVM ends, however it ends
            // (kill -9 too), and the child then ends at once (see stopWithParent).
            child = new ProcessBuilder(launch.get().command()).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            return Optional.empty();
        }
        // SIGTERM or Ctrl-C here: the child is asked to stop too, and waited for (it writes the archive as it stops).
        Runtime.getRuntime().addShutdownHook(new StopChild(child, launch.get()));
        int code = child.waitFor();
        keep(launch.get());
        return Optional.of(code);
    }

    /**
     * Deletes what recordings whose JVM was killed left behind ({@code baton-KEY.jsa.PID.tmp} and its
     * {@code .started}): the pid in the name is not running.
     */
    static void deleteOrphans(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "baton-*.jsa.*.tmp*")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                int from = name.indexOf(".jsa.") + 5;
                int to = name.indexOf(".tmp", from);
                try {
                    if (ProcessHandle.of(Long.parseLong(name.substring(from, to))).isEmpty()) Files.deleteIfExists(file);
                } catch (RuntimeException | IOException e) {
                    // not one of ours, or gone already
                }
            }
        } catch (IOException | RuntimeException e) {
            // nothing to clean
        }
    }

    /** The parent's shutdown hook. */
    private static final class StopChild extends Thread {
        private final Process child;
        private final Launch launch;

        StopChild(Process child, Launch launch) {
            super("baton-child-stop");
            this.child = child;
            this.launch = launch;
        }

        @Override
        public void run() {
            // SIGTERM through the handle: Process.destroy would also close the child's stdin, which it reads as
            // its parent killed (see stopWithParent) and ends without stopping cleanly.
            child.toHandle().destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            keep(launch);
        }
    }

    /**
     * In a child that records the archive: marks that the server started, so that the archive it writes at exit is
     * kept (one written by a start that failed, a wrong setting say, holds few of the classes and is dropped).
     */
    static void started() {
        String recording = System.getProperty(RECORDING);
        if (recording == null) return;
        try {
            Files.write(Path.of(recording + ".started"), new byte[0]);
        } catch (IOException | RuntimeException e) {
            // no archive this time
        }
    }

    /** The folder {@code cds/} goes in: BATON_TRIAGE_CACHE_DIR (or its option), else ~/.cache/baton, as the server reads it. */
    static Path cacheDir(String[] args, Map<String, String> env) {
        String option = CACHE_DIR_OPTION;
        String value = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(option) && i + 1 < args.length) value = args[i + 1];
            else if (args[i].startsWith(option + "=")) value = args[i].substring(option.length() + 1);
        }
        if (value == null) value = env.get(CACHE_DIR_VARIABLE);
        return value == null || value.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "baton") : Path.of(value);
    }

    /**
     * In the child: ends this JVM at once when the parent that started it is gone. A parent that stops cleanly
     * (SIGTERM, Ctrl-C) stops the child first, so a parent gone without doing so was killed: the child ends as the
     * parent did, with no shutdown (a halt, or SIGKILL while it records an archive), so that nothing holds the port, the journal's files or the
     * cluster's leases after a {@code kill -9} of the pid its operator knows. It learns of it from its stdin, a pipe
     * the parent never writes: the pipe closes with the parent, however it ends.
     */
    static void stopWithParent() {
        if (System.getProperty(CHILD) == null) return;
        Thread watch = new Thread(ClassArchive::haltAtEndOfInput, "baton-parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    private static void haltAtEndOfInput() {
        try {
            while (System.in.read() != -1) {
                // the parent writes nothing; read on until the pipe closes
            }
        } catch (IOException e) {
            // a broken pipe is the same news
        }
        // A child that maps the archive halts at once. One that records it ends as the parent did, by SIGKILL where
        // there is a kill command: a halt would still write the archive (seconds, holding the port and the journal's
        // files all the while).
        if (System.getProperty(RECORDING) == null) Runtime.getRuntime().halt(137);
        try {
            new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        } catch (IOException | RuntimeException e) {
            // no kill command here: halt below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(137);
    }

    /**
     * Puts the archive the child wrote in its place, if the server had started, and deletes the archives of other keys;
     * once, whoever calls first.
     */
    private static synchronized void keep(Launch launch) {
        Path recording = launch.recording();
        if (recording == null) return;
        Path started = Path.of(recording + ".started");
        try {
            boolean keep = Files.isRegularFile(started) && Files.isRegularFile(recording) && Files.size(recording) > 0;
            Files.deleteIfExists(started);
            if (!keep) {
                Files.deleteIfExists(recording);
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

    /** A 64-bit FNV-1a hash, in hex: a name, not a check (the JVM checks an archive against its jar and itself). */
    private static String key(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        String hex = Long.toHexString(hash);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
