package dev.baton.runtime.trigger;

/**
 * An event came without what lets it in: a valid Standard Webhooks signature for a trigger with a
 * secret (see {@link Signatures}), or credentials. Answered 401; nothing started.
 */
public final class BadSignature extends RuntimeException {
    public BadSignature(String message) {
        super(message, null, false, false);
    }
}
