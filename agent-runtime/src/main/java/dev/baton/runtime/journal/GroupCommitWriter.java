package dev.baton.runtime.journal;

import dev.baton.runtime.event.RunEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Group commit: appends queue up, and one thread writes everything queued (up to
 * {@code maxBatchEvents}, more if one append is larger) in one transaction, then completes
 * the appends' futures in order. Under load a transaction carries thousands of events, so
 * durability costs one commit per batch, not one per event.
 *
 * <p>A batch that fails while the database is there (anything but {@link Store#isUnavailable}:
 * a duplicate key, an event Jackson cannot write, a value the projection cannot hold) has each
 * of its appends written again on its own, so only the culprit fails: one run's bad event
 * never fails another run's. A lost connection (a restarted database, a killed backend) is
 * tried once more on a fresh connection; if the database is still away, the whole batch fails
 * at once. Either way the writer carries on with the next batch.
 */
final class GroupCommitWriter {

    /** Where batches go: one call, one transaction. */
    interface Store {
        void write(List<RunEvent> events) throws Exception;

        /**
         * True if the failure is the database's, not the events' (it is away, or the connection
         * broke): writing the appends one by one would fail as well.
         */
        boolean isUnavailable(Exception failure);

        /**
         * True if every write would fail alike, whatever it holds (the database is away, or this
         * node may no longer write): the batch is not written again append by append.
         */
        default boolean failsEveryWrite(Exception failure) {
            return isUnavailable(failure);
        }

        /** True if the connection was lost while in use (not: none could be had), so a fresh one may succeed. */
        default boolean isConnectionLost(Exception failure) {
            return false;
        }

        /** Drops pooled connections that may be dead, so that the next write opens a fresh one. */
        default void reconnect() {
        }

        /** Describes a failure for the futures, in the database's words. */
        JournalException describe(Exception failure);
    }

    private record Append(List<RunEvent> events, CompletableFuture<Void> done) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final Append STOP = new Append(List.of(), new CompletableFuture<>());

    private final LinkedBlockingQueue<Append> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Store store;
    private final int maxBatchEvents;
    private final Runnable afterStop;
    private final Thread thread;

    // Written by the writer thread only.
    private volatile long events;
    private volatile long batches;
    private volatile long writeNanos;
    private volatile int maxBatchSize;
    final JournalMeters meters = new JournalMeters();
    /** How long after finding the database away the writer fails batches without trying. */
    private static final long AWAY_PROBE_NANOS = 1_000_000_000L;
    /** The failure of the last batch if the database was away then, else null (writer thread only). */
    private JournalException away;
    private long awayUntilNanos;

    /**
     * Starts the writer thread.
     *
     * @param afterStop run by the writer thread once it has drained the queue on close (releases the database)
     */
    GroupCommitWriter(Store store, int maxBatchEvents, Runnable afterStop) {
        this.store = store;
        this.maxBatchEvents = maxBatchEvents;
        this.afterStop = afterStop;
        this.thread = new Thread(this::run, "baton-journal-writer");
        thread.setDaemon(true);
        thread.start();
    }

    CompletableFuture<Void> submit(List<RunEvent> events) {
        Append append = new Append(List.copyOf(events), new CompletableFuture<>());
        if (closed.get()) return failClosed(append);
        queue.add(append);
        // close() may have queued STOP just before our append: take it back and fail it
        // (if the writer already took it, the writer wrote it or failed it).
        if (closed.get() && queue.remove(append)) return failClosed(append);
        return append.done();
    }

    JournalStats stats() {
        return new JournalStats(events, batches, writeNanos, maxBatchSize);
    }

    /** Writes what is queued, then stops; waits for that unless called from the writer thread itself. */
    void close() {
        if (closed.compareAndSet(false, true)) queue.add(STOP);
        if (Thread.currentThread() == thread) return;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            boolean stop = false;
            while (!stop) {
                Append first = queue.take();
                if (first == STOP) break;
                List<Append> batch = new ArrayList<>();
                batch.add(first);
                int size = first.events().size();
                Append next;
                while (size < maxBatchEvents && (next = queue.poll()) != null) {
                    if (next == STOP) {
                        stop = true;
                        break;
                    }
                    batch.add(next);
                    size += next.events().size();
                }
                writeBatch(batch, size);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed.set(true);
            for (Append left; (left = queue.poll()) != null; ) failClosed(left);
            try {
                afterStop.run();
            } catch (RuntimeException e) {
                LOG.warn("closing the journal's database failed", e);
            }
        }
    }

    private void writeBatch(List<Append> batch, int size) {
        List<RunEvent> all = new ArrayList<>(size);
        for (Append a : batch) all.addAll(a.events());
        if (away != null && System.nanoTime() < awayUntilNanos) {
            // The database was away a moment ago: answer at once instead of waiting for a
            // connection again, so that callers hear 503 within a second or two. One batch per
            // AWAY_PROBE_NANOS still tries, and finds out when it is back.
            for (Append a : batch) a.done().completeExceptionally(away);
            return;
        }
        Exception failure = tryWrite(all);
        if (failure != null && store.isConnectionLost(failure)) {
            store.reconnect();
            failure = tryWrite(all);
        }
        away = null;
        if (failure != null && store.isUnavailable(failure)) {
            away = store.describe(failure);
            awayUntilNanos = System.nanoTime() + AWAY_PROBE_NANOS;
        }
        if (failure == null) {
            for (Append a : batch) a.done().complete(null);
        } else if (batch.size() > 1 && !store.failsEveryWrite(failure)) {
            for (Append a : batch) {
                Exception alone = tryWrite(a.events());
                if (alone == null) a.done().complete(null);
                else a.done().completeExceptionally(store.describe(alone));
            }
        } else {
            JournalException error = store.describe(failure);
            if (store.isUnavailable(failure)) LOG.warn("journal write of {} events failed: {}", size, error.getMessage());
            for (Append a : batch) a.done().completeExceptionally(error);
        }
    }

    /** Writes one transaction; returns its failure, or null. */
    private Exception tryWrite(List<RunEvent> batch) {
        long start = System.nanoTime();
        try {
            store.write(batch);
        } catch (Exception e) {
            return e;
        } catch (StackOverflowError e) {
            // A pathologically deep output: that run's fault, not the writer's.
            return new IllegalArgumentException("an event is nested too deeply to be written", e);
        }
        long took = System.nanoTime() - start;
        writeNanos += took;
        meters.committed(batch.size(), took);
        events += batch.size();
        batches++;
        if (batch.size() > maxBatchSize) maxBatchSize = batch.size();
        return null;
    }

    private static CompletableFuture<Void> failClosed(Append append) {
        append.done().completeExceptionally(new JournalException("the journal is closed"));
        return append.done();
    }
}
