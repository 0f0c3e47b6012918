package dev.baton.runtime.journal;

/**
 * The durable record of every run, by job: the {@link RunLog} (append-only events), the
 * {@link RunIndex} (the runs list and the approvals inbox), the {@link TicketIndex} and the
 * {@link NotificationOutbox}, all kept in one store and the projections written in the same
 * transaction as the events they come from. A part of Baton that needs one of these jobs takes
 * that interface, not the whole journal.
 *
 * <p>Implementations: {@link JdbcJournal} (H2 file or PostgreSQL, same schema) and
 * {@link MemoryJournal} (nothing survives the process; for ephemeral runs, tests and benchmarks).
 * Open one with {@link Journals#open}.
 */
public interface Journal extends RunLog, RunIndex, TicketIndex, AutoCloseable {

    /** The notification outbox kept with this journal (in the same database, or in memory for {@link MemoryJournal}). */
    NotificationOutbox outbox();

    /** Writes what is queued, then releases the database. Appends after close fail. */
    @Override
    void close();
}
