package dev.baton.runtime.orchestrator;

import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs tool calls, which block, away from the event loop: on virtual threads when the JVM has
 * them (21+), on a fixed pool of platform threads otherwise. The orchestrator bounds how many
 * calls are in flight, so the pool never queues.
 */
final class TaskExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskExecutor.class);

    private final ExecutorService executor;
    private final boolean virtual;

    TaskExecutor(int maxConcurrentCalls) {
        ExecutorService virtualExecutor = virtualThreadExecutor();
        this.virtual = virtualExecutor != null;
        this.executor = virtual ? virtualExecutor : Executors.newFixedThreadPool(maxConcurrentCalls, platformThreads());
    }

    /** Found by reflection so that the code compiles for Java 17 and still uses virtual threads on 21+. */
    private static ExecutorService virtualThreadExecutor() {
        if (Runtime.version().feature() < 21) return null;
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException e) {
            LOG.warn("virtual threads unavailable, using a platform thread pool: {}", e.toString());
            return null;
        }
    }

    private static ThreadFactory platformThreads() {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "baton-tool-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    boolean usesVirtualThreads() {
        return virtual;
    }

    /** A running call: its result, and a handle to interrupt it on timeout or cancel. */
    record Call(CompletableFuture<Outcome> outcome, Future<?> handle) {
        void interrupt() {
            handle.cancel(true);
        }
    }

    Call submit(Tool tool, JsonNode args, ToolContext context) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Future<?> handle = executor.submit(() -> outcome.complete(invoke(tool, args, context)));
        return new Call(outcome, handle);
    }

    /** Runs other blocking work (an agent loop) the same way; an exception becomes a retryable failure. */
    Call submit(java.util.concurrent.Callable<Outcome> work) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Future<?> handle = executor.submit(() -> {
            try {
                outcome.complete(work.call());
            } catch (Throwable e) {
                outcome.complete(new Outcome.Failure("internal_error", String.valueOf(e), true, null));
            }
        });
        return new Call(outcome, handle);
    }

    private static Outcome invoke(Tool tool, JsonNode args, ToolContext context) {
        try {
            return new Outcome.Success(tool.call(args, context));
        } catch (ToolException e) {
            return new Outcome.Failure(e.code(), e.getMessage(), e.retryable(), e.retryAfter());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Failure("interrupted", "the call was interrupted", true, null);
        } catch (Exception | StackOverflowError e) {
            // Unknown failures are treated as transient: retrying is the safer default for I/O.
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            return new Outcome.Failure("tool_error", message, true, null);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
