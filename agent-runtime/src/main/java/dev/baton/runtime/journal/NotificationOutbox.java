package dev.baton.runtime.journal;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Notifications waiting to be sent, kept next to the journal so that a crash neither loses nor
 * doubles one: each is stored once per (rule, event key), and stays PENDING until its webhook
 * accepted it. A sender looks at the {@link #due} messages, {@link #claim}s each before sending it
 * (so that two nodes never send one at the same time), sends them (with the message's key as the
 * idempotency key, since a crash between sending and {@link #sent} sends it again), and records
 * the outcome. Calls block: use them off the event loop.
 */
public interface NotificationOutbox {

    /** PENDING until sent, SENT once accepted, FAILED after the last attempt. */
    String PENDING = "PENDING";
    String SENT = "SENT";
    String FAILED = "FAILED";

    /**
     * One notification.
     *
     * @param rule      the rule that asked for it
     * @param eventKey  what it is about, unique within the rule (e.g. a run id and event seq)
     * @param url       the webhook
     * @param body      the JSON body
     * @param attempts  sends tried so far
     * @param nextAt    when the next attempt is due
     * @param lastError why the last attempt failed, or null
     */
    record Message(String rule, String eventKey, String url, String body, String status, int attempts,
                   Instant createdAt, Instant nextAt, Instant sentAt, String lastError) {
    }

    /** Stores a new PENDING message due now; false (and nothing changed) if the rule already has this event key. */
    boolean add(String rule, String eventKey, String url, String body, Instant now);

    /** PENDING messages due at {@code now}, the longest due first. */
    List<Message> due(Instant now, int limit);

    /**
     * Takes a message that {@link #due} listed for this sender to send now: only if it is still PENDING
     * with the same {@code nextAt} and {@code attempts} as {@code seen}, its {@code nextAt} moves to
     * {@code until} (compare-and-set, one statement). So of several senders that share the outbox (nodes on
     * one database) one takes it and the others skip it; a sender that dies holding it leaves it due again
     * at {@code until}, for another to send. False if another sender took it first or it changed.
     */
    boolean claim(Message seen, Instant until);

    /**
     * For the outbox's only sender, at its start (a journal no other server shares: H2, memory): every
     * PENDING message scheduled for later is due now, so that what this sender held when it died (a
     * claim) or was waiting out (a backoff) goes out at once rather than after the claim's hold. Never
     * with other senders, whose claims it would break. Returns how many it made due.
     */
    int dueNow(Instant now);

    Optional<Message> find(String rule, String eventKey);

    void sent(String rule, String eventKey, int attempts, Instant at);

    void retryLater(String rule, String eventKey, int attempts, Instant nextAt, String error);

    void failed(String rule, String eventKey, int attempts, String error);

    /** Messages per status. */
    Map<String, Long> counts();
}
