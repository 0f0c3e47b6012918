package dev.baton.runtime.journal;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The tickets: a projection of the runs of ticket triage ({@link TicketProjection}), kept up to
 * date in the same transaction as their events. Reads block; call them off the event loop.
 */
public interface TicketIndex {

    /** The ticket with this id. */
    Optional<TicketRecord> ticket(String id);

    /** Tickets, newest first, optionally of one queue and status, after a cursor from an earlier page. */
    TicketPage tickets(TicketQuery query);

    /** Tickets a person confirmed or corrected ({@link TicketRecord#confirmedCategory()} set), oldest decision first: the labelled examples. */
    List<TicketRecord> confirmedTickets();

    /**
     * The confirmed or corrected tickets last updated after {@code updatedAfter}, oldest update first: what
     * another node's people decided since a node last looked (a ticket's row is updated by every step of its
     * run, so a ticket may come back with the same decision; the caller skips what it knows).
     */
    List<TicketRecord> confirmedTicketsSince(Instant updatedAfter);
}
