package dev.baton.runtime.trigger;

/** An event for a trigger with a secret came without a valid {@code X-Baton-Signature}: answered 401, nothing started. */
public final class BadSignature extends RuntimeException {
    public BadSignature(String message) {
        super(message, null, false, false);
    }
}
