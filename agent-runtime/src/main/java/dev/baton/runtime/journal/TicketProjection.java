package dev.baton.runtime.journal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.event.Verdict;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one definition of how run events change the tickets table ({@code baton_tickets}); both
 * journals run their batches through it, in the same transaction as the events.
 *
 * <ul>
 *   <li>RunCreated whose options hold {@code ticket: {id, action: "create"}}: a ticket, TRIAGING, from
 *       the run's input ({@code subject, body, customer, channel, externalId}). With
 *       {@code action: "reroute"} the existing ticket moves to this run, TRIAGING again.</li>
 *   <li>TaskSucceeded of a tool task whose output holds a {@code ticket} object: its fields
 *       ({@code category, confidence, method, rationale, queue, priority, slaDueAt, reviewReason,
 *       delivery}) are copied onto the run's ticket. The ticket tools write one; a playbook's own
 *       tool step may too. Agent tasks' outputs are a model's words and are not believed.
 *       {@code confirmed: true}, which keeps the category as a person's labelled example, counts
 *       only from {@code tickets.route}: any other step could teach the classifier a lie.</li>
 *   <li>ApprovalRequested: AWAITING_APPROVAL; ApprovalDecided (approve), RunReopened: TRIAGING;
 *       RunSucceeded: ROUTED; RunFailed, RunCancelled: FAILED with the error.</li>
 * </ul>
 *
 * <p>Changes are folded into one insert or one patch per run; an event of a run that is no
 * ticket patches nothing (an update of no row, or skipped when the run was created in the batch).
 */
final class TicketProjection {

    static final String TRIAGING = "TRIAGING";
    static final String AWAITING_APPROVAL = "AWAITING_APPROVAL";
    static final String ROUTED = "ROUTED";
    static final String FAILED = "FAILED";
    /** The one tool whose output may say a person confirmed the category. */
    static final String ROUTE_TOOL = dev.baton.triage.TriageTools.ROUTE;

    /** Every column, in table order. */
    static final List<String> COLUMNS = List.of("id", "run_id", "external_id", "subject", "body", "customer", "channel",
            "status", "category", "confidence", "method", "rationale", "queue", "priority", "sla_due_at_ms", "review_reason",
            "confirmed_category", "delivery", "error", "created_at_ms", "updated_at_ms", "routed_at_ms");

    /** A ticket moving to another run (a person re-routed it), applied before the patches. */
    record Reroute(String ticketId, String runId, long atMs) {
    }

    /** Column values to set on the ticket of {@code runId}; a null value sets NULL. */
    record Patch(String runId, Map<String, Object> columns) {
    }

    /**
     * What a batch changes, applied in this order: inserts (state after the batch), reroutes, patches.
     */
    record Changes(List<Map<String, Object>> inserts, List<Reroute> reroutes, List<Patch> patches) {
        boolean isEmpty() {
            return inserts.isEmpty() && reroutes.isEmpty() && patches.isEmpty();
        }
    }

    private final Map<String, Map<String, Object>> inserts = new LinkedHashMap<>();
    private final List<Reroute> reroutes = new ArrayList<>();
    private final Map<String, Map<String, Object>> patches = new LinkedHashMap<>();
    private Set<String> plainRuns;

    private TicketProjection() {
    }

    static Changes changesOf(List<RunEvent> events) {
        TicketProjection p = new TicketProjection();
        for (RunEvent e : events) p.apply(e);
        if (p.inserts.isEmpty() && p.reroutes.isEmpty() && p.patches.isEmpty()) return EMPTY;
        List<Patch> patchList = new ArrayList<>(p.patches.size());
        p.patches.forEach((run, cols) -> patchList.add(new Patch(run, cols)));
        return new Changes(List.copyOf(p.inserts.values()), List.copyOf(p.reroutes), patchList);
    }

    private static final Changes EMPTY = new Changes(List.of(), List.of(), List.of());

    private void apply(RunEvent event) {
        EventData data = event.data();
        String runId = event.runId();
        long at = event.at().toEpochMilli();
        if (data instanceof EventData.RunCreated c) {
            if (!(c.origin() instanceof Origin.Ticket ticket)) {
                if (plainRuns == null) plainRuns = new HashSet<>();
                plainRuns.add(runId);
                return;
            }
            String id = ticket.ticketId();
            if (ticket.action() == Origin.TicketAction.REROUTE) {
                reroutes.add(new Reroute(id, runId, at));
                return;
            }
            JsonNode input = c.input() == null ? Json.object() : c.input();
            Map<String, Object> row = new LinkedHashMap<>();
            for (String col : COLUMNS) row.put(col, null);
            row.put("id", id);
            row.put("run_id", runId);
            row.put("external_id", text(input, "externalId"));
            row.put("subject", text(input, "subject"));
            row.put("body", text(input, "body"));
            JsonNode customer = input.get("customer");
            row.put("customer", customer == null || customer.isNull() ? null : Json.write(customer));
            row.put("channel", text(input, "channel"));
            row.put("status", TRIAGING);
            row.put("created_at_ms", at);
            row.put("updated_at_ms", at);
            inserts.put(runId, row);
            return;
        }
        if (plainRuns != null && plainRuns.contains(runId)) return;
        Map<String, Object> change = null;
        if (data instanceof EventData.TaskSucceeded s) {
            JsonNode ticket = s.output() == null || s.tool() == null ? null : s.output().get("ticket");
            if (ticket == null || !ticket.isObject()) return;
            change = new LinkedHashMap<>();
            copyText(ticket, "category", change, "category");
            if (ticket.has("confidence")) {
                JsonNode c = ticket.get("confidence");
                change.put("confidence", c.isNumber() ? c.doubleValue() : null);
            }
            copyText(ticket, "method", change, "method");
            copyText(ticket, "rationale", change, "rationale");
            copyText(ticket, "queue", change, "queue");
            copyText(ticket, "priority", change, "priority");
            copyText(ticket, "reviewReason", change, "review_reason");
            copyText(ticket, "delivery", change, "delivery");
            if (ticket.has("slaDueAt")) change.put("sla_due_at_ms", millis(ticket.get("slaDueAt")));
            if (ROUTE_TOOL.equals(s.tool()) && ticket.path("confirmed").asBoolean(false) && ticket.path("category").isTextual()) {
                change.put("confirmed_category", ticket.get("category").textValue());
            }
        } else if (data instanceof EventData.ApprovalRequested) {
            change = Map.of("status", AWAITING_APPROVAL);
        } else if (data instanceof EventData.ApprovalDecided d && d.decision() == Verdict.APPROVE) {
            change = Map.of("status", TRIAGING);
        } else if (data instanceof EventData.RunReopened) {
            change = new LinkedHashMap<>();
            change.put("status", TRIAGING);
            change.put("error", null);
        } else if (data instanceof EventData.RunSucceeded) {
            change = new LinkedHashMap<>();
            change.put("status", ROUTED);
            change.put("error", null);
            change.put("routed_at_ms", at);
        } else if (data instanceof EventData.RunFailed f) {
            change = new LinkedHashMap<>();
            change.put("status", FAILED);
            change.put("error", f.error() == null ? "triage failed" : f.error().message());
        } else if (data instanceof EventData.RunCancelled x) {
            change = new LinkedHashMap<>();
            change.put("status", FAILED);
            change.put("error", "triage was cancelled" + (x.by() == null ? "" : " by " + x.by()));
        }
        if (change == null) return;
        Map<String, Object> target = inserts.get(runId);
        if (target == null) target = patches.computeIfAbsent(runId, r -> new LinkedHashMap<>());
        target.putAll(change);
        target.put("updated_at_ms", at);
    }

    private static void copyText(JsonNode from, String field, Map<String, Object> to, String column) {
        if (!from.has(field)) return;
        JsonNode v = from.get(field);
        to.put(column, v == null || v.isNull() ? null : v.asText());
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Long millis(JsonNode value) {
        if (value == null || !value.isTextual()) return null;
        try {
            return Instant.parse(value.textValue()).toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A row (column to value, as stored) as a record. */
    static TicketRecord record(Map<String, Object> row) {
        String customer = (String) row.get("customer");
        JsonNode customerJson = null;
        if (customer != null) {
            try {
                customerJson = Json.parse(customer);
            } catch (Exception e) {
                customerJson = null;
            }
        }
        return new TicketRecord((String) row.get("id"), (String) row.get("run_id"), (String) row.get("external_id"),
                (String) row.get("subject"), (String) row.get("body"), customerJson, (String) row.get("channel"),
                (String) row.get("status"), (String) row.get("category"), toDouble(row.get("confidence")),
                (String) row.get("method"), (String) row.get("rationale"), (String) row.get("queue"),
                (String) row.get("priority"), instant(row.get("sla_due_at_ms")), (String) row.get("review_reason"),
                (String) row.get("confirmed_category"), (String) row.get("delivery"), (String) row.get("error"),
                instant(row.get("created_at_ms")), instant(row.get("updated_at_ms")), instant(row.get("routed_at_ms")));
    }

    private static Double toDouble(Object v) {
        return v == null ? null : ((Number) v).doubleValue();
    }

    private static Instant instant(Object v) {
        return v == null ? null : Instant.ofEpochMilli(((Number) v).longValue());
    }
}
