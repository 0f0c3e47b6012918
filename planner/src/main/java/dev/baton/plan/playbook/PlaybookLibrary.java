package dev.baton.plan.playbook;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The playbooks Baton can run without a chat model: the built-in ones, shipped as classpath
 * resources, and every {@code *.json} file in the user's folder ({@value #DIR_VARIABLE}).
 * Immutable and thread-safe once loaded.
 *
 * <pre>{@code
 * PlaybookLibrary library = PlaybookLibrary.load(Path.of("/srv/baton/playbooks"));
 * library.find("check-url-health").map(Playbook::plan)...
 * }</pre>
 *
 * <p><b>Built-ins</b> live under {@code dev/baton/playbooks/} on the classpath, listed by name in
 * {@code dev/baton/playbooks/index.txt} (one name a line, {@code #} starts a comment), since a
 * classpath folder cannot be listed inside a jar.
 *
 * <p><b>The user's folder</b> is read once, not recursively; files not ending in {@code .json} are
 * ignored. A broken file fails the whole load with a {@link PlaybookException} naming the file
 * and every problem in it, so that a typo is seen at start rather than as a playbook that quietly
 * never matches.
 *
 * <p><b>Names:</b> a user playbook with the name of a built-in one <em>replaces</em> it, so a
 * built-in can be adapted by copying its file into the folder and editing it. Two user files
 * with the same name are an error. {@link #all()} lists the playbooks by name.
 */
public final class PlaybookLibrary {

    /** The environment variable the server reads the user's playbook folder from. */
    public static final String DIR_VARIABLE = "BATON_PLAYBOOKS_DIR";
    /** The classpath folder of the built-in playbooks. */
    static final String BUILTIN_FOLDER = "/dev/baton/playbooks/";
    static final String BUILTIN_INDEX = BUILTIN_FOLDER + "index.txt";

    private final Map<String, Playbook> byName;

    private PlaybookLibrary(Map<String, Playbook> byName) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
    }

    /**
     * The given playbooks, e.g. built in code. A later playbook replaces an earlier one of the same name.
     */
    public static PlaybookLibrary of(Collection<Playbook> playbooks) {
        Map<String, Playbook> byName = new LinkedHashMap<>();
        for (Playbook playbook : playbooks) byName.put(playbook.name(), playbook);
        return new PlaybookLibrary(byName);
    }

    /** The built-in playbooks only. */
    public static PlaybookLibrary builtin() {
        return of(loadBuiltin());
    }

    /**
     * The built-in playbooks, overridden and extended by those in {@code userFolder}.
     *
     * @param userFolder a folder of {@code *.json} playbooks, or null for the built-ins only
     * @throws PlaybookException when the folder cannot be read, or any file in it is broken (all are named)
     */
    public static PlaybookLibrary load(Path userFolder) throws PlaybookException {
        Map<String, Playbook> byName = new LinkedHashMap<>();
        for (Playbook playbook : loadBuiltin()) byName.put(playbook.name(), playbook);
        if (userFolder != null) byName.putAll(loadFolder(userFolder));
        return new PlaybookLibrary(byName);
    }

    /**
     * Like {@link #load}, with the folder named by {@value #DIR_VARIABLE} when it is set and not blank.
     */
    public static PlaybookLibrary fromEnvironment(Map<String, String> environment) throws PlaybookException {
        String folder = environment.get(DIR_VARIABLE);
        return load(folder == null || folder.isBlank() ? null : Path.of(folder.strip()));
    }

    /** Every playbook, by name. */
    public List<Playbook> all() {
        return List.copyOf(byName.values());
    }

    /** The playbook of that name. */
    public Optional<Playbook> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public int size() {
        return byName.size();
    }

    private static Map<String, Playbook> loadFolder(Path folder) throws PlaybookException {
        if (!Files.isDirectory(folder)) {
            throw new PlaybookException("playbook folder " + folder + ": " + (Files.exists(folder) ? "not a directory" : "does not exist")
                    + " (set " + DIR_VARIABLE + " to a folder of *.json playbooks, or leave it unset)");
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "*.json")) {
            for (Path entry : entries) {
                if (Files.isRegularFile(entry)) files.add(entry);
            }
        } catch (IOException e) {
            throw new PlaybookException("playbook folder " + folder + ": cannot be listed: " + e);
        }
        files.sort(Comparator.comparing(path -> path.getFileName().toString()));

        Map<String, Playbook> byName = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                Playbook playbook = PlaybookReader.read(text, file.getFileName().toString(), file.toString());
                Playbook previous = byName.putIfAbsent(playbook.name(), playbook);
                if (previous != null) {
                    problems.add("playbook " + file + ": name '" + playbook.name() + "' is also the name of " + previous.source()
                            + "; playbook names must be unique");
                }
            } catch (PlaybookException e) {
                problems.addAll(e.problems());
            } catch (IOException e) {
                problems.add("playbook " + file + ": cannot be read: " + e);
            }
        }
        if (!problems.isEmpty()) throw new PlaybookException(problems);
        return byName;
    }

    /** The built-ins; a broken one is a bug in Baton, hence unchecked. */
    private static List<Playbook> loadBuiltin() {
        List<Playbook> playbooks = new ArrayList<>();
        try {
            for (String name : builtinNames()) {
                String file = name + ".json";
                String text = resource(BUILTIN_FOLDER + file);
                if (text == null) throw new IllegalStateException(BUILTIN_INDEX + " lists '" + name + "', but " + BUILTIN_FOLDER + file + " is missing");
                playbooks.add(PlaybookReader.read(text, file, Playbook.BUILTIN));
            }
        } catch (PlaybookException e) {
            throw new IllegalStateException("a built-in playbook is broken: " + e.getMessage(), e);
        }
        return playbooks;
    }

    private static List<String> builtinNames() {
        String index = resource(BUILTIN_INDEX);
        if (index == null) throw new IllegalStateException("the built-in playbook index " + BUILTIN_INDEX + " is missing from the classpath");
        List<String> names = new ArrayList<>();
        for (String line : index.split("\\R")) {
            int comment = line.indexOf('#');
            String name = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (!name.isEmpty()) names.add(name);
        }
        return names;
    }

    private static String resource(String path) {
        try (InputStream in = PlaybookLibrary.class.getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
