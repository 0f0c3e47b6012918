package dev.baton.plan.condition;

/** A condition that does not parse; the message names what is wrong and where (1-based position). */
public final class ConditionException extends Exception {
    private final int position;

    public ConditionException(String message, int position) {
        super(message + " at " + position);
        this.position = position;
    }

    /** Where the problem is, counting the condition's first character as 1. */
    public int position() {
        return position;
    }
}
