package dev.baton.triage;

/** A routing table that cannot be used; the message names the source, queue and field at fault. */
public final class RoutingTableException extends IllegalArgumentException {
    public RoutingTableException(String message) {
        super(message);
    }
}
