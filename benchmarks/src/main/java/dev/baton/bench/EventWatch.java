package dev.baton.bench;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.orchestrator.Orchestrator;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Listens to {@link Orchestrator#EVENTS_ADDRESS} as a client would: counts events by type,
 * notes when each run finished, and hands every event to an optional tap.
 */
final class EventWatch implements AutoCloseable {

    /** A run's last event and when this listener heard it ({@link System#nanoTime()}). */
    record Finish(RunEvent event, long nanos) {
        boolean succeeded() {
            return event.data() instanceof EventData.RunSucceeded;
        }
    }

    private final Vertx vertx;
    private String deploymentId;
    private volatile String thread = "?";
    private final Map<String, CompletableFuture<Finish>> finished = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byType = new ConcurrentHashMap<>();
    private final LongAdder events = new LongAdder();
    private volatile Consumer<RunEvent> tap;

    private EventWatch(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Subscribes from a verticle of its own, and returns once the subscription is in place. A
     * verticle gets the next event loop in turn (one that is not the orchestrator's: a consumer
     * registered from the main thread would share the main thread's sticky event loop with the
     * orchestrator, also started from the main thread).
     */
    static EventWatch on(Vertx vertx) throws Exception {
        // The orchestrator, started from this (non-Vert.x) thread, runs on this thread's sticky event loop.
        CompletableFuture<String> stickyLoop = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> stickyLoop.complete(Thread.currentThread().getName()));
        String avoid = stickyLoop.get(10, TimeUnit.SECONDS);
        EventWatch watch = new EventWatch(vertx);
        for (int attempt = 0; attempt < 16; attempt++) {
            CompletableFuture<String> loop = new CompletableFuture<>();
            String id = vertx.deployVerticle(new AbstractVerticle() {
                @Override
                public void start(Promise<Void> started) {
                    loop.complete(Thread.currentThread().getName());
                    MessageConsumer<RunEvent> consumer = vertx.eventBus().consumer(Orchestrator.EVENTS_ADDRESS, m -> watch.heard(m.body()));
                    consumer.completion().onComplete(started);
                }
            }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            watch.thread = loop.get(10, TimeUnit.SECONDS);
            watch.deploymentId = id;
            if (!watch.thread.equals(avoid)) break;
            // Deployments take the event loops in turn: this one landed on the orchestrator's; take the next.
            vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        return watch;
    }

    /** The thread the listener hears events on. */
    String thread() {
        return thread;
    }

    private void heard(RunEvent event) {
        long now = System.nanoTime();
        events.increment();
        byType.computeIfAbsent(event.type(), t -> new LongAdder()).increment();
        EventData data = event.data();
        if (data instanceof EventData.RunSucceeded || data instanceof EventData.RunFailed || data instanceof EventData.RunCancelled) {
            finished.computeIfAbsent(event.runId(), id -> new CompletableFuture<>()).complete(new Finish(event, now));
        }
        Consumer<RunEvent> t = tap;
        if (t != null) t.accept(event);
    }

    /** Completes when the run's final event is heard (it may have been heard already). */
    CompletableFuture<Finish> finish(String runId) {
        return finished.computeIfAbsent(runId, id -> new CompletableFuture<>());
    }

    void forget(String runId) {
        finished.remove(runId);
    }

    void tap(Consumer<RunEvent> consumer) {
        this.tap = consumer;
    }

    long events() {
        return events.sum();
    }

    long count(String type) {
        LongAdder a = byType.get(type);
        return a == null ? 0 : a.sum();
    }

    /** Events heard so far, by type. */
    Map<String, Long> byType() {
        Map<String, Long> copy = new TreeMap<>();
        byType.forEach((type, n) -> copy.put(type, n.sum()));
        return copy;
    }

    @Override
    public void close() throws Exception {
        vertx.undeploy(deploymentId).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
