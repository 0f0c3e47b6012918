package dev.baton.runtime.run;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Verdict;

import java.time.Instant;

/**
 * What of an event, besides its type, picks its row in a {@link TransitionTable}: a failed
 * attempt with a {@code retryAt} waits to retry, one without has failed for good, and so on.
 */
public enum When {
    ALWAYS(""),
    /** A failed attempt that is tried again at its {@code retryAt}. */
    RETRY("retryAt"),
    /** A failed attempt with no {@code retryAt}: the call has failed for good. */
    GIVE_UP("no retryAt"),
    APPROVE("approve"),
    REJECT("reject"),
    /** A proposed plan that waits for a person's approval. */
    NEEDS_APPROVAL("needsApproval"),
    NO_APPROVAL("no approval");

    private final String label;

    When(String label) {
        this.label = label;
    }

    /** How a diagram or a message shows the guard. */
    public String label() {
        return label;
    }

    /** Whether the guard can be asked of events of this type. */
    public boolean appliesTo(Class<? extends EventData> event) {
        return switch (this) {
            case ALWAYS -> true;
            case RETRY, GIVE_UP -> event == EventData.TaskAttemptFailed.class || event == EventData.FallbackAttemptFailed.class
                    || event == EventData.CompensationAttemptFailed.class;
            case APPROVE, REJECT -> event == EventData.ApprovalDecided.class;
            case NEEDS_APPROVAL, NO_APPROVAL -> event == EventData.PlanProposed.class;
        };
    }

    boolean holds(EventData event) {
        return switch (this) {
            case ALWAYS -> true;
            case RETRY -> retryAt(event) != null;
            case GIVE_UP -> retryAt(event) == null;
            case APPROVE -> ((EventData.ApprovalDecided) event).decision() == Verdict.APPROVE;
            case REJECT -> ((EventData.ApprovalDecided) event).decision() != Verdict.APPROVE;
            case NEEDS_APPROVAL -> ((EventData.PlanProposed) event).needsApproval();
            case NO_APPROVAL -> !((EventData.PlanProposed) event).needsApproval();
        };
    }

    private static Instant retryAt(EventData event) {
        if (event instanceof EventData.TaskAttemptFailed e) return e.retryAt();
        if (event instanceof EventData.FallbackAttemptFailed e) return e.retryAt();
        return ((EventData.CompensationAttemptFailed) event).retryAt();
    }
}
