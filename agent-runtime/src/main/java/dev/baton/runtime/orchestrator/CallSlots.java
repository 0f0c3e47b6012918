package dev.baton.runtime.orchestrator;

import dev.baton.runtime.decider.Lane;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link OrchestratorOptions#maxConcurrentCalls()} call slots, and the tasks waiting for
 * one. A slot is held from the moment an attempt's call is decided until it ends, times out or
 * is stopped; its call itself starts only once the events before it are durable. Confined to
 * the orchestrator's context.
 */
final class CallSlots {
    /** A call holding a slot: which attempt on which lane, its call once started, and its timeout timer. */
    static final class Slot {
        final Lane lane;
        final int attempt;
        TaskExecutor.Call call;
        long timer = -1;

        Slot(Lane lane, int attempt) {
            this.lane = lane;
            this.attempt = attempt;
        }

        /** Stops the timer and interrupts the call, if they were started; {@code why} is for the log. */
        void stop(Vertx vertx, String why) {
            if (timer >= 0) vertx.cancelTimer(timer);
            if (call != null) call.interrupt(why);
        }
    }

    /** A task waiting for a slot; {@code rerunAttempt} > 0 for a call cut off by a crash. */
    record Waiting(String runId, String taskId, int rerunAttempt) {
    }

    private final Vertx vertx;
    private final int max;
    private final Map<String, Map<String, Slot>> byRun = new HashMap<>();
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    private int held;

    CallSlots(Vertx vertx, int max) {
        this.vertx = vertx;
        this.max = max;
    }

    /** Takes a slot for the task's attempt; a call the task still held (an older attempt) is stopped and its slot reused. */
    Slot hold(String runId, String taskId, Lane lane, int attempt) {
        Slot slot = new Slot(lane, attempt);
        Slot previous = byRun.computeIfAbsent(runId, id -> new HashMap<>(4)).put(taskId, slot);
        if (previous != null) previous.stop(vertx, "a newer attempt of its task replaced it");
        else held++;
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
        held--;
        if (slots.isEmpty()) byRun.remove(runId);
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
            held -= slots.size();
            slots.values().forEach(slot -> slot.stop(vertx, why));
        }
        waiting.removeIf(w -> w.runId().equals(runId));
    }

    boolean inFlight(String runId, String taskId) {
        return get(runId, taskId) != null;
    }

    int inFlight(String runId) {
        Map<String, Slot> slots = byRun.get(runId);
        return slots == null ? 0 : slots.size();
    }

    int inFlight() {
        return held;
    }

    int free() {
        return Math.max(0, max - held);
    }

    void await(String runId, String taskId, int rerunAttempt) {
        waiting.add(new Waiting(runId, taskId, rerunAttempt));
    }

    /** The next task waiting for a slot, if a slot is free. */
    Waiting nextWaiting() {
        return free() > 0 ? waiting.poll() : null;
    }

    int waiting() {
        return waiting.size();
    }
}
