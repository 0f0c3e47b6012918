package dev.baton.runtime.journal;

import dev.baton.runtime.event.EventData.TaskReady;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer thread on its own, against a store that records, stalls and fails on demand. */
class GroupCommitWriterTest {

    /** Records each transaction's size; the first write waits for {@link #release}; may refuse or fail. */
    private static final class FakeStore implements GroupCommitWriter.Store {
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        final CountDownLatch firstWriteStarted = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile String refuseTask;  // a batch holding an event of this task is refused
        volatile boolean databaseDown;
        volatile String poisonTask;  // a batch holding an event of this task throws what a bad value would (not SQL)
        volatile int connectionsToLose;  // the next writes fail as a killed backend would, until a reconnect
        final java.util.concurrent.atomic.AtomicInteger reconnects = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void write(List<RunEvent> events) throws Exception {
            firstWriteStarted.countDown();
            release.await();
            if (databaseDown) throw new SQLException("connection lost", "08006");
            if (connectionsToLose > 0) throw new SQLException("terminating connection due to administrator command", "57P01");
            if (poisonTask != null && events.stream().anyMatch(e -> poisonTask.equals(e.taskId()))) {
                throw new ArithmeticException("long overflow");
            }
            if (refuseTask != null && events.stream().anyMatch(e -> refuseTask.equals(e.taskId()))) {
                throw new SQLException("duplicate key", "23505");
            }
            batches.add(events.size());
        }

        @Override
        public boolean isUnavailable(Exception failure) {
            return failure instanceof SQLException s && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57"));
        }

        @Override
        public boolean isConnectionLost(Exception failure) {
            return failure instanceof SQLException s && s.getSQLState().equals("57P01");
        }

        @Override
        public void reconnect() {
            reconnects.incrementAndGet();
            connectionsToLose--;
        }

        @Override
        public JournalException describe(Exception failure) {
            return new JournalException(failure.getMessage(), failure);
        }
    }

    private final FakeStore store = new FakeStore();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final GroupCommitWriter writer = new GroupCommitWriter(store, 5, () -> stopped.set(true));
    private long seq;

    @AfterEach
    void stop() {
        store.release.countDown();
        writer.close();
    }

    private List<RunEvent> events(int n, String task) {
        List<RunEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new RunEvent(++seq, "run", TestRun.T0, new TaskReady(task)));
        return out;
    }

    /** Holds the writer in its first transaction, so that whatever is appended next queues up. */
    private CompletableFuture<Void> stallWriter() throws InterruptedException {
        CompletableFuture<Void> first = writer.submit(events(1, "first"));
        assertTrue(store.firstWriteStarted.await(10, TimeUnit.SECONDS));
        return first;
    }

    private static void await(CompletableFuture<Void> f) throws Exception {
        f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void whatQueuesWhileAWriteIsUnderWayGoesInOneTransactionUpToTheLimit() throws Exception {
        stallWriter();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 12; i++) queued.add(writer.submit(events(1, "t")));
        queued.add(writer.submit(events(7, "big"))); // one append is never split
        store.release.countDown();
        for (CompletableFuture<Void> f : queued) await(f);

        assertEquals(List.of(1, 5, 5, 2 + 7), store.batches);
        JournalStats stats = writer.stats();
        assertEquals(20, stats.events());
        assertEquals(4, stats.batches());
        assertEquals(9, stats.maxBatchSize());
    }

    @Test
    void futuresCompleteInAppendOrder() throws Exception {
        stallWriter();
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            CompletableFuture<Void> f = writer.submit(events(1, "t"));
            f.thenRun(() -> order.add(n));
            queued.add(f);
        }
        store.release.countDown();
        await(queued.get(19));
        assertEquals(java.util.stream.IntStream.range(0, 20).boxed().toList(), order);
    }

    @Test
    void aRefusedAppendIsIsolatedFromItsBatch() throws Exception {
        stallWriter();
        store.refuseTask = "bad";
        CompletableFuture<Void> before = writer.submit(events(1, "ok"));
        CompletableFuture<Void> bad = writer.submit(events(1, "bad"));
        CompletableFuture<Void> after = writer.submit(events(2, "ok"));
        store.release.countDown();

        await(before);
        await(after);
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
        assertInstanceOf(JournalException.class, e.getCause());
        // The batch of three was tried, refused, and written again append by append.
        assertEquals(List.of(1, 1, 2), store.batches);
    }

    /** Any failure that is not the database's (here an overflow in a projected value) stays with its append. */
    @Test
    void anAppendThatCannotBeWrittenFailsAloneWhateverTheException() throws Exception {
        stallWriter();
        store.poisonTask = "bad";
        CompletableFuture<Void> before = writer.submit(events(2, "ok"));
        CompletableFuture<Void> bad = writer.submit(events(1, "bad"));
        CompletableFuture<Void> after = writer.submit(events(1, "ok"));
        store.release.countDown();

        await(before);
        await(after);
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
        assertInstanceOf(JournalException.class, e.getCause());
        assertEquals(List.of(1, 2, 1), store.batches); // the stalled first write, then the two good appends
    }

    @Test
    void aLostConnectionIsTriedOnceMoreOnAFreshOne() throws Exception {
        stallWriter();
        store.connectionsToLose = 1;
        CompletableFuture<Void> a = writer.submit(events(1, "a"));
        CompletableFuture<Void> b = writer.submit(events(2, "b"));
        store.release.countDown();
        await(a);
        await(b);
        assertEquals(1, store.reconnects.get());
        assertEquals(List.of(1, 3), store.batches);
    }

    @Test
    void aDatabaseFailureFailsTheWholeBatchAndTheWriterGoesOn() throws Exception {
        stallWriter();
        store.databaseDown = true;
        CompletableFuture<Void> a = writer.submit(events(1, "a"));
        CompletableFuture<Void> b = writer.submit(events(1, "b"));
        store.release.countDown();
        assertThrows(ExecutionException.class, () -> a.get(10, TimeUnit.SECONDS));
        assertThrows(ExecutionException.class, () -> b.get(10, TimeUnit.SECONDS));

        // Right after finding the database away the writer answers at once, without waiting for it again.
        long before = System.nanoTime();
        assertThrows(ExecutionException.class, () -> writer.submit(events(1, "early")).get(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - before < TimeUnit.MILLISECONDS.toNanos(900), "failed fast");
        int writesSoFar = store.batches.size();

        store.databaseDown = false;
        // Within the writer's retry window a write still fails at once; past it, the database is tried again.
        Await.untilAnswered("a write to succeed once the database is back", Duration.ofSeconds(10), () -> {
            try {
                await(writer.submit(events(1, "c")));
                return true;
            } catch (ExecutionException stillInTheWindow) {
                throw new IllegalStateException(stillInTheWindow.getCause());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, written -> written);
        assertEquals(writesSoFar + 1, store.batches.size(), "once back, the database is tried and written to again");
    }

    @Test
    void closeDrainsTheQueueThenReleasesTheStoreAndRefusesMore() throws Exception {
        stallWriter();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) queued.add(writer.submit(events(1, "t")));
        store.release.countDown();
        writer.close();

        assertTrue(queued.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
        assertTrue(stopped.get(), "afterStop ran");
        CompletableFuture<Void> late = writer.submit(events(1, "late"));
        assertTrue(late.isCompletedExceptionally());
    }

    @Test
    void closingFromAFutureCallbackDoesNotDeadlock() throws Exception {
        store.release.countDown();
        CompletableFuture<Void> closed = writer.submit(events(1, "t")).thenRun(writer::close);
        await(closed);
        assertFalse(closed.isCompletedExceptionally());
    }
}
