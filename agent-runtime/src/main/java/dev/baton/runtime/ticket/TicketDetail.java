package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TriageTools;

import java.time.Instant;
import java.util.List;

/**
 * One ticket as {@code GET /api/tickets/{id}} shows it: {@link TicketJson}'s fields, plus what a
 * reviewer needs beside them, read from the events of the ticket's triage run (the journal keeps
 * the triage decision there, in the classify step's output):
 * <ul>
 *   <li>{@code ranking}: the classifier's three most likely categories with their probabilities,
 *       also when a model or a person decided (empty when the classifier was not asked: a rule);</li>
 *   <li>{@code decidedBy}: who or what decided the category: {@code kind} classifier, model, rule or
 *       person, the confidence, the model's name, the person, and whether the model answered
 *       outside the categories;</li>
 *   <li>{@code history}: received, classified, sent to review, confirmed or corrected by whom,
 *       routed, delivered, failed, each with its time.</li>
 * </ul>
 * After a person corrects a ticket that was routed already, its run is the new routing run, so its
 * history and ranking start there (the receipt is always first).
 */
public final class TicketDetail {

    private TicketDetail() {
    }

    public static ObjectNode of(TicketRecord t, List<RunEvent> events, Instant now, RoutingTable table) {
        ObjectNode out = TicketJson.of(t, now, table);
        ArrayNode ranking = out.putArray("ranking");
        ObjectNode decided = out.putObject("decidedBy");
        ArrayNode history = out.putArray("history");
        step(history, t.createdAt(), "received", "Received" + (t.channel() == null ? "" : " by " + t.channel()), null);

        String kind = null;
        Double confidence = t.confidence();
        String model = null;
        String person = null;
        boolean outside = false;
        String proposed = null;
        for (RunEvent e : events) {
            EventData data = e.data();
            if (data instanceof EventData.RunCreated c && c.origin() instanceof Origin.Ticket o
                    && o.action() == Origin.TicketAction.REROUTE) {
                step(history, e.at(), "rerouted", "Routing again after a person's correction", null);
            } else if (data instanceof EventData.ModelUsed m && "triage".equals(m.purpose())) {
                model = m.model();
            } else if (data instanceof EventData.TaskSucceeded s && s.output() != null) {
                JsonNode o = s.output();
                if (TriageTools.CLASSIFY.equals(s.tool())) {
                    proposed = text(o, "category");
                    kind = methodKind(text(o, "method"));
                    outside = o.path("outsideCategories").asBoolean(false);
                    ranking.removeAll();
                    JsonNode ranked = o.path("ranking");
                    if (ranked.isArray() && !ranked.isEmpty()) {
                        for (JsonNode p : ranked) ranking.add(p.deepCopy());
                    } else if ("classifier".equals(text(o, "method"))) {
                        // decisions journaled before the ranking was kept: the category, then its alternatives
                        ranking.addObject().put("category", proposed).set("confidence", o.path("confidence"));
                        for (JsonNode p : o.path("alternatives")) if (ranking.size() < TriageTools.RANKED) ranking.add(p.deepCopy());
                    }
                    String how = switch (kind == null ? "" : kind) {
                        case "model" -> outside ? "The model answered outside the categories; kept " + proposed + " for a person to replace"
                                : "Classified by the model as " + proposed;
                        case "rule" -> "Classified by a keyword rule as " + proposed;
                        case "person" -> "Classified as " + proposed + " (a person's earlier correction of this text)";
                        default -> "Classified as " + proposed + percent(o.path("confidence"));
                    };
                    step(history, e.at(), "classified", how, null);
                } else if (TriageTools.ROUTE.equals(s.tool())) {
                    String by = text(o, "reviewedBy");
                    if (by != null) {
                        person = by;
                        kind = "person";
                    }
                    step(history, e.at(), "routed", "Routed to " + text(o, "queue") + " as " + text(o, "category")
                            + (text(o, "priority") == null ? "" : " (" + text(o, "priority") + ")"), by);
                } else if (TriageTools.DELIVER.equals(s.tool())) {
                    step(history, e.at(), "delivered", o.path("delivered").asBoolean(false)
                            ? "Delivered to the queue's webhook" : "Not delivered: the queue has no webhook", null);
                }
            } else if (data instanceof EventData.ApprovalRequested) {
                step(history, e.at(), "review", "Sent to review" + (t.reviewReason() == null ? "" : ": " + t.reviewReason()), null);
            } else if (data instanceof EventData.ApprovalDecided d) {
                String chosen = d.args() == null ? null : text(d.args(), "category");
                String text;
                if (d.decision() != Verdict.APPROVE) text = "Rejected";
                else if (chosen == null || chosen.equals(proposed)) text = "Confirmed " + (proposed == null ? "" : proposed);
                else text = "Corrected to " + chosen;
                if (d.comment() != null && !d.comment().isBlank()) text += ": “" + d.comment() + "”";
                person = d.by();
                kind = "person";
                step(history, e.at(), chosen != null && !chosen.equals(proposed) ? "corrected" : "decided", text.strip(), d.by());
            } else if (data instanceof EventData.ApprovalExpired) {
                step(history, e.at(), "expired", "The review expired", null);
            } else if (data instanceof EventData.TaskAttemptFailed f && f.retryAt() == null) {
                step(history, e.at(), "failed", "Step " + f.taskId() + " failed" + (f.error() == null ? "" : ": " + f.error().message()), null);
            } else if (data instanceof EventData.RunCancelled x) {
                step(history, e.at(), "cancelled", "Cancelled", x.by());
            }
        }
        if (kind == null) kind = methodKind(t.method());
        decided.put("kind", kind);
        if (confidence == null) decided.putNull("confidence");
        else decided.put("confidence", confidence);
        decided.put("model", model); // the model asked, if any (a person may have decided after it)
        decided.put("by", person);
        decided.put("outsideCategories", outside);
        return out;
    }

    /** What decided, from the ticket's {@code method}: classifier, model, rule or person (a confirmation or correction). */
    private static String methodKind(String method) {
        if (method == null) return null;
        return switch (method) {
            case "confirmation", "correction" -> "person";
            default -> method;
        };
    }

    private static void step(ArrayNode history, Instant at, String step, String text, String by) {
        ObjectNode s = history.addObject();
        s.put("at", at == null ? null : at.toString());
        s.put("step", step);
        s.put("text", text);
        s.put("by", by);
    }

    private static String percent(JsonNode confidence) {
        return confidence.isNumber() ? " (confidence " + Math.round(confidence.doubleValue() * 100) + "%)" : "";
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
