package dev.baton.plan;

import dev.baton.plan.condition.ConditionException;
import dev.baton.plan.condition.ConditionParser;
import dev.baton.plan.condition.Expr;

import java.util.Objects;
import java.util.Set;

/**
 * How a task fits the run's flow beyond "run once every dependency succeeded": a condition, a
 * join, a fallback, whether the run goes on without it, and how to undo it. {@link #NONE} for a
 * plain task. The condition is parsed once here; a condition that does not parse has a
 * {@link #conditionError()} (the validator reports it) and no {@link #condition()}.
 */
public final class Flow {

    /** {@code all}: every dependency succeeded. {@code any}: all finished, at least one succeeded. */
    public enum Join {
        ALL, ANY;

        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A plain task: no condition, join all, no fallback, fails the run, nothing to undo. */
    public static final Flow NONE = new Flow(null, Join.ALL, null, false, null);

    private final String when;
    private final Join join;
    private final TaskAction fallback;
    private final boolean continueOnError;
    private final TaskAction.ToolCall compensate;
    private final Expr condition;
    private final ConditionException conditionError;
    /** The tasks the condition reads, computed once: the scheduler asks for every task's dependencies often. */
    private final Set<String> conditionTaskIds;

    /**
     * @param when            the condition's text, or null
     * @param join            null for {@link Join#ALL}
     * @param fallback        a {@link TaskAction.ToolCall} or {@link TaskAction.AgentCall}, or null
     * @param continueOnError whether the run goes on when the task fails for good
     * @param compensate      the tool call that undoes the task, or null
     */
    public Flow(String when, Join join, TaskAction fallback, boolean continueOnError, TaskAction.ToolCall compensate) {
        if (fallback instanceof TaskAction.Wait) throw new IllegalArgumentException("a fallback is a tool call or an agent task");
        this.when = when;
        this.join = join == null ? Join.ALL : join;
        this.fallback = fallback;
        this.continueOnError = continueOnError;
        this.compensate = compensate;
        ConditionParser.Parsed parsed = null;
        ConditionException error = null;
        if (when != null) {
            try {
                parsed = ConditionParser.parsed(when);
            } catch (ConditionException e) {
                error = e;
            }
        }
        this.condition = parsed == null ? null : parsed.expr();
        this.conditionError = error;
        this.conditionTaskIds = parsed == null ? java.util.Set.of() : parsed.taskIds();
    }

    public String when() { return when; }
    public Join join() { return join; }
    public TaskAction fallback() { return fallback; }
    public boolean continueOnError() { return continueOnError; }
    public TaskAction.ToolCall compensate() { return compensate; }

    /** The parsed condition, or null when there is none or it does not parse. */
    public Expr condition() { return condition; }

    /** Why the condition does not parse, or null. */
    public ConditionException conditionError() { return conditionError; }

    /** Whether this is a plain task's flow. */
    public boolean plain() {
        return when == null && join == Join.ALL && fallback == null && !continueOnError && compensate == null;
    }

    /** The tasks the condition reads (output, status or error): they become dependencies. */
    public Set<String> conditionTaskIds() {
        return conditionTaskIds;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Flow f && Objects.equals(when, f.when) && join == f.join && Objects.equals(fallback, f.fallback)
                && continueOnError == f.continueOnError && Objects.equals(compensate, f.compensate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(when, join, fallback, continueOnError, compensate);
    }

    @Override
    public String toString() {
        return "Flow[when=" + when + ", join=" + join + ", fallback=" + fallback + ", continueOnError=" + continueOnError
                + ", compensate=" + compensate + "]";
    }
}
