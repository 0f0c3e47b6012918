package dev.baton.runtime.journal;

/**
 * The journal could not do what was asked: the database refused a write (for example a
 * duplicate event or idempotency key), could not be reached, or could not be read.
 * The message says which, in the database's own words where it gave any;
 * {@link #unavailable()} tells the database's absence (worth retrying later) from a refusal.
 */
public class JournalException extends RuntimeException {
    private final boolean unavailable;

    public JournalException(String message) {
        this(message, null, false);
    }

    public JournalException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public JournalException(String message, Throwable cause, boolean unavailable) {
        super(message, cause);
        this.unavailable = unavailable;
    }

    /** True if the database could not be reached or lost its connection: the same request may succeed later. */
    public boolean unavailable() {
        return unavailable;
    }
}
