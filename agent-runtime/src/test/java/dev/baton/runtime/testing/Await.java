package dev.baton.runtime.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting on a condition, with a timeout: the one poll loop of the tests (agent-runtime's, and
 * through the test-jar web-console's). A test waits for what it needs to see, never for a
 * while; the failure names what never happened and what was seen last.
 * <pre>{@code
 * Await.until("the stuck call to start", () -> entered.get() == 1);
 * JsonNode run = Await.until("run " + id + " to fail", Duration.ofSeconds(30), () -> api.run(id),
 *         r -> r.path("status").asText().equals("FAILED"));
 * }</pre>
 * The probe is asked at once, then at growing intervals (1 ms up to 20 ms), so a condition that
 * holds soon costs little and one that takes long does not spin.
 */
public final class Await {
    /** How long {@link #until(String, BooleanSupplier)} waits. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
    private static final long MAX_PAUSE_MS = 20;

    private Await() {
    }

    /** Waits until {@code condition} holds, for at most {@link #DEFAULT_TIMEOUT}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    /** Waits until {@code condition} holds; fails with {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition::getAsBoolean, Boolean::booleanValue);
    }

    /**
     * Asks {@code probe} until its answer satisfies {@code condition}, and returns that answer;
     * fails after {@code timeout} with the last answer seen. An exception from the probe fails
     * the wait at once (see {@link #untilAnswered} for a probe that may fail for a while).
     */
    public static <T> T until(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> condition) {
        return poll(what, timeout, probe, condition, false);
    }

    /**
     * As {@link #until(String, Duration, Supplier, Predicate)}, but a probe that throws counts as
     * "not yet" (a server that is restarting, a journal that is away).
     */
    public static <T> T untilAnswered(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> condition) {
        return poll(what, timeout, probe, condition, true);
    }

    private static <T> T poll(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> condition, boolean tolerant) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 1;
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                lastError = null;
                if (condition.test(last)) return last;
            } catch (RuntimeException e) {
                if (!tolerant) throw e;
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError failure = new AssertionError("timed out after " + timeout + " waiting for " + what
                        + (lastError != null ? "; the probe last failed: " + lastError : "; last seen: " + last));
                if (lastError != null) failure.initCause(lastError);
                throw failure;
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
            pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
        }
    }
}
