package dev.baton.runtime.model;

import dev.baton.runtime.BatonException;

/**
 * A model call that failed for good, after the gateway's retries. The message says what happened in
 * words a person can act on and never contains the API key or an {@code Authorization} header; text
 * copied from the endpoint's answer is sanitised first.
 *
 * <p>Codes: {@link #RATE_LIMITED}, {@link #UNAVAILABLE}, {@link #TIMEOUT}, {@link #BAD_RESPONSE},
 * {@link #REJECTED}. {@link #retryable()} says whether trying again later may help (the gateway has
 * already retried as often as configured).
 */
public class ModelException extends BatonException {

    /** HTTP 429 on every attempt. */
    public static final String RATE_LIMITED = "model_rate_limited";
    /** HTTP 5xx, or the endpoint could not be reached (connection refused, unknown host, I/O error). */
    public static final String UNAVAILABLE = "model_unavailable";
    /** The endpoint did not answer within the configured timeout. */
    public static final String TIMEOUT = "model_timeout";
    /** The endpoint answered something that is not a valid chat completion (e.g. truncated JSON). */
    public static final String BAD_RESPONSE = "model_bad_response";
    /** The endpoint refused the request: HTTP 4xx other than 408/429 (bad request, bad key, unknown model). */
    public static final String REJECTED = "model_rejected";

    private final boolean retryable;
    private final int httpStatus;
    private final int attempts;

    public ModelException(String code, String message, boolean retryable, int httpStatus, int attempts) {
        super(Kind.UNAVAILABLE, code, message);
        this.retryable = retryable;
        this.httpStatus = httpStatus;
        this.attempts = attempts;
    }

    /** Whether the failure is transient (rate limit, 5xx, timeout, I/O), so a later call may succeed. */
    public boolean retryable() {
        return retryable;
    }

    /** The HTTP status of the last attempt, or 0 when there was none (timeout, I/O error, bad body). */
    public int httpStatus() {
        return httpStatus;
    }

    /** HTTP attempts made before giving up. */
    public int attempts() {
        return attempts;
    }
}
