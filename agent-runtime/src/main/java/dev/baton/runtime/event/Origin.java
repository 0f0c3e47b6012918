package dev.baton.runtime.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * Who started a run: a client of the API (or of the embedded orchestrator), a ticket, or a
 * trigger's firing. {@link EventData.RunCreated} records it; the journal writes it as
 * {@code {"kind": "client"}}, {@code {"kind": "ticket", "ticketId", "action"}} or
 * {@code {"kind": "trigger", "name", "firing": {"kind": "schedule", "at", "catchUp"} | {"kind": "event", "id", "receivedAt"}
 * | {"kind": "manual", "by", "at"}, "playbook"}}.
 *
 * <p>The run's {@code options} still show it as they always did, as {@code options.ticket} or
 * {@code options.trigger} (the console and approval policies read those): {@link #markOptions}
 * writes those marks from the origin, and {@link #fromMarks} reads an origin back from them for
 * runs journaled before the origin was kept. Both live here and nowhere else.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Origin.Client.class, name = "client"),
        @JsonSubTypes.Type(value = Origin.Ticket.class, name = "ticket"),
        @JsonSubTypes.Type(value = Origin.Trigger.class, name = "trigger")})
public sealed interface Origin {

    /** The run of a client's request. */
    Client CLIENT = new Client();

    /** Idempotency keys that start so belong to the runs of tickets; a client may not use them. */
    String TICKET_KEYS = "ticket:";
    /** Idempotency keys that start so belong to the runs of triggers; a client may not use them. */
    String TRIGGER_KEYS = "trigger:";

    /** A client's run: {@code POST /api/runs}, or an embedding application's {@code submit}. */
    record Client() implements Origin {
    }

    /** The run that triages a ticket ({@link TicketAction#CREATE}) or carries out a person's correction of it ({@link TicketAction#REROUTE}). */
    record Ticket(String ticketId, TicketAction action) implements Origin {
        public Ticket {
            Objects.requireNonNull(ticketId, "ticketId");
            action = action == null ? TicketAction.CREATE : action;
        }
    }

    /** What a ticket's run does for it. */
    enum TicketAction {
        /** Triage a new ticket. */
        CREATE,
        /** Route a ticket again, as a person corrected it. */
        REROUTE;

        @JsonValue
        public String wire() {
            return this == CREATE ? "create" : "reroute";
        }

        /** Any other name (none was ever written) reads as CREATE, as the ticket projection always took it. */
        @JsonCreator
        public static TicketAction ofWire(String text) {
            return "reroute".equals(text) ? REROUTE : CREATE;
        }
    }

    /** A firing of the trigger {@code name}; {@code playbook} is the trigger's playbook, if it names one. */
    record Trigger(String name, Firing firing, String playbook) implements Origin {
        public Trigger {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(firing, "firing");
        }
    }

    /** Why a trigger fired: its schedule came due, or an event was posted to it. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Scheduled.class, name = "schedule"),
            @JsonSubTypes.Type(value = Event.class, name = "event"),
            @JsonSubTypes.Type(value = Manual.class, name = "manual")})
    sealed interface Firing {
    }

    /** The schedule's firing due at {@code at}; {@code catchUp} when it was missed while the server was down. */
    record Scheduled(Instant at, boolean catchUp) implements Firing {
    }

    /** An event posted to the trigger: {@code id} is its event id (null when it had none), received at {@code receivedAt}. */
    record Event(String id, Instant receivedAt) implements Firing {
    }

    /** A person asked for a run now ("Run now", {@code POST /api/triggers/{name}/run}): {@code by} whom, at {@code at}. */
    record Manual(String by, Instant at) implements Firing {
    }

    // ------------------------------------------------------------------ the marks in options

    /**
     * The run's options as they are kept and shown: {@code options} with this origin's mark
     * ({@code ticket} or {@code trigger}) added, unless they hold it already; a client's options as they are.
     */
    default JsonNode markOptions(JsonNode options) {
        if (this instanceof Client) return options;
        String field = this instanceof Ticket ? "ticket" : "trigger";
        if (options != null && options.has(field)) return options;
        ObjectNode marked = options instanceof ObjectNode o ? o.deepCopy() : Json.object();
        ObjectNode mark = marked.putObject(field);
        if (this instanceof Ticket t) {
            mark.put("id", t.ticketId()).put("action", t.action().wire());
        } else if (this instanceof Trigger t) {
            mark.put("name", t.name());
            if (t.firing() instanceof Scheduled s) {
                mark.put("kind", "schedule");
                mark.put("scheduledAt", s.at() == null ? null : s.at().toString());
                if (s.catchUp()) mark.put("catchUp", true);
            } else if (t.firing() instanceof Event e) {
                mark.put("kind", "event");
                mark.put("eventId", e.id());
                mark.put("receivedAt", e.receivedAt() == null ? null : e.receivedAt().toString());
            } else if (t.firing() instanceof Manual m) {
                mark.put("kind", "manual");
                mark.put("requestedBy", m.by());
                mark.put("requestedAt", m.at() == null ? null : m.at().toString());
            }
            if (t.playbook() != null) mark.put("playbook", t.playbook());
        }
        return marked;
    }

    /**
     * The origin the marks in a run's options say, for a run journaled before its origin was kept:
     * {@code options.ticket} with an {@code id} is a ticket's run, {@code options.trigger} with a
     * {@code name} a trigger's, anything else a client's (a client could set neither).
     */
    static Origin fromMarks(JsonNode options) {
        if (options == null || !options.isObject()) return CLIENT;
        JsonNode ticket = options.get("ticket");
        if (ticket != null && ticket.isObject() && ticket.path("id").isTextual()) {
            return new Ticket(ticket.get("id").textValue(), TicketAction.ofWire(ticket.path("action").asText(null)));
        }
        JsonNode trigger = options.get("trigger");
        if (trigger != null && trigger.isObject() && trigger.path("name").isTextual()) {
            String kind = trigger.path("kind").asText();
            Firing firing = "event".equals(kind)
                    ? new Event(trigger.path("eventId").asText(null), instant(trigger.get("receivedAt")))
                    : "manual".equals(kind) ? new Manual(trigger.path("requestedBy").asText(null), instant(trigger.get("requestedAt")))
                    : new Scheduled(instant(trigger.get("scheduledAt")), trigger.path("catchUp").asBoolean(false));
            return new Trigger(trigger.get("name").textValue(), firing, trigger.path("playbook").asText(null));
        }
        return CLIENT;
    }

    /**
     * Why a client may not send these options, or null: Baton marks the runs it starts for tickets and
     * triggers in their options (what a client sets there would read as such a run's, to the console and to
     * approval policies, and to the ticket list of runs journaled before origins were kept).
     */
    static String marksMisused(JsonNode options) {
        if (options != null && (options.has("ticket") || options.has("trigger"))) {
            return "options 'ticket' and 'trigger' are set by Baton on the runs it starts for tickets and triggers;"
                    + " post a ticket to /api/tickets or create a trigger at /api/triggers instead";
        }
        return null;
    }

    /**
     * Why a client may not use this idempotency key, or null: tickets and triggers key their runs with
     * {@link #TICKET_KEYS} and {@link #TRIGGER_KEYS}, and a client's run must not take a key a firing will use.
     */
    static String keyMisused(String idempotencyKey) {
        if (idempotencyKey != null && (idempotencyKey.startsWith(TRIGGER_KEYS) || idempotencyKey.startsWith(TICKET_KEYS))) {
            return "Idempotency-Key values starting with '" + TRIGGER_KEYS + "' or '" + TICKET_KEYS
                    + "' are reserved for Baton's own runs";
        }
        return null;
    }

    private static Instant instant(JsonNode text) {
        if (text == null || !text.isTextual()) return null;
        try {
            return Instant.parse(text.textValue());
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
