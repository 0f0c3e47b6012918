package dev.baton.runtime.event;

import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A run's origin in the journal: a RunCreated written before origins were kept (no {@code origin},
 * only the marks in its options) reads as the same event as one written now, and the marks an
 * origin writes in the options are the ones Tickets and Triggers wrote by hand.
 */
class OriginJsonTest {
    static final Instant AT = Instant.parse("2026-03-04T05:06:07Z");
    static final Instant RECEIVED = Instant.parse("2026-03-04T05:06:07.123456Z");

    /** The options exactly as TicketService and Triggers wrote them before origins were kept. */
    static final String TICKET_OPTIONS = "{\"planner\":\"playbook\",\"ticket\":{\"id\":\"t_1\",\"action\":\"create\"}}";
    static final String REROUTE_OPTIONS = "{\"planner\":\"playbook\",\"ticket\":{\"id\":\"t_1\",\"action\":\"reroute\"}}";
    static final String SCHEDULE_OPTIONS = "{\"trigger\":{\"name\":\"nightly\",\"kind\":\"schedule\",\"scheduledAt\":\"2026-03-04T05:06:07Z\"}}";
    static final String CATCH_UP_OPTIONS = "{\"trigger\":{\"name\":\"nightly\",\"kind\":\"schedule\",\"scheduledAt\":\"2026-03-04T05:06:07Z\",\"catchUp\":true,\"playbook\":\"check\"}}";
    static final String EVENT_OPTIONS = "{\"trigger\":{\"name\":\"hook\",\"kind\":\"event\",\"eventId\":\"ev-1\",\"receivedAt\":\"2026-03-04T05:06:07.123456Z\"}}";
    /** A person's "Run now" (no older form: it came with its origin). */
    static final String MANUAL_OPTIONS = "{\"trigger\":{\"name\":\"nightly\",\"kind\":\"manual\",\"requestedBy\":\"ops\",\"requestedAt\":\"2026-03-04T05:06:07Z\"}}";
    static final String ANONYMOUS_EVENT_OPTIONS = "{\"trigger\":{\"name\":\"hook\",\"kind\":\"event\",\"eventId\":null,\"receivedAt\":\"2026-03-04T05:06:07.123456Z\",\"playbook\":\"check\"}}";

    record Case(String options, Origin origin) {
    }

    static final List<Case> CASES = List.of(
            new Case(null, Origin.CLIENT),
            new Case("{\"planApproval\":true}", Origin.CLIENT),
            new Case(TICKET_OPTIONS, new Origin.Ticket("t_1", Origin.TicketAction.CREATE)),
            new Case(REROUTE_OPTIONS, new Origin.Ticket("t_1", Origin.TicketAction.REROUTE)),
            new Case(SCHEDULE_OPTIONS, new Origin.Trigger("nightly", new Origin.Scheduled(AT, false), null)),
            new Case(CATCH_UP_OPTIONS, new Origin.Trigger("nightly", new Origin.Scheduled(AT, true), "check")),
            new Case(EVENT_OPTIONS, new Origin.Trigger("hook", new Origin.Event("ev-1", RECEIVED), null)),
            new Case(ANONYMOUS_EVENT_OPTIONS, new Origin.Trigger("hook", new Origin.Event(null, RECEIVED), "check")),
            new Case(MANUAL_OPTIONS, new Origin.Trigger("nightly", new Origin.Manual("ops", AT), null)));

    private static String created(String options, String origin) {
        return "{\"goal\":\"g\",\"input\":{\"n\":1},\"options\":" + options + ",\"idempotencyKey\":\"k\",\"requestHash\":null"
                + (origin == null ? "" : ",\"origin\":" + origin) + "}";
    }

    @Test
    void anOldRunCreatedReadsItsOriginFromTheMarksAsANewOneReadsItsOwn() {
        for (Case c : CASES) {
            var old = (EventData.RunCreated) EventCodec.dataFromJson("RunCreated", created(c.options(), null));
            assertEquals(c.origin(), old.origin(), c.options());
            String now = EventCodec.dataToJson(old);
            assertEquals(created(c.options(), Json.write(c.origin())), now, "the options as they were, and the origin beside them");
            assertEquals(old, EventCodec.dataFromJson("RunCreated", now), "old and new JSON read the same");
            assertEquals(now, EventCodec.dataToJson(EventCodec.dataFromJson("RunCreated", now)), "the new JSON round-trips byte for byte");
        }
    }

    @Test
    void anOriginWritesTheMarksTicketsAndTriggersWroteByHand() throws Exception {
        for (Case c : CASES) {
            if (c.origin() instanceof Origin.Client) continue;
            // The options a ticket or a trigger passes along with its origin: a ticket's planner option, nothing for a trigger.
            var own = c.origin() instanceof Origin.Ticket ? Json.object().put("planner", "playbook") : null;
            assertEquals(c.options(), Json.write(c.origin().markOptions(own)));
            assertEquals(c.origin(), Origin.fromMarks(Json.parse(c.options())));
        }
        var clientOptions = Json.object().put("planApproval", true);
        assertSame(clientOptions, Origin.CLIENT.markOptions(clientOptions), "a client's options are kept as they are");
    }

    @Test
    void theOriginsJsonNamesItsKind() {
        assertEquals("{\"kind\":\"client\"}", Json.write(Origin.CLIENT));
        assertEquals("{\"kind\":\"ticket\",\"ticketId\":\"t_1\",\"action\":\"reroute\"}",
                Json.write(new Origin.Ticket("t_1", Origin.TicketAction.REROUTE)));
        assertEquals("{\"kind\":\"trigger\",\"name\":\"nightly\",\"firing\":{\"kind\":\"schedule\",\"at\":\"2026-03-04T05:06:07Z\",\"catchUp\":true},\"playbook\":null}",
                Json.write(new Origin.Trigger("nightly", new Origin.Scheduled(AT, true), null)));
        assertEquals("{\"kind\":\"trigger\",\"name\":\"hook\",\"firing\":{\"kind\":\"event\",\"id\":\"ev-1\",\"receivedAt\":\"2026-03-04T05:06:07.123456Z\"},\"playbook\":null}",
                Json.write(new Origin.Trigger("hook", new Origin.Event("ev-1", RECEIVED), null)));
        assertEquals("{\"kind\":\"trigger\",\"name\":\"nightly\",\"firing\":{\"kind\":\"manual\",\"by\":\"ops\",\"at\":\"2026-03-04T05:06:07Z\"},\"playbook\":null}",
                Json.write(new Origin.Trigger("nightly", new Origin.Manual("ops", AT), null)));
    }
}
