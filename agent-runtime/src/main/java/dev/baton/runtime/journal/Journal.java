package dev.baton.runtime.journal;

import dev.baton.runtime.event.RunEvent;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The durable record of every run: an append-only log of {@link RunEvent}s plus two small
 * projections derived from those events in the same transaction (the runs list, the
 * approvals inbox and the tickets), so that listing 100,000 runs never means replaying them.
 *
 * <p>Writes are group-committed: {@link #append} only queues, one writer thread writes
 * whatever has queued in one transaction, and the returned future completes once the events
 * are durable. Futures complete in append order. Reads block; call them off the event loop.
 *
 * <p>Implementations: {@link JdbcJournal} (H2 file or PostgreSQL, same schema) and
 * {@link MemoryJournal} (nothing survives the process; for ephemeral runs, tests and benchmarks).
 * Open one with {@link Journals#open}.
 */
public interface Journal extends AutoCloseable {

    /**
     * Queues events for writing; never blocks. Events of one run must arrive in seq order.
     *
     * @return completes when these events (and all appended before them) are durable, or
     * exceptionally if the write failed
     */
    CompletableFuture<Void> append(List<RunEvent> events);

    /**
     * Checks that the journal's database answers now (blocking, briefly): for readiness probes.
     *
     * @throws JournalException if it does not, with {@link JournalException#unavailable()} set
     */
    default void ping() {
    }

    /** The run's events with {@code seq > afterSeq}, in order. */
    List<RunEvent> events(String runId, long afterSeq);

    /**
     * Streams every event of every run that has not finished (not SUCCEEDED, FAILED or
     * CANCELLED), grouped by run and in seq order within a run: what recovery replays.
     */
    void forEachEventOfUnfinishedRuns(Consumer<RunEvent> sink);

    Optional<RunRecord> run(String runId);

    Optional<RunRecord> runByIdempotencyKey(String key);

    /** Runs, newest first, optionally of one status, after a cursor from an earlier page. */
    RunPage runs(RunQuery query);

    /** Approvals with the given status (e.g. {@code PENDING}), oldest request first. */
    List<ApprovalRecord> approvals(String status);

    /** The ticket with this id (see {@link TicketProjection}). */
    default Optional<TicketRecord> ticket(String id) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no tickets");
    }

    /** Tickets, newest first, optionally of one queue and status, after a cursor from an earlier page. */
    default TicketPage tickets(TicketQuery query) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no tickets");
    }

    /** Tickets a person confirmed or corrected ({@link TicketRecord#confirmedCategory()} set), oldest decision first: the labelled examples. */
    default List<TicketRecord> confirmedTickets() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no tickets");
    }

    /** Counters for metrics and benchmarks. */
    JournalStats stats();

    /** The notification outbox kept with this journal (in the same database, or in memory for {@link MemoryJournal}). */
    default NotificationOutbox outbox() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no notification outbox");
    }

    /** Writes what is queued, then releases the database. Appends after close fail. */
    @Override
    void close();
}
