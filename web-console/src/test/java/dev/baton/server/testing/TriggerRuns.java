package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The runs that a trigger started, read over the API (their {@code options.trigger} says which). */
public final class TriggerRuns {
    private TriggerRuns() {
    }

    /** Every run the trigger started, oldest scheduled (or received) first. */
    public static List<JsonNode> of(Api api, String trigger) {
        Api.Response page = api.get("/api/runs?limit=500");
        if (page.status() != 200) throw new AssertionError("GET /api/runs: " + page.status() + " " + page.body());
        List<JsonNode> runs = new ArrayList<>();
        for (JsonNode summary : page.json().path("runs")) {
            JsonNode run = api.run(summary.path("id").asText());
            if (run.path("options").path("trigger").path("name").asText().equals(trigger)) runs.add(run);
        }
        runs.sort(Comparator.comparing(TriggerRuns::firing));
        return runs;
    }

    /** When the run's firing was scheduled (or its event received, or a person asked for it). */
    public static Instant firing(JsonNode run) {
        JsonNode t = run.path("options").path("trigger");
        return Instant.parse(t.has("scheduledAt") ? t.path("scheduledAt").asText()
                : t.has("requestedAt") ? t.path("requestedAt").asText() : t.path("receivedAt").asText());
    }

    public static Instant instant(JsonNode node, String field) {
        return Instant.parse(node.path(field).asText());
    }
}
