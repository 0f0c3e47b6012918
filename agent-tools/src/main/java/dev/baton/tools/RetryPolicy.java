package dev.baton.tools;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently a failed call is tried again: exponential backoff from
 * {@code initialBackoff}, multiplied by {@code multiplier} per attempt, capped at
 * {@code maxBackoff}, with a random jitter of up to {@code jitter} (a fraction) either way so
 * that many failing tasks do not retry in lockstep.
 *
 * @param maxAttempts    total attempts including the first; 1 means never retry
 * @param initialBackoff delay before the second attempt
 * @param maxBackoff     the longest delay between two attempts
 * @param multiplier     growth of the delay per attempt (2.0 doubles it)
 * @param jitter         0.0 to 1.0: the delay is drawn from {@code d * (1 +- jitter)}
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter) {

    /** Three attempts, 1 s then 2 s apart (each +-20%), never more than 1 minute. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(1), 2.0, 0.2);
    /** One attempt only. */
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0, 0.0);

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        if (initialBackoff.isNegative()) throw new IllegalArgumentException("initialBackoff must not be negative");
        if (maxBackoff.compareTo(initialBackoff) < 0) maxBackoff = initialBackoff;
        if (multiplier < 1.0) throw new IllegalArgumentException("multiplier must be at least 1.0, was " + multiplier);
        if (jitter < 0.0 || jitter > 1.0) throw new IllegalArgumentException("jitter must be between 0 and 1, was " + jitter);
    }

    /** Same policy with another number of attempts. */
    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, initialBackoff, maxBackoff, multiplier, jitter);
    }

    /** Same policy with another first delay. */
    public RetryPolicy withInitialBackoff(Duration backoff) {
        return new RetryPolicy(maxAttempts, backoff, maxBackoff.compareTo(backoff) < 0 ? backoff : maxBackoff, multiplier, jitter);
    }

    /**
     * The delay before attempt {@code nextAttempt} (2 for the first retry), jittered.
     * A server's {@code retryAfter} hint, when longer, wins.
     */
    public Duration backoff(int nextAttempt, Duration retryAfter) {
        return backoff(nextAttempt, retryAfter, ThreadLocalRandom.current().nextDouble());
    }

    /**
     * As {@link #backoff(int, Duration)}, with the jitter drawn by the caller: {@code draw} in
     * [0, 1) places the delay within the jitter's spread (0.5 is the middle). For callers that
     * must decide the same way every time, such as the run decider.
     */
    public Duration backoff(int nextAttempt, Duration retryAfter, double draw) {
        double base = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, nextAttempt - 2));
        double capped = Math.min(base, maxBackoff.toMillis());
        double spread = capped * jitter;
        long millis = Math.round(capped - spread + draw * 2 * spread);
        Duration delay = Duration.ofMillis(Math.max(0, millis));
        return retryAfter != null && retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
    }
}
