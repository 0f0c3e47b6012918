package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.ApprovalSpec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.triage.TriageTools;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ticket's detail (issue 16) from its triage run's events: the classifier's ranking kept with
 * the decision, what decided (the model, by name, that answered outside the categories), and the
 * history up to the person who corrected it.
 */
class TicketDetailTest {
    static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void aModelsAnswerOutsideTheCategoriesKeepsTheRankingAndTheHistoryNamesWhoCorrectedIt() {
        ObjectNode classified = Json.object().put("category", "card_arrival").put("confidence", 0.0).put("method", "model")
                .put("rationale", "The model answered outside the categories twice").put("outsideCategories", true);
        classified.putArray("ranking")
                .add(Json.object().put("category", "card_arrival").put("confidence", 0.31))
                .add(Json.object().put("category", "card_delivery_estimate").put("confidence", 0.22))
                .add(Json.object().put("category", "lost_or_stolen_card").put("confidence", 0.08));
        List<RunEvent> events = new ArrayList<>();
        events.add(event(1, 1, new EventData.ModelUsed("triage", "gpt-test", 100, 10, 300, false, null)));
        events.add(event(2, 2, new EventData.TaskSucceeded("classify", 1, classified, TriageTools.CLASSIFY)));
        events.add(event(3, 3, new EventData.ApprovalRequested("route", "Route", TriageTools.ROUTE, Json.object(), null,
                ApprovalSpec.ExpiryPolicy.REJECT)));
        TicketRecord waiting = ticket("AWAITING_APPROVAL", "card_arrival", "model", null);

        JsonNode d = TicketDetail.of(waiting, events, T0.plusSeconds(60), null);

        assertEquals(classified.get("ranking"), d.get("ranking"));
        assertEquals("model", d.path("decidedBy").path("kind").asText());
        assertEquals("gpt-test", d.path("decidedBy").path("model").asText());
        assertTrue(d.path("decidedBy").path("outsideCategories").asBoolean(), d.toString());
        assertEquals(List.of("received", "classified", "review"), steps(d));
        assertTrue(d.get("history").get(1).get("text").asText().contains("outside the categories"), d.toString());
        assertEquals(T0.plusSeconds(2).toString(), d.get("history").get(1).get("at").asText());

        events.add(event(4, 10, new EventData.ApprovalDecided("route", Verdict.APPROVE, "rita", "a lost card",
                Json.object().put("category", "lost_or_stolen_card"))));
        ObjectNode routed = Json.object().put("category", "lost_or_stolen_card").put("queue", "security").put("priority", "P1")
                .put("reviewedBy", "rita");
        events.add(event(5, 11, new EventData.TaskSucceeded("route", 1, routed, TriageTools.ROUTE)));
        JsonNode after = TicketDetail.of(ticket("ROUTED", "lost_or_stolen_card", "correction", T0.plusSeconds(900)),
                events, T0.plusSeconds(60), null);

        assertEquals("person", after.path("decidedBy").path("kind").asText());
        assertEquals("rita", after.path("decidedBy").path("by").asText());
        assertEquals(classified.get("ranking"), after.get("ranking"), "the ranking stays after a person decided");
        assertEquals(List.of("received", "classified", "review", "corrected", "routed"), steps(after));
        JsonNode corrected = after.get("history").get(3);
        assertEquals("rita", corrected.get("by").asText());
        assertEquals("Corrected to lost_or_stolen_card: “a lost card”", corrected.get("text").asText());
        assertEquals(T0.plusSeconds(900).toString(), after.path("sla").path("dueAt").asText());
        assertEquals("PT14M", after.path("sla").path("remaining").asText());
    }

    private static List<String> steps(JsonNode detail) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : detail.get("history")) out.add(s.get("step").asText());
        return out;
    }

    private static RunEvent event(long seq, long second, EventData data) {
        return new RunEvent(seq, "r_1", T0.plusSeconds(second), data);
    }

    private static TicketRecord ticket(String status, String category, String method, Instant due) {
        return new TicketRecord("t_1", "r_1", null, "hmm", "my card\nnever came", null, "email", status, category, 0.0, method,
                null, "cards", "P3", due, null, null, null, null, T0, T0, null);
    }
}
