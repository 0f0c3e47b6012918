package dev.baton.runtime.journal;

import java.util.List;

/** One page of tickets, newest first; {@code next} is the cursor of the following page, or null. */
public record TicketPage(List<TicketRecord> tickets, String next) {
}
