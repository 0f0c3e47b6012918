package dev.baton.runtime.orchestrator;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's {@link OrchestratorOptions#maxConcurrentCalls()} call slots, shared by its shards.
 * A shard holds a slot for each call it decided; when one is freed, shards with tasks waiting
 * for a slot are told. Two shards deciding at the same moment may each take the last free slot,
 * so the calls in flight can pass the bound by at most one per shard for a moment.
 */
final class SlotPool {
    /** A shard that may have tasks waiting for a slot. */
    interface Waiter {
        /** Whether tasks wait for a slot now; read from any thread. */
        boolean waiting();

        /** Offers the free slots to its waiting tasks, soon, on its own thread. */
        void wake();
    }

    private final int max;
    private final AtomicInteger held = new AtomicInteger();
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

    SlotPool(int max) {
        this.max = max;
    }

    void register(Waiter waiter) {
        waiters.add(waiter);
    }

    void take() {
        held.incrementAndGet();
    }

    /** Frees {@code count} slots; the other shards with tasks waiting hear of it. */
    void free(int count, Waiter by) {
        if (count <= 0) return;
        held.addAndGet(-count);
        for (Waiter waiter : waiters) {
            if (waiter != by && waiter.waiting()) waiter.wake();
        }
    }

    int free() {
        return Math.max(0, max - held.get());
    }

    int held() {
        return held.get();
    }
}
