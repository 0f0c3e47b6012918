package dev.baton.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.time.Duration;
import java.util.Locale;

/**
 * A plan's approval settings for a task. JSON: {@code "approval": "required"} or
 * {@code {"required": true, "timeout": "PT1H", "onTimeout": "reject"|"escalate"}}.
 * A plan can add a gate; it can never remove one that the tool or a policy sets.
 *
 * @param required  the task waits for a person's decision before it runs
 * @param timeout   how long the approval may wait, or null for no limit
 * @param onTimeout what happens when the timeout passes
 */
public record ApprovalSpec(boolean required, Duration timeout, ExpiryPolicy onTimeout) {

    public ApprovalSpec {
        onTimeout = onTimeout == null ? ExpiryPolicy.REJECT : onTimeout;
    }

    public static final ApprovalSpec REQUIRED = new ApprovalSpec(true, null, ExpiryPolicy.REJECT);

    /** What an expired approval does. In JSON (plans, the journal) it is written in lower case: {@code reject}, {@code escalate}. */
    public enum ExpiryPolicy {
        /** The task is rejected (approval status EXPIRED) and its dependants are skipped. */
        REJECT,
        /** The task keeps waiting, flagged as escalated; from then on only an admin may decide it. */
        ESCALATE;

        /** The JSON name: {@code reject} or {@code escalate}. */
        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The policy of a JSON name; throws {@link IllegalArgumentException} naming the value otherwise. */
        @JsonCreator
        public static ExpiryPolicy ofWire(String text) {
            for (ExpiryPolicy p : values()) if (p.wire().equals(text)) return p;
            throw new IllegalArgumentException("onTimeout '" + text + "' is neither 'reject' nor 'escalate'");
        }
    }
}
