package dev.baton.runtime.model;

/**
 * Model usage of a run or a task.
 *
 * @param calls            calls the model answered (each counts once, however many attempts it took;
 *                         failed calls and cache hits are not counted here)
 * @param promptTokens     prompt (input) tokens the model reported
 * @param completionTokens completion (output) tokens the model reported
 * @param cachedCalls      calls answered from the cache, which spent no tokens
 */
public record Usage(long calls, long promptTokens, long completionTokens, long cachedCalls) {

    public static final Usage NONE = new Usage(0, 0, 0, 0);

    public Usage(long calls, long promptTokens, long completionTokens) {
        this(calls, promptTokens, completionTokens, 0);
    }

    public long totalTokens() {
        return promptTokens + completionTokens;
    }

    public Usage plus(Usage other) {
        return new Usage(calls + other.calls, promptTokens + other.promptTokens,
                completionTokens + other.completionTokens, cachedCalls + other.cachedCalls);
    }
}
