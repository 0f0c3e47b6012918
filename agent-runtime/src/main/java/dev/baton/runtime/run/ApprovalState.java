package dev.baton.runtime.run;

import dev.baton.plan.ApprovalSpec.ExpiryPolicy;

import java.time.Instant;

/**
 * The approval of one task, as the API shows it.
 *
 * @param expiresAt null when it never expires
 * @param onTimeout what its expiry does (null in events journaled without it: reject)
 * @param escalated the approval outlived its time under the escalate policy: only an admin may decide it now
 */
public record ApprovalState(ApprovalStatus status, Instant requestedAt, Instant expiresAt, ExpiryPolicy onTimeout,
                            boolean escalated, String decidedBy, String comment, Instant decidedAt) {

    public static ApprovalState requested(Instant at, Instant expiresAt, ExpiryPolicy onTimeout) {
        return new ApprovalState(ApprovalStatus.PENDING, at, expiresAt, onTimeout, false, null, null, null);
    }

    /** Whether it waits for a person. */
    public boolean pending() {
        return status == ApprovalStatus.PENDING;
    }

    /** Whether a person approved it. */
    public boolean approved() {
        return status == ApprovalStatus.APPROVED;
    }

    ApprovalState decided(ApprovalStatus newStatus, String by, String text, Instant at) {
        return new ApprovalState(newStatus, requestedAt, expiresAt, onTimeout, escalated, by, text, at);
    }

    ApprovalState escalate() {
        return new ApprovalState(status, requestedAt, expiresAt, onTimeout, true, decidedBy, comment, decidedAt);
    }
}
