package dev.baton.runtime.agent;

import java.time.Duration;

/**
 * How far one attempt of an agent task may go before it is stopped.
 *
 * @param maxSteps  model calls per attempt; a model still asking for tools after the last one fails the
 *                  task with {@code agent_step_limit}
 * @param maxTokens prompt plus completion tokens per attempt ({@code agent_token_limit})
 * @param timeout   wall time of one start of the loop ({@code agent_timeout}); a loop resumed after an
 *                  approval gets the time anew
 */
public record AgentLimits(int maxSteps, long maxTokens, Duration timeout) {

    /** 16 model calls, 50,000 tokens, 5 minutes: room for a dozen sequential tool calls and an answer. */
    public static final AgentLimits DEFAULT = new AgentLimits(16, 50_000, Duration.ofMinutes(5));

    public AgentLimits {
        if (maxSteps < 1) throw new IllegalArgumentException("maxSteps must be at least 1");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1");
        timeout = timeout == null ? DEFAULT.timeout() : timeout;
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        // Bounded like every duration a plan may name: an agent's timer must not overflow.
        if (timeout.compareTo(dev.baton.plan.PlanParser.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("timeout must be at most " + dev.baton.plan.PlanParser.MAX_DURATION_TEXT + " (ten years)");
        }
    }

    public AgentLimits withMaxSteps(int value) {
        return new AgentLimits(value, maxTokens, timeout);
    }

    public AgentLimits withMaxTokens(long value) {
        return new AgentLimits(maxSteps, value, timeout);
    }

    public AgentLimits withTimeout(Duration value) {
        return new AgentLimits(maxSteps, maxTokens, value);
    }
}
