package dev.baton.runtime.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A person's decision on an approval, as {@link EventData.ApprovalDecided} records it. The journal
 * and the API write it in lower case, {@code approve} or {@code reject}, as the request says it.
 */
public enum Verdict {
    APPROVE,
    REJECT;

    /** The JSON name: {@code approve} or {@code reject}. */
    @JsonValue
    public String wire() {
        return this == APPROVE ? "approve" : "reject";
    }

    /** The verdict of a JSON name; throws {@link IllegalArgumentException} naming any other value. */
    @JsonCreator
    public static Verdict ofWire(String text) {
        for (Verdict v : values()) if (v.wire().equals(text)) return v;
        throw new IllegalArgumentException("decision '" + text + "' is neither 'approve' nor 'reject'");
    }

    /** As it is written: {@code approve} or {@code reject} (so messages and logs read as before). */
    @Override
    public String toString() {
        return wire();
    }

    public static Verdict of(boolean approve) {
        return approve ? APPROVE : REJECT;
    }
}
