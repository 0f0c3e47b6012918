package dev.baton.runtime.model;

import java.time.Duration;

/**
 * One finished gateway call, as reported to {@link ModelCallListener}s: answered by the model, served
 * from the cache, or failed for good. Holds no prompt text and never the API key.
 *
 * @param context          whom the call was for
 * @param model            the model name asked for
 * @param promptTokens     tokens the model read (0 for a cache hit or a failure)
 * @param completionTokens tokens the model wrote (0 for a cache hit or a failure)
 * @param duration         wall time from entering the gateway to the answer or the final error,
 *                         including waits for a permit and back-offs
 * @param cached           whether the answer came from the cache (no HTTP request, no tokens spent)
 * @param attempts         HTTP attempts made (0 for a cache hit)
 * @param finishReason     the model's finish reason (e.g. {@code STOP}, {@code TOOL_EXECUTION}), or null
 * @param errorCode        on failure, the {@link ModelException#code()}; null on success
 * @param errorMessage     on failure, the sanitised message; null on success
 */
public record ModelCall(CallContext context, String model, long promptTokens, long completionTokens, Duration duration,
                        boolean cached, int attempts, String finishReason, String errorCode, String errorMessage) {

    /** Whether the call ended in an answer (from the model or the cache). */
    public boolean succeeded() {
        return errorCode == null;
    }
}
