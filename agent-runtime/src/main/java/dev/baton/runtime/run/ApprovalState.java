package dev.baton.runtime.run;

import java.time.Instant;

/**
 * The approval of one task, as the API shows it.
 *
 * @param status    PENDING, APPROVED, REJECTED or EXPIRED
 * @param expiresAt null when it never expires
 * @param onTimeout {@code reject} or {@code escalate}
 * @param escalated the approval outlived its time under the escalate policy: only an admin may decide it now
 */
public record ApprovalState(String status, Instant requestedAt, Instant expiresAt, String onTimeout, boolean escalated,
                            String decidedBy, String comment, Instant decidedAt) {

    public static ApprovalState requested(Instant at, Instant expiresAt, String onTimeout) {
        return new ApprovalState("PENDING", at, expiresAt, onTimeout, false, null, null, null);
    }

    ApprovalState decided(String newStatus, String by, String text, Instant at) {
        return new ApprovalState(newStatus, requestedAt, expiresAt, onTimeout, escalated, by, text, at);
    }

    ApprovalState escalate() {
        return new ApprovalState(status, requestedAt, expiresAt, onTimeout, true, decidedBy, comment, decidedAt);
    }
}
