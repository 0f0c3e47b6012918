package dev.baton.runtime.journal;

/**
 * The journal could not do what was asked: the database refused a write (for example a
 * duplicate event or idempotency key), could not be reached, or could not be read.
 * The message says which, in the database's own words where it gave any.
 */
public class JournalException extends RuntimeException {

    public JournalException(String message) {
        super(message);
    }

    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
