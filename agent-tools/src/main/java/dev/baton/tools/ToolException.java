package dev.baton.tools;

import java.time.Duration;

/**
 * A tool call that failed in a way the tool understands. {@link #retryable()} tells the
 * orchestrator whether another attempt may succeed (a 503, a timeout) or not (a 404, bad input).
 * Any other exception thrown by a tool counts as retryable with code {@code tool_error}.
 */
public class ToolException extends Exception {
    private final String code;
    private final boolean retryable;
    private final Duration retryAfter;

    public ToolException(String code, String message, boolean retryable, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    /** Another attempt may succeed. */
    public static ToolException retryable(String code, String message) {
        return new ToolException(code, message, true, null, null);
    }

    /** Another attempt may succeed, but not before {@code retryAfter} (a server's {@code Retry-After}). */
    public static ToolException retryable(String code, String message, Duration retryAfter) {
        return new ToolException(code, message, true, retryAfter, null);
    }

    /** Trying again with the same arguments would fail the same way. */
    public static ToolException permanent(String code, String message) {
        return new ToolException(code, message, false, null, null);
    }

    /** A short machine-readable reason, e.g. {@code http_503}, {@code host_not_allowed}. */
    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }

    /** A lower bound on the delay before the next attempt, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
