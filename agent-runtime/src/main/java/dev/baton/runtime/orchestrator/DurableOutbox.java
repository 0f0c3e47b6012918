package dev.baton.runtime.orchestrator;

import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The runs' events on their way to the journal, and who waits for them to be durable. Events
 * decided during one turn of the event loop are handed to the journal together, one append per
 * run, which the journal group-commits with the others. At most one append per run is in
 * flight: events decided meanwhile queue behind it, so when an append fails nothing decided on
 * the state it left stale reaches the journal (a gap in a run's seqs would make it unreadable),
 * and one run's unwritable event never fails another run's. Confined to the orchestrator's context.
 */
final class DurableOutbox {
    private static final Logger LOG = LoggerFactory.getLogger(DurableOutbox.class);

    /** Something to do once the run's events queued before it are durable (error is null) or failed. */
    interface Effect {
        void run(Throwable error);
    }

    /** What the orchestrator does as writes end. */
    interface Listener {
        /** These events of the run are durable, in seq order: tell whoever listens. */
        void durable(String runId, List<RunEvent> events);

        /** The run has nothing left to write. */
        void settled(String runId);

        /** A write of the run failed: {@code lost} events decided on it will never be durable. */
        void failed(String runId, int lost, Throwable error);
    }

    /** The journal writes of one run. */
    private static final class RunWrites {
        List<RunEvent> queued = new ArrayList<>();
        /** Due once {@link #queued} is durable. */
        List<Effect> queuedEffects = new ArrayList<>();
        /** Due once the append in flight is durable; null when none is. */
        List<Effect> writingEffects;
    }

    private final Context context;
    private final Journal journal;
    private final Listener listener;
    private final Map<String, RunWrites> writes = new HashMap<>();
    /** Runs with queued events to hand to the journal at the next {@link #flush}. */
    private final Set<String> toFlush = new LinkedHashSet<>();
    private boolean flushScheduled;
    /** A flush is handing appends to the journal: runs queued meanwhile are picked up by its loop. */
    private boolean flushing;
    /**
     * Rounds one flush may go on for while the journal answers at once (the in-memory one): each
     * round's effects queue the next events, and a long chain would otherwise keep the thread.
     */
    private static final int ROUNDS_PER_TURN = 256;
    /** Completed once no run has events left to write, while closing. */
    private CompletableFuture<Void> drained;

    DurableOutbox(Context context, Journal journal, Listener listener) {
        this.context = context;
        this.journal = journal;
        this.listener = listener;
    }

    /** Queues events already applied to their run; true if the run had nothing pending before. */
    boolean queue(String runId, List<RunEvent> events) {
        if (events.isEmpty()) return false;
        RunWrites pending = writes.get(runId);
        boolean first = pending == null;
        if (first) {
            pending = new RunWrites();
            writes.put(runId, pending);
        }
        pending.queued.addAll(events);
        toFlush.add(runId);
        scheduleFlush();
        return first;
    }

    /** Whether some of the run's events are not durable yet. */
    boolean pending(String runId) {
        return writes.containsKey(runId);
    }

    boolean isEmpty() {
        return writes.isEmpty();
    }

    /** Runs {@code effect} once the run's events queued so far are durable (or failed); at once if there are none. */
    void onDurable(String runId, Effect effect) {
        RunWrites pending = writes.get(runId);
        if (pending == null) {
            effect.run(null);
        } else if (!pending.queued.isEmpty() || pending.writingEffects == null) {
            pending.queuedEffects.add(effect);
        } else {
            pending.writingEffects.add(effect);
        }
    }

    /**
     * Completes with {@code value} once every event queued so far for the run is durable; fails
     * with {@code journal_unavailable} if they cannot be written.
     */
    <T> Future<T> whenDurable(String runId, T value) {
        if (!writes.containsKey(runId)) return Future.succeededFuture(value);
        Promise<T> promise = Promise.promise();
        onDurable(runId, error -> {
            if (error == null) {
                promise.complete(value);
            } else {
                BatonException failure = new BatonException(Kind.UNAVAILABLE, "journal_unavailable",
                        "the change could not be written to the journal: " + error.getMessage());
                failure.initCause(error); // the database's reason (a duplicate key, say) for whoever handles it
                promise.fail(failure);
            }
        });
        return promise.future();
    }

    /**
     * Forgets every event not yet written and fails whoever waits for them with {@code why}; appends
     * already handed to the journal end as the journal says. For a node that lost its lease.
     */
    void discardAll(Throwable why) {
        List<Effect> failed = new ArrayList<>();
        for (RunWrites pending : writes.values()) {
            if (pending.writingEffects != null) failed.addAll(pending.writingEffects);
            failed.addAll(pending.queuedEffects);
        }
        writes.clear();
        toFlush.clear();
        runEffects(failed, why);
        if (drained != null) drained.complete(null);
    }

    /** Writes what is queued; completes once nothing is left to write. */
    CompletableFuture<Void> drain() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            drained = done;
            flush();
            if (writes.isEmpty()) done.complete(null);
        });
        return done;
    }

    private void scheduleFlush() {
        if (flushScheduled || flushing) return; // a flush under way picks the run up
        flushScheduled = true;
        context.runOnContext(v -> flush());
    }

    /**
     * Hands what was queued to the journal, one append per run. When the journal answers at once,
     * what those answers let happen (the next call, its events) is handed on in the same turn,
     * up to {@link #ROUNDS_PER_TURN} rounds, instead of one turn of the event loop per step.
     */
    private void flush() {
        flushScheduled = false;
        if (flushing) return;
        flushing = true;
        try {
            for (int round = 0; round < ROUNDS_PER_TURN && !toFlush.isEmpty(); round++) flushRound();
        } finally {
            flushing = false;
        }
        if (!toFlush.isEmpty()) scheduleFlush();
    }

    private void flushRound() {
        List<String> ids = new ArrayList<>(toFlush);
        toFlush.clear();
        for (String runId : ids) {
            RunWrites pending = writes.get(runId);
            if (pending == null || pending.writingEffects != null || pending.queued.isEmpty()) continue;
            List<RunEvent> batch = pending.queued;
            pending.queued = new ArrayList<>();
            pending.writingEffects = pending.queuedEffects;
            pending.queuedEffects = new ArrayList<>();
            CompletableFuture<Void> written = journal.append(batch);
            if (written.isDone()) {
                // Written already (the in-memory journal): carry on at once. Appends of one run
                // never overlap, so its events are still heard in seq order.
                afterWrite(runId, batch, written.isCompletedExceptionally() ? written.handle((v, e) -> e).join() : null);
            } else {
                written.whenComplete((v, error) -> context.runOnContext(x -> afterWrite(runId, batch, error)));
            }
        }
    }

    private void afterWrite(String runId, List<RunEvent> batch, Throwable error) {
        RunWrites pending = writes.get(runId);
        List<Effect> done = pending == null ? List.of() : pending.writingEffects;
        if (pending != null) pending.writingEffects = null;
        if (error != null) {
            writes.remove(runId);
            List<Effect> failed = new ArrayList<>(done);
            if (pending != null) failed.addAll(pending.queuedEffects);
            // Drop the stale run first: whoever hears of the failure must not act on it.
            listener.failed(runId, batch.size() + (pending == null ? 0 : pending.queued.size()), error);
            runEffects(failed, error);
        } else {
            listener.durable(runId, batch);
            runEffects(done, null);
            if (pending != null && !pending.queued.isEmpty()) {
                toFlush.add(runId);
                scheduleFlush();
            } else if (pending != null && writes.get(runId) == pending) {
                writes.remove(runId);
                // Effects added while the ones above ran, with nothing new to write: everything is durable.
                if (!pending.queuedEffects.isEmpty()) runEffects(pending.queuedEffects, null);
            }
            if (!writes.containsKey(runId)) listener.settled(runId);
        }
        if (drained != null && writes.isEmpty()) drained.complete(null);
    }

    private static void runEffects(List<Effect> effects, Throwable error) {
        for (Effect effect : effects) {
            try {
                effect.run(error);
            } catch (RuntimeException e) {
                LOG.error("an after-write action failed", e);
            }
        }
    }
}
