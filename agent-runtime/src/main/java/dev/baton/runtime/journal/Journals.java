package dev.baton.runtime.journal;

import org.h2.api.ErrorCode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;

/**
 * Opens the journal that Baton's configuration ({@code BATON_DB_URL}) names.
 *
 * <ul>
 *   <li>empty or unset: an H2 database in the file {@code <dataDir>/journal/baton.mv.db}</li>
 *   <li>{@code memory}: a {@link MemoryJournal}; nothing survives a restart</li>
 *   <li>{@code jdbc:postgresql://host:port/db?user=...&password=...}: PostgreSQL</li>
 *   <li>{@code jdbc:h2:...}: H2, as given</li>
 * </ul>
 *
 * <p>An H2 journal serves one server (H2 locks its file); several servers share a PostgreSQL journal.
 */
public final class Journals {

    /** The environment variable (and setting) these URLs come from, named in every error. */
    public static final String SETTING = "BATON_DB_URL";

    private static final String FORMS = "leave it empty for an H2 file under the data directory, or use 'memory', "
            + "'jdbc:postgresql://host:5432/db?user=...&password=...' or 'jdbc:h2:...'";

    private Journals() {
    }

    /** Opens the journal of {@code url}; a user and password, if any, are inside the URL. */
    public static Journal open(String url, Path dataDir) {
        return open(url, null, null, dataDir);
    }

    /**
     * Opens the journal of {@code url}.
     *
     * @param user     database user, or null for the URL's own
     * @param password database password, or null for the URL's own
     * @param dataDir  where the default H2 file goes (created if missing)
     * @throws IllegalArgumentException if {@code url} is not one of the accepted forms
     * @throws JournalException         if the database cannot be opened; the message names
     *                                  {@value #SETTING} and gives the database's reason, never the password
     */
    public static Journal open(String url, String user, String password, Path dataDir) {
        String u = url == null ? "" : url.trim();
        if (u.equals("memory")) return new MemoryJournal();
        if (u.isEmpty()) u = defaultH2Url(dataDir);
        else if (SqlDialect.of(u) == null) {
            throw new IllegalArgumentException(SETTING + "='" + JdbcJournal.redact(u) + "' is not a journal URL: " + FORMS);
        }
        try {
            return JdbcJournal.open(u, user, password);
        } catch (JournalException e) {
            if (SqlDialect.of(u) == SqlDialect.H2 && inUse(e)) {
                throw new JournalException(SETTING + ": the H2 journal " + h2File(u) + " is in use by another process "
                        + "(another Baton server on the same data directory?). An H2 journal serves one server only; to run "
                        + "several servers on one journal, give them all the same PostgreSQL " + SETTING
                        + " (jdbc:postgresql://host:5432/db?user=...&password=...)", e);
            }
            throw new JournalException(SETTING + ": " + e.getMessage(), e);
        }
    }

    /** True if H2 refused to open its file because another process has it open (H2 locks the file it serves). */
    private static boolean inUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && s.getErrorCode() == ErrorCode.DATABASE_ALREADY_OPEN_1) return true;
        }
        return false;
    }

    /** The file of an H2 URL ({@code jdbc:h2:file:/x/baton;...} or {@code jdbc:h2:/x/baton}) as H2 stores it: {@code /x/baton.mv.db}. */
    static String h2File(String url) {
        String path = url.substring("jdbc:h2:".length());
        int options = path.indexOf(';');
        if (options >= 0) path = path.substring(0, options);
        if (path.startsWith("file:")) path = path.substring("file:".length());
        return path + ".mv.db";
    }

    /** The embedded default. Values up to 4 KB stay in the row (H2's default is 256 bytes), which keeps typical events fast. */
    private static String defaultH2Url(Path dataDir) {
        Path dir = dataDir.resolve("journal").toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + dir + ": " + e.getMessage(), e);
        }
        return "jdbc:h2:file:" + dir.resolve("baton") + ";MAX_LENGTH_INPLACE_LOB=4096";
    }
}
