package dev.baton.runtime.run;

/** Where a task's approval stands, as the API shows it ({@code approval.status}). */
public enum ApprovalStatus {
    /** Waiting for a person (escalated or not). */
    PENDING,
    APPROVED,
    /** A person rejected it, or the run was cancelled while it waited. */
    REJECTED,
    /** Its time ran out under the reject policy. */
    EXPIRED
}
