package dev.baton.runtime.orchestrator;

import dev.baton.runtime.decider.Outcome;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs tool calls and agent loops, which block, away from the event loop: on virtual threads when
 * the JVM has them (21+), on platform threads otherwise.
 *
 * <h2>Calls that do not stop</h2>
 * The orchestrator bounds the calls in flight ({@link OrchestratorOptions#maxConcurrentCalls()}).
 * When a call times out or its run is cancelled, the orchestrator frees its slot at once and
 * {@linkplain Call#interrupt interrupts} it. A tool that ignores the interrupt keeps its thread;
 * such a call is <em>abandoned</em> once it is still running {@link #STOP_GRACE} later: a WARN line
 * names the tool, the run and the task, {@link OrchestratorMetrics#abandonedCalls()} counts it until
 * it returns, and when it returns another WARN line says so (its late result is ignored).
 *
 * <p>An abandoned call must not hold a thread others need, so the platform threads are a pool that
 * grows past them (a cached pool: idle threads end after a minute) rather than a fixed one, in which
 * every new call would queue behind the stuck ones and time out without ever running. The ceiling is
 * {@link #THREADS_PER_SLOT} × maxConcurrentCalls calls running at once (1,024 by default), counted
 * here on both kinds of thread: at most three slots' worth of abandoned calls beside a full
 * complement of live ones. Past it a new call is not started: it fails at once with the retryable
 * {@code tool_threads_exhausted} (a WARN line, {@link OrchestratorMetrics#callsRefused()}), so that
 * a tool stuck for good cannot take the process's threads without limit.
 */
final class TaskExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskExecutor.class);

    /**
     * System property: {@code platform} runs calls on platform threads even where virtual threads
     * exist (for tests of the JDK 17 path; and for tools that spin on the CPU without blocking,
     * which would hold a virtual thread's carrier).
     */
    static final String THREADS_PROPERTY = "baton.toolThreads";
    /** How long an interrupted call may take to return before it counts as abandoned. */
    static final Duration STOP_GRACE = Duration.ofSeconds(1);
    /** Calls running at once (live and abandoned) per call slot, at most. */
    static final int THREADS_PER_SLOT = 4;

    private final ExecutorService executor;
    private final boolean virtual;
    private final OrchestratorMetrics metrics;
    private final int maxRunning;
    /** Calls whose thread is running: those in flight and the abandoned ones. */
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicBoolean exhausted = new AtomicBoolean();
    /** Looks again at interrupted calls after {@link #STOP_GRACE}. */
    private final ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "baton-tool-watch");
        thread.setDaemon(true);
        return thread;
    });

    TaskExecutor(int maxConcurrentCalls, OrchestratorMetrics metrics) {
        ExecutorService virtualExecutor = "platform".equals(System.getProperty(THREADS_PROPERTY)) ? null : virtualThreadExecutor();
        this.virtual = virtualExecutor != null;
        this.executor = virtual ? virtualExecutor : Executors.newCachedThreadPool(platformThreads());
        this.metrics = metrics;
        this.maxRunning = (int) Math.min(Integer.MAX_VALUE, (long) THREADS_PER_SLOT * maxConcurrentCalls);
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

    /** Calls a tool; {@code context} names the run, task and attempt for the log. */
    Call submit(BatonTool tool, JsonNode args, ToolContext context) {
        return submit("tool", tool.descriptor().name(), context.runId(), context.taskId(), context.attempt(),
                () -> invoke(tool, args, context));
    }

    /** Runs other blocking work (an agent loop, {@code kind} "agent") the same way; an exception becomes a retryable failure. */
    Call submit(String kind, String name, String runId, String taskId, int attempt, Callable<Outcome> work) {
        Call call = new Call(new OrchestratorMetrics.CallKey(kind, name), runId, taskId, attempt);
        if (running.incrementAndGet() > maxRunning) {
            running.decrementAndGet();
            refuse(call);
            return call;
        }
        if (exhausted.compareAndSet(true, false)) {
            LOG.warn("tool threads are available again: {} calls running, at most {}", running.get(), maxRunning);
        }
        try {
            executor.execute(() -> run(call, work));
        } catch (RejectedExecutionException e) { // closed
            running.decrementAndGet();
            call.outcome.complete(new Outcome.Failure("shutting_down", "the server is shutting down", true, null));
        }
        return call;
    }

    private void refuse(Call call) {
        metrics.callsRefused.increment();
        int abandoned = metrics.abandonedCalls();
        if (exhausted.compareAndSet(false, true)) {
            LOG.warn("{} '{}' of run {} task '{}' not started: {} calls are running, the most allowed ({} x maxConcurrentCalls),"
                            + " {} of them abandoned after their timeout or cancel; new calls fail with tool_threads_exhausted until some return",
                    call.key.kind(), call.key.name(), call.runId, call.taskId, maxRunning, THREADS_PER_SLOT, abandoned);
        }
        call.outcome.complete(new Outcome.Failure("tool_threads_exhausted", abandoned + " calls past their timeout (or cancelled) still"
                + " hold threads and " + maxRunning + " calls may run at once: the call was not started", true, null));
    }

    private void run(Call call, Callable<Outcome> work) {
        if (!call.begin()) { // interrupted before it started: nothing to abandon
            running.decrementAndGet();
            return;
        }
        // No trace id here: lines logged inside a span (the attempt's, a call's) get its trace id from the log layout.
        try (var scope = dev.baton.runtime.LogContext.run(call.runId, call.taskId, null)) {
            try {
                call.outcome.complete(work.call());
            } catch (Throwable e) {
                call.outcome.complete(new Outcome.Failure("internal_error", String.valueOf(e), true, null));
            } finally {
                running.decrementAndGet();
                call.end();
            }
        }
    }

    /** Calls the tool on this thread; whatever it throws becomes a failed outcome. */
    static Outcome invoke(BatonTool tool, JsonNode args, ToolContext context) {
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

    /**
     * A call: its result, and a handle to interrupt it on timeout or cancel. The interrupt reaches the
     * call's thread only while this call runs on it (never a later call the pool gave the same thread).
     */
    final class Call {
        private static final int QUEUED = 0, RUNNING = 1, INTERRUPTED = 2, ABANDONED = 3, DONE = 4;

        private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        private final OrchestratorMetrics.CallKey key;
        private final String runId;
        private final String taskId;
        private final int attempt;
        /** Guarded by {@code this}, like {@link #thread}. */
        private int state = QUEUED;
        private Thread thread;
        private String why;
        private long abandonedNanos;

        private Call(OrchestratorMetrics.CallKey key, String runId, String taskId, int attempt) {
            this.key = key;
            this.runId = runId;
            this.taskId = taskId;
            this.attempt = attempt;
        }

        CompletableFuture<Outcome> outcome() {
            return outcome;
        }

        /**
         * Gives the call up ({@code why}: "it timed out", "its run was cancelled"): interrupts its thread,
         * and abandons it if it is still running {@link #STOP_GRACE} later. The orchestrator has
         * already stopped counting it; whatever it returns is ignored.
         */
        void interrupt(String why) {
            synchronized (this) {
                if (state != QUEUED && state != RUNNING) return;
                boolean started = state == RUNNING;
                state = started ? INTERRUPTED : DONE;
                this.why = why;
                if (!started) return; // never runs
                thread.interrupt();
            }
            try {
                watch.schedule(this::abandonIfRunning, STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // shutting down: every call is interrupted anyway
            }
        }

        private boolean begin() {
            synchronized (this) {
                if (state != QUEUED) return false;
                state = RUNNING;
                thread = Thread.currentThread();
                return true;
            }
        }

        private void abandonIfRunning() {
            int now;
            synchronized (this) {
                if (state != INTERRUPTED) return;
                state = ABANDONED;
                abandonedNanos = System.nanoTime();
                now = metrics.abandoned(key, 1);
            }
            LOG.warn("{} '{}' of run {} task '{}' (attempt {}) still runs {} ms after it was interrupted because {}: its thread is"
                            + " abandoned, it no longer holds a call slot, and what it returns will be ignored ({} abandoned calls running)",
                    key.kind(), key.name(), runId, taskId, attempt, STOP_GRACE.toMillis(), why, now);
        }

        private void end() {
            int before;
            synchronized (this) {
                before = state;
                state = DONE;
                thread = null;
                if (before == ABANDONED) metrics.abandoned(key, -1);
            }
            // An interrupt meant for this call must not reach the next call the pool runs on this thread.
            Thread.interrupted();
            if (before == ABANDONED) {
                LOG.warn("{} '{}' of run {} task '{}' (attempt {}), abandoned because {}, returned {} s later; its result is ignored",
                        key.kind(), key.name(), runId, taskId, attempt, why,
                        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - abandonedNanos) / 1e9));
            }
        }
    }

    @Override
    public void close() {
        watch.shutdownNow();
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
