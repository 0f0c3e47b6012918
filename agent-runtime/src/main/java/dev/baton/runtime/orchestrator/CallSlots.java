package dev.baton.runtime.orchestrator;

import dev.baton.runtime.decider.Lane;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One shard's calls holding slots of the node's {@link SlotPool}, and its tasks waiting for
 * one. A slot is held from the moment an attempt's call is decided until it ends, times out or
 * is stopped; its call itself starts only once the events before it are durable. Confined to
 * the shard's context.
 */
final class CallSlots {
    /** A call holding a slot: which attempt on which lane, its call once started, and its timeout timer. */
    static final class Slot {
        final Lane lane;
        final int attempt;
        TaskExecutor.Call call;
        long timer = -1;
        /** The attempt's span once its call started; ended (and cleared) when the slot is let go. */
        io.opentelemetry.api.trace.Span span;

        Slot(Lane lane, int attempt) {
            this.lane = lane;
            this.attempt = attempt;
        }

        /** Stops the timer and interrupts the call, if they were started; {@code why} is for the log. */
        void stop(Vertx vertx, String why) {
            if (timer >= 0) vertx.cancelTimer(timer);
            if (call != null) call.interrupt(why);
            endSpan("interrupted", why);
        }

        /** Ends the attempt's span, once: as a success when {@code errorCode} is null. */
        void endSpan(String errorCode, String message) {
            io.opentelemetry.api.trace.Span ending = span;
            span = null;
            dev.baton.runtime.telemetry.Tracing.end(ending, errorCode, message);
        }
    }

    /** A task waiting for a slot; {@code rerunAttempt} > 0 for a call cut off by a crash. */
    record Waiting(String runId, String taskId, int rerunAttempt) {
    }

    private final Vertx vertx;
    private final SlotPool pool;
    private final SlotPool.Waiter owner;
    private final Map<String, Map<String, Slot>> byRun = new HashMap<>();
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    /** How many tasks wait; read by other shards' threads. */
    private volatile int waitingCount;

    /** The slots of one shard's runs, taken from the node's {@code pool}; {@code owner} is the shard. */
    CallSlots(Vertx vertx, SlotPool pool, SlotPool.Waiter owner) {
        this.vertx = vertx;
        this.pool = pool;
        this.owner = owner;
    }

    /** Takes a slot for the task's attempt; a call the task still held (an older attempt) is stopped and its slot reused. */
    Slot hold(String runId, String taskId, Lane lane, int attempt) {
        Slot slot = new Slot(lane, attempt);
        Slot previous = byRun.computeIfAbsent(runId, id -> new HashMap<>(4)).put(taskId, slot);
        if (previous != null) previous.stop(vertx, "a newer attempt of its task replaced it");
        else pool.take();
        return slot;
    }

    Slot get(String runId, String taskId) {
        Map<String, Slot> slots = byRun.get(runId);
        return slots == null ? null : slots.get(taskId);
    }

    /** Frees the task's slot if {@code slot} still holds it; true if it did. */
    boolean release(String runId, String taskId, Slot slot) {
        Map<String, Slot> slots = byRun.get(runId);
        if (slots == null || !slots.remove(taskId, slot)) return false;
        if (slots.isEmpty()) byRun.remove(runId);
        pool.free(1, owner);
        return true;
    }

    /** Stops the task's call, if it holds a slot, and frees the slot. */
    void stop(String runId, String taskId, String why) {
        Slot slot = get(runId, taskId);
        if (slot != null && release(runId, taskId, slot)) slot.stop(vertx, why);
    }

    /** Stops every call of the run and forgets its waiting tasks. */
    void dropRun(String runId, String why) {
        Map<String, Slot> slots = byRun.remove(runId);
        if (slots != null) {
            slots.values().forEach(slot -> slot.stop(vertx, why));
            pool.free(slots.size(), owner);
        }
        waiting.removeIf(w -> w.runId().equals(runId));
        waitingCount = waiting.size();
    }

    /** Stops every call and forgets every waiting task. */
    void dropAll(String why) {
        for (String runId : List.copyOf(byRun.keySet())) dropRun(runId, why);
        waiting.clear();
        waitingCount = 0;
    }

    boolean inFlight(String runId, String taskId) {
        return get(runId, taskId) != null;
    }

    int inFlight(String runId) {
        Map<String, Slot> slots = byRun.get(runId);
        return slots == null ? 0 : slots.size();
    }

    /** Slots free on the node. */
    int free() {
        return pool.free();
    }

    void await(String runId, String taskId, int rerunAttempt) {
        waiting.add(new Waiting(runId, taskId, rerunAttempt));
        waitingCount = waiting.size();
    }

    /** The next task waiting for a slot, if a slot is free. */
    Waiting nextWaiting() {
        Waiting next = free() > 0 ? waiting.poll() : null;
        waitingCount = waiting.size();
        return next;
    }

    int waiting() {
        return waitingCount;
    }
}
