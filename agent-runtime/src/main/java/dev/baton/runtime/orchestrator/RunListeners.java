package dev.baton.runtime.orchestrator;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The orchestrator's {@link RunListener}s, told of durable events on a thread of their own: the
 * shards hand them over from the journal's commit (on their event loops) and go on at once. One
 * daemon thread, started with the first listener, so events reach every listener in order and
 * an embedding program that forgets to close still exits.
 */
final class RunListeners {

    private static final Logger LOG = LoggerFactory.getLogger(RunListeners.class);

    private final List<RunListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ExecutorService thread;
    private volatile Thread listenerThread;

    RunListener.Registration add(RunListener listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        synchronized (this) {
            if (thread == null) {
                thread = Executors.newSingleThreadExecutor(runnable -> {
                    Thread t = new Thread(runnable, "baton-listeners");
                    t.setDaemon(true);
                    listenerThread = t;
                    return t;
                });
            }
        }
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Called on a shard's context once {@code events} are durable: queues them for the listeners and returns. */
    void durable(List<RunEvent> events) {
        ExecutorService executor = thread;
        if (executor == null || listeners.isEmpty()) return;
        try {
            executor.execute(() -> {
                for (RunEvent event : events) deliver(event);
            });
        } catch (RejectedExecutionException closed) {
            // the orchestrator is closing: nobody is listening any more
        }
    }

    private void deliver(RunEvent event) {
        RunListener.ApprovalRequested approval = event.data() instanceof EventData.ApprovalRequested data
                ? RunListener.ApprovalRequested.of(event, data) : null;
        RunListener.RunFinished finished = RunListener.RunFinished.of(event);
        for (RunListener listener : listeners) {
            call(listener, event, () -> listener.onEvent(event));
            if (approval != null) call(listener, event, () -> listener.onApprovalRequested(approval));
            if (finished != null) call(listener, event, () -> listener.onRunFinished(finished));
        }
    }

    private static void call(RunListener listener, RunEvent event, Runnable call) {
        try {
            call.run();
        } catch (Throwable e) {
            LOG.warn("run listener {} failed on {} of run {}: {}", listener, event.type(), event.runId(), e.toString(), e);
        }
    }

    /** Lets what is queued reach the listeners (a second at most), then stops the thread. */
    void close() {
        ExecutorService executor = thread;
        if (executor == null) return;
        executor.shutdown();
        if (Thread.currentThread() == listenerThread) return; // closed by a listener: it cannot wait for itself
        try {
            if (!executor.awaitTermination(1, TimeUnit.SECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
