package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.RowChanges.ApprovalPatch;
import dev.baton.runtime.journal.RowChanges.RunUpdate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A journal in memory: the same behaviour and projections as {@link JdbcJournal} (the same
 * {@link Projection} drives both), but nothing survives the process. For ephemeral runs, tests
 * and benchmarks.
 *
 * <p>{@link #append} applies the events at once and returns an already completed future. Event
 * data is kept as the objects given, never serialized: do not change a {@code JsonNode} after
 * appending it. An append is all or nothing: a duplicate seq, run id or idempotency key fails
 * its future and changes nothing, like a refused transaction.
 *
 * <p>Thread-safe; one lock guards everything, held for microseconds.
 */
public final class MemoryJournal implements Journal {

    /** Everything about one run. */
    private static final class RunLog {
        final List<RunEvent> events = new ArrayList<>();
        RunRecord record;
        /** By task id. */
        final Map<String, ApprovalRecord> approvals = new LinkedHashMap<>(2);

        long lastSeq() {
            return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        }
    }

    /** The runs list order: newest first, then by id, descending. */
    private static final Comparator<RunRecord> NEWEST_FIRST =
            Comparator.comparing(RunRecord::createdAt).thenComparing(RunRecord::id).reversed();

    /** An approval's status while it waits for a person. */
    private static final String PENDING = "PENDING";

    private final Map<String, RunLog> runs = new HashMap<>();
    private final Map<String, String> runIdByKey = new HashMap<>();
    /** Run records keyed by themselves as created (createdAt and id never change); values are current. */
    private final TreeMap<RunRecord, RunLog> newestFirst = new TreeMap<>(NEWEST_FIRST);
    /** Ticket rows (column to value, as {@link TicketProjection} writes them) by ticket id, and ticket ids by run. */
    private final Map<String, Map<String, Object>> tickets = new HashMap<>();
    private final Map<String, String> ticketByRun = new HashMap<>();
    /**
     * Runs by trigger and status, kept as runs are created and change status: counting them by a scan of every
     * run would hold this journal's lock for tens of milliseconds per 100,000 runs at every poll of the triggers page.
     */
    private final Map<String, Map<String, Long>> triggerRuns = new HashMap<>();

    private long events;
    private long batches;
    private long writeNanos;
    private int maxBatchSize;
    private final JournalMeters meters = new JournalMeters();
    private boolean closed;

    private final NotificationOutbox outbox = new MemoryNotificationOutbox();

    @Override
    public NotificationOutbox outbox() {
        return outbox;
    }

    @Override
    public CompletableFuture<Void> append(List<RunEvent> batch) {
        RowChanges changes;
        TicketProjection.Changes ticketChanges;
        try {
            changes = Projection.changesOf(batch);
            ticketChanges = TicketProjection.changesOf(batch);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new JournalException("journal write refused: " + e.getMessage(), e));
        }
        synchronized (this) {
            if (closed) return CompletableFuture.failedFuture(new JournalException("the journal is closed"));
            long start = System.nanoTime();
            String refusal = refusal(batch, changes);
            if (refusal != null) return CompletableFuture.failedFuture(new JournalException("journal write refused: " + refusal));
            for (RunEvent e : batch) runs.computeIfAbsent(e.runId(), id -> new RunLog()).events.add(e);
            apply(changes);
            if (!ticketChanges.isEmpty()) apply(ticketChanges);
            events += batch.size();
            batches++;
            maxBatchSize = Math.max(maxBatchSize, batch.size());
            long took = System.nanoTime() - start;
            writeNanos += took;
            meters.committed(batch.size(), took);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Why the batch must be refused (what the database's keys would refuse), or null. */
    private String refusal(List<RunEvent> batch, RowChanges changes) {
        // Seqs must grow within each run; most appends hold one event of one run.
        Map<String, Long> lastSeq = batch.size() == 1 ? null : new HashMap<>();
        int runsCreated = 0;
        for (RunEvent e : batch) {
            Long inBatch = lastSeq == null ? null : lastSeq.get(e.runId());
            long last;
            if (inBatch != null) {
                last = inBatch;
            } else {
                RunLog log = runs.get(e.runId());
                last = log == null ? 0 : log.lastSeq();
            }
            if (e.seq() <= last) {
                return "event seq " + e.seq() + " of run '" + e.runId() + "' does not follow seq " + last
                        + " (a duplicate, or out of order)";
            }
            if (lastSeq != null) lastSeq.put(e.runId(), e.seq());
            if (e.data() instanceof EventData.RunCreated) runsCreated++;
        }
        // Two RunCreated of one run in a batch: the projection keeps the last, the database would refuse.
        if (runsCreated != changes.newRuns().size()) return "a run is created twice in one append";
        Map<String, String> keys = changes.newRuns().isEmpty() ? Map.of() : new HashMap<>();
        for (RunRecord run : changes.newRuns()) {
            RunLog log = runs.get(run.id());
            if (log != null && log.record != null) return "run '" + run.id() + "' already exists";
            String key = run.idempotencyKey();
            if (key != null && (runIdByKey.containsKey(key) || keys.put(key, run.id()) != null)) {
                return "idempotency key '" + key + "' already belongs to another run";
            }
        }
        return null;
    }

    /** Applies the changes in the order {@link RowChanges} prescribes, as the SQL does. */
    private void apply(RowChanges changes) {
        for (RunRecord run : changes.newRuns()) {
            RunLog log = runs.get(run.id());
            log.record = run;
            countTriggerRun(run.trigger(), null, run.status());
            newestFirst.put(run, log);
            if (run.idempotencyKey() != null) runIdByKey.put(run.idempotencyKey(), run.id());
        }
        for (RunUpdate u : changes.runUpdates()) {
            RunLog log = runs.get(u.runId());
            if (log == null || log.record == null) continue;
            RunRecord r = log.record;
            log.record = new RunRecord(r.id(), r.goal(), u.status() != null ? u.status() : r.status(), r.createdAt(),
                    u.updatedAt(), r.idempotencyKey(), r.requestHash(), r.llmCalls() + u.llmCalls(),
                    r.promptTokens() + u.promptTokens(), r.completionTokens() + u.completionTokens(), r.trigger());
            countTriggerRun(r.trigger(), r.status(), log.record.status());
        }
        for (String runId : changes.runsCancellingApprovals()) {
            RunLog log = runs.get(runId);
            if (log != null) log.approvals.replaceAll((task, a) -> cancelIfPending(a));
        }
        for (ApprovalRecord a : changes.approvalUpserts()) {
            runs.get(a.runId()).approvals.put(a.taskId(), a);
        }
        for (ApprovalPatch p : changes.approvalPatches()) {
            RunLog log = runs.get(p.runId());
            ApprovalRecord a = log == null ? null : log.approvals.get(p.taskId());
            if (a == null) continue;
            if (p.status() != null) a = withStatus(a, p.status());
            else if (p.cancelIfPending()) a = cancelIfPending(a);
            if (p.escalate()) {
                a = new ApprovalRecord(a.runId(), a.taskId(), a.title(), a.tool(), a.args(), a.requestedAt(), a.expiresAt(),
                        true, a.status());
            }
            log.approvals.put(p.taskId(), a);
        }
    }

    /** Applies ticket changes in the order {@link TicketProjection.Changes} prescribes, as the SQL does. */
    private void apply(TicketProjection.Changes changes) {
        for (Map<String, Object> row : changes.inserts()) {
            tickets.put((String) row.get("id"), new LinkedHashMap<>(row));
            ticketByRun.put((String) row.get("run_id"), (String) row.get("id"));
        }
        for (TicketProjection.Reroute r : changes.reroutes()) {
            Map<String, Object> row = tickets.get(r.ticketId());
            if (row == null) continue;
            row.put("run_id", r.runId());
            row.put("status", TicketProjection.TRIAGING);
            for (String col : List.of("error", "routed_at_ms", "delivery", "review_reason")) row.put(col, null);
            row.put("updated_at_ms", r.atMs());
            ticketByRun.put(r.runId(), r.ticketId());
        }
        for (TicketProjection.Patch p : changes.patches()) {
            String id = ticketByRun.get(p.runId());
            Map<String, Object> row = id == null ? null : tickets.get(id);
            // A ticket re-routed since: the old run no longer owns it, as in SQL's WHERE run_id = ?.
            if (row == null || !p.runId().equals(row.get("run_id"))) continue;
            row.putAll(p.columns());
        }
    }

    @Override
    public synchronized Optional<TicketRecord> ticket(String id) {
        Map<String, Object> row = tickets.get(id);
        return Optional.ofNullable(row == null ? null : TicketProjection.record(row));
    }

    @Override
    public synchronized TicketPage tickets(TicketQuery q) {
        RunCursor after = RunCursor.decode(q.cursor());
        List<TicketRecord> all = new ArrayList<>();
        for (Map<String, Object> row : tickets.values()) {
            if (q.status() != null && !q.status().equals(row.get("status"))) continue;
            if (q.queue() != null && !q.queue().equals(row.get("queue"))) continue;
            all.add(TicketProjection.record(row));
        }
        Comparator<TicketRecord> newest = Comparator.comparing((TicketRecord t) -> t.createdAt().toEpochMilli())
                .thenComparing(TicketRecord::id).reversed();
        all.sort(newest);
        List<TicketRecord> page = new ArrayList<>();
        for (TicketRecord t : all) {
            if (after != null) {
                long created = after.createdAt().toEpochMilli(), mine = t.createdAt().toEpochMilli();
                if (mine > created || (mine == created && t.id().compareTo(after.id()) >= 0)) continue;
            }
            if (page.size() == q.limit()) {
                TicketRecord last = page.get(page.size() - 1);
                return new TicketPage(page, new RunCursor(last.createdAt(), last.id()).encode());
            }
            page.add(t);
        }
        return new TicketPage(page, null);
    }

    @Override
    public synchronized List<TicketRecord> confirmedTickets() {
        return tickets.values().stream().filter(row -> row.get("confirmed_category") != null)
                .map(TicketProjection::record)
                .sorted(Comparator.comparing(TicketRecord::updatedAt).thenComparing(TicketRecord::id))
                .toList();
    }

    @Override
    public synchronized List<TicketRecord> confirmedTicketsSince(java.time.Instant updatedAfter) {
        return confirmedTickets().stream().filter(t -> t.updatedAt().isAfter(updatedAfter)).toList();
    }

    private static ApprovalRecord cancelIfPending(ApprovalRecord a) {
        return a.status().equals(Projection.PENDING) ? withStatus(a, Projection.CANCELLED) : a;
    }

    private static ApprovalRecord withStatus(ApprovalRecord a, String status) {
        return new ApprovalRecord(a.runId(), a.taskId(), a.title(), a.tool(), a.args(), a.requestedAt(), a.expiresAt(),
                a.escalated(), status);
    }

    @Override
    public synchronized List<RunEvent> events(String runId, long afterSeq) {
        RunLog log = runs.get(runId);
        if (log == null) return List.of();
        List<RunEvent> all = log.events;
        // Seqs grow within a run: find the first one after afterSeq by binary search.
        int lo = 0, hi = all.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (all.get(mid).seq() <= afterSeq) lo = mid + 1;
            else hi = mid;
        }
        return List.copyOf(all.subList(lo, all.size()));
    }

    /** Hands out the events run by run; the lock is not held while the sink works. */
    @Override
    public void forEachEventOfUnfinishedRuns(Consumer<RunEvent> sink) {
        List<String> unfinished;
        synchronized (this) {
            unfinished = runs.entrySet().stream()
                    .filter(e -> e.getValue().record != null && !Projection.FINISHED.contains(e.getValue().record.status()))
                    .map(Map.Entry::getKey).sorted().toList();
        }
        for (String runId : unfinished) events(runId, 0).forEach(sink);
    }

    @Override
    public synchronized Optional<RunRecord> run(String runId) {
        RunLog log = runs.get(runId);
        return Optional.ofNullable(log == null ? null : log.record);
    }

    @Override
    public synchronized Map<String, String> goals(Collection<String> runIds) {
        Map<String, String> goals = new HashMap<>();
        for (String id : runIds) {
            RunLog log = runs.get(id);
            if (log != null) goals.put(id, log.record.goal());
        }
        return goals;
    }

    @Override
    public synchronized Optional<RunRecord> runByIdempotencyKey(String key) {
        String runId = runIdByKey.get(key);
        return runId == null ? Optional.empty() : run(runId);
    }

    @Override
    public synchronized RunPage runs(RunQuery q) {
        RunCursor after = RunCursor.decode(q.cursor());
        Map<RunRecord, RunLog> tail = after == null ? newestFirst
                // A probe record at the cursor's position: tailMap(probe, false) is what comes after it.
                : newestFirst.tailMap(new RunRecord(after.id(), null, null, after.createdAt(), null, null, null), false);
        List<RunRecord> page = new ArrayList<>(q.limit());
        Map<String, Integer> waiting = new HashMap<>();
        for (RunLog log : tail.values()) {
            RunRecord r = log.record;
            if (q.status() != null && !q.status().equals(r.status())) continue;
            if (!q.goalMatches(r.goal())) continue;
            if (page.size() == q.limit()) return new RunPage(page, RunCursor.after(page.get(page.size() - 1)).encode(), waiting);
            page.add(r);
            int pending = (int) log.approvals.values().stream().filter(a -> PENDING.equals(a.status())).count();
            if (pending > 0) waiting.put(r.id(), pending);
        }
        return new RunPage(page, null, waiting);
    }

    @Override
    public synchronized Map<String, Map<String, Long>> runCountsByTrigger(Collection<String> triggers) {
        Map<String, Map<String, Long>> counts = new HashMap<>();
        for (String trigger : triggers) {
            Map<String, Long> byStatus = triggerRuns.get(trigger);
            if (byStatus != null) counts.put(trigger, new HashMap<>(byStatus));
        }
        return counts;
    }

    /** A run of {@code trigger} (null: none) moved from status {@code from} (null: it is new) to {@code to}. */
    private void countTriggerRun(String trigger, String from, String to) {
        if (trigger == null || to.equals(from)) return;
        Map<String, Long> byStatus = triggerRuns.computeIfAbsent(trigger, t -> new HashMap<>());
        if (from != null) byStatus.computeIfPresent(from, (status, n) -> n == 1 ? null : n - 1);
        byStatus.merge(to, 1L, Long::sum);
    }

    @Override
    public synchronized List<ApprovalRecord> approvals(String status) {
        List<ApprovalRecord> out = new ArrayList<>();
        for (RunLog log : runs.values()) {
            for (ApprovalRecord a : log.approvals.values()) if (a.status().equals(status)) out.add(a);
        }
        out.sort(Comparator.comparing(ApprovalRecord::requestedAt).thenComparing(ApprovalRecord::runId)
                .thenComparing(ApprovalRecord::taskId));
        return out;
    }

    @Override
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        meters.bind(registry, this::stats);
    }

    @Override
    public synchronized JournalStats stats() {
        return new JournalStats(events, batches, writeNanos, maxBatchSize);
    }

    /** Appends after close fail; reads still answer from memory. */
    @Override
    public synchronized void close() {
        closed = true;
    }
}
