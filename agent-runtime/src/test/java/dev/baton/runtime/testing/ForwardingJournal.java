package dev.baton.runtime.testing;

import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.runtime.journal.NotificationOutbox;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.journal.TicketPage;
import dev.baton.runtime.journal.TicketQuery;
import dev.baton.runtime.journal.TicketRecord;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A journal that hands every call to a {@link MemoryJournal}, for tests that change one thing about
 * a journal (hold its appends, refuse some, be away): override {@link #append} and, to fail reads,
 * {@link #beforeRead}.
 */
public abstract class ForwardingJournal implements Journal {
    protected final MemoryJournal delegate = new MemoryJournal();

    /** Called before every read of runs and events; throws to make the read fail. */
    protected void beforeRead() {
    }

    @Override
    public CompletableFuture<Void> append(List<RunEvent> events) {
        return delegate.append(events);
    }

    @Override
    public List<RunEvent> events(String runId, long afterSeq) {
        beforeRead();
        return delegate.events(runId, afterSeq);
    }

    @Override
    public void forEachEventOfUnfinishedRuns(Consumer<RunEvent> sink) {
        beforeRead();
        delegate.forEachEventOfUnfinishedRuns(sink);
    }

    @Override
    public Optional<RunRecord> run(String runId) {
        beforeRead();
        return delegate.run(runId);
    }

    @Override
    public Optional<RunRecord> runByIdempotencyKey(String key) {
        beforeRead();
        return delegate.runByIdempotencyKey(key);
    }

    @Override
    public RunPage runs(RunQuery query) {
        beforeRead();
        return delegate.runs(query);
    }

    @Override
    public java.util.Map<String, String> goals(java.util.Collection<String> runIds) {
        beforeRead();
        return delegate.goals(runIds);
    }

    @Override
    public java.util.Map<String, java.util.Map<String, Long>> runCountsByTrigger(java.util.Collection<String> triggers) {
        beforeRead();
        return delegate.runCountsByTrigger(triggers);
    }

    @Override
    public List<ApprovalRecord> approvals(String status) {
        beforeRead();
        return delegate.approvals(status);
    }

    @Override
    public JournalStats stats() {
        return delegate.stats();
    }

    @Override
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        delegate.bindMetrics(registry);
    }

    @Override
    public Optional<TicketRecord> ticket(String id) {
        return delegate.ticket(id);
    }

    @Override
    public TicketPage tickets(TicketQuery query) {
        return delegate.tickets(query);
    }

    @Override
    public List<TicketRecord> confirmedTickets() {
        return delegate.confirmedTickets();
    }

    @Override
    public List<TicketRecord> confirmedTicketsSince(java.time.Instant updatedAfter) {
        return delegate.confirmedTicketsSince(updatedAfter);
    }

    @Override
    public NotificationOutbox outbox() {
        return delegate.outbox();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
