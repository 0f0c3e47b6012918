package dev.baton.runtime.journal;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Tells a database that is away (stopped, restarting, unreachable, out of disk) from one that
 * refused what it was given. The first is worth retrying later, on a fresh connection, and
 * answers 503; the second is the data's fault and stays with the append that carried it.
 */
final class Unavailable {
    /**
     * SQLSTATE classes and codes of a database that is away: 08 connection exceptions, 53 insufficient
     * resources (a full disk), 57P01-57P03 administrator or crash shutdown, cannot connect now.
     */
    private static final Set<String> CLASSES = Set.of("08", "53");
    private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03");
    /**
     * H2's error codes for a database that closed itself or cannot be opened: 90098 closed (after a disk
     * error), 90121 closed at VM shutdown, 90028 an I/O error, 90100 the disk is full, 90020 locked by another process.
     */
    private static final Set<Integer> H2_CODES = Set.of(90098, 90121, 90028, 90100, 90020);

    private Unavailable() {
    }

    static boolean test(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                for (SQLException e = sql; e != null; e = e.getNextException()) {
                    if (matches(e)) return true;
                }
            }
            // A file the database cannot write (H2 on a full disk wraps it in a "General error"), but not
            // Jackson's failure to write an event, which is an IOException too and the event's fault.
            if (t instanceof java.io.IOException && !(t instanceof com.fasterxml.jackson.core.JacksonException)) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }

    /**
     * True if a connection broke while in use (a killed backend, a restarted server, a database
     * that closed itself), so that a fresh connection may work at once; false if none could be
     * had in time (the database is away: retrying now would only wait again).
     */
    static boolean connectionLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) return false; // Hikari: no connection within the timeout
            if (t instanceof SQLException sql && matches(sql)) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }

    private static boolean matches(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (STATES.contains(state) || (state.length() >= 2 && CLASSES.contains(state.substring(0, 2))))) return true;
        return H2_CODES.contains(e.getErrorCode()) && state != null && !state.startsWith("23");
    }
}
