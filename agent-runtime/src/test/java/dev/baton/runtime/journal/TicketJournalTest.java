package dev.baton.runtime.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.baton.runtime.journal.TestRun.T0;
import static dev.baton.runtime.journal.TestRun.planAccepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tickets projection ({@code baton_tickets}) behaves alike on memory, H2 and PostgreSQL: a
 * ticket run creates its ticket, task outputs' {@code ticket} objects and run events move it
 * through its statuses, a re-route moves it to a new run, listing filters and pages without
 * replaying runs, and a person's confirmation is kept as a labelled example that survives a reopen.
 */
class TicketJournalTest {

    private final List<AutoCloseable> open = new ArrayList<>();
    private PostgresTestDatabase db;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) c.close();
        if (db != null) db.close();
    }

    private String url(String kind) throws Exception {
        return switch (kind) {
            case "memory" -> "memory";
            case "h2" -> "jdbc:h2:file:" + Files.createTempDirectory("baton-tickets-").resolve("journal").toAbsolutePath();
            default -> {
                db = PostgresTestDatabase.create();
                yield db.url();
            }
        };
    }

    private Journal open(String url) {
        Journal j = Journals.open(url, Path.of("target"));
        open.add(j);
        return j;
    }

    private static void write(Journal j, List<RunEvent> events) throws Exception {
        j.append(events).get(10, TimeUnit.SECONDS);
    }

    private static EventData.RunCreated ticketRun(String ticketId, String action, String subject) {
        ObjectNode input = Json.object().put("ticketId", ticketId).put("subject", subject).put("body", "body of " + subject)
                .put("externalId", "ext-" + ticketId);
        input.putObject("customer").put("email", "a@example.com");
        ObjectNode options = Json.object();
        options.putObject("ticket").put("id", ticketId).put("action", action);
        return new EventData.RunCreated("Triage " + subject, input, options, null, null);
    }

    /** The output of the ticket tool step {@code task} ({@code classify} is {@code tickets.classify}, ...). */
    private static EventData.TaskSucceeded output(String task, ObjectNode ticket) {
        return output(task, "tickets." + task, ticket);
    }

    private static EventData.TaskSucceeded output(String task, String tool, ObjectNode ticket) {
        ObjectNode out = Json.object().put("anything", 1);
        out.set("ticket", ticket);
        return new EventData.TaskSucceeded(task, 1, out, tool);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2", "postgres"})
    void aTicketFollowsItsRunsAndIsListedWithoutReplayingThem(String kind) throws Exception {
        String url = url(kind);
        Journal j = open(url);
        TestRun run = new TestRun("r_1", T0);
        // Triaged, then waiting for review.
        write(j, run.next(ticketRun("t_1", "create", "card missing"), planAccepted(),
                output("classify", Json.object().put("category", "card_arrival").put("confidence", 0.31)
                        .put("method", "classifier").put("queue", "cards").put("priority", "P3")
                        .put("reviewReason", "confidence 0.31 is below the review threshold 0.50")),
                new EventData.ApprovalRequested("route", "Route", "tickets.route", Json.object(), null, ExpiryPolicy.REJECT)));
        TicketRecord t = j.ticket("t_1").orElseThrow();
        assertEquals("AWAITING_APPROVAL", t.status());
        assertEquals("card missing", t.subject());
        assertEquals("ext-t_1", t.externalId());
        assertEquals("a@example.com", t.customer().path("email").asText());
        assertEquals(0.31, t.confidence(), 1e-9);
        assertEquals("cards", t.queue());
        assertNotNull(t.reviewReason());
        assertNull(t.confirmedCategory());

        // A person corrects it: approved, routed elsewhere, delivered; the correction is kept.
        write(j, run.next(new EventData.ApprovalDecided("route", Verdict.APPROVE, "alice", null, Json.object()),
                output("route", Json.object().put("category", "lost_or_stolen_card").put("queue", "security")
                        .put("priority", "P1").put("slaDueAt", "2026-01-01T00:15:00Z").put("confirmed", true)
                        .put("method", "correction")),
                output("deliver", Json.object().put("delivery", "DELIVERED")),
                new EventData.RunSucceeded(Json.object())));
        t = j.ticket("t_1").orElseThrow();
        assertEquals("ROUTED", t.status());
        assertEquals("security", t.queue());
        assertEquals("lost_or_stolen_card", t.confirmedCategory());
        assertEquals("2026-01-01T00:15:00Z", t.slaDueAt().toString());
        assertEquals("DELIVERED", t.delivery());
        assertNotNull(t.routedAt());

        // A second ticket fails its delivery; a plain run (no ticket) changes no ticket.
        TestRun second = new TestRun("r_2", T0.plusSeconds(1));
        write(j, second.next(ticketRun("t_2", "create", "transfer"), planAccepted(),
                output("route", Json.object().put("category", "cancel_transfer").put("queue", "transfers").put("priority", "P2")),
                new EventData.RunFailed(new EventData.Failure("http_503", "the webhook answered 503 six times"))));
        TestRun plain = new TestRun("r_3", T0.plusSeconds(2));
        write(j, plain.next(TestRun.created("not a ticket"), planAccepted(), new EventData.RunSucceeded(Json.object())));
        TicketRecord failed = j.ticket("t_2").orElseThrow();
        assertEquals("FAILED", failed.status());
        assertTrue(failed.error().contains("503"), failed.error());

        // Re-routing moves the ticket to a new run, TRIAGING again with the error cleared.
        TestRun reroute = new TestRun("r_4", T0.plusSeconds(3));
        write(j, List.of(reroute.next(ticketRun("t_2", "reroute", "transfer"))));
        TicketRecord moved = j.ticket("t_2").orElseThrow();
        assertEquals("TRIAGING", moved.status());
        assertEquals("r_4", moved.runId());
        assertNull(moved.error());
        write(j, reroute.next(planAccepted(), output("route", Json.object().put("category", "cancel_transfer")
                .put("queue", "transfers").put("confirmed", true)), new EventData.RunSucceeded(Json.object())));
        assertEquals("ROUTED", j.ticket("t_2").orElseThrow().status());

        // Lists: newest first, by queue and status, paged by cursor.
        TicketPage all = j.tickets(new TicketQuery(null, null, 1, null));
        assertEquals(List.of("t_2"), all.tickets().stream().map(TicketRecord::id).toList());
        TicketPage rest = j.tickets(new TicketQuery(null, null, 1, all.next()));
        assertEquals(List.of("t_1"), rest.tickets().stream().map(TicketRecord::id).toList());
        assertNull(rest.next());
        assertEquals(List.of("t_1"), j.tickets(new TicketQuery("security", "ROUTED", 10, null)).tickets().stream()
                .map(TicketRecord::id).toList());
        assertEquals(0, j.tickets(new TicketQuery(null, "FAILED", 10, null)).tickets().size());
        assertThrows(IllegalArgumentException.class, () -> j.tickets(new TicketQuery(null, null, 10, "garbage")));
        assertEquals(List.of("t_1", "t_2"), j.confirmedTickets().stream().map(TicketRecord::id).toList());

        // Durable stores keep it all across a reopen.
        if (!kind.equals("memory")) {
            j.close();
            open.remove(j);
            Journal again = open(url);
            assertEquals("lost_or_stolen_card", again.ticket("t_1").orElseThrow().confirmedCategory());
            assertEquals(2, again.confirmedTickets().size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2", "postgres"})
    void onlyTicketsRouteMayConfirmACategoryAndAnAgentsOutputIsNotBelieved(String kind) throws Exception {
        Journal j = open(url(kind));
        TestRun run = new TestRun("r_9", T0);
        write(j, run.next(ticketRun("t_9", "create", "card missing"), planAccepted(),
                // a playbook's own tool step may set fields, but not a person's confirmation
                output("lookup", "crm.lookup", Json.object().put("category", "card_arrival").put("queue", "cards")
                        .put("confirmed", true)),
                // an agent's answer is a model's words: none of it reaches the ticket
                output("think", null, Json.object().put("category", "refund").put("queue", "vip").put("confirmed", true))));
        TicketRecord t = j.ticket("t_9").orElseThrow();
        assertEquals("card_arrival", t.category());
        assertEquals("cards", t.queue(), "the agent task's ticket was ignored");
        assertNull(t.confirmedCategory(), "only tickets.route keeps a labelled example");
        assertEquals(List.of(), j.confirmedTickets().stream().map(TicketRecord::id).toList());
    }
}
