package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanWriter;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/** The API's form of a fresh run's tasks, field by field and in order (what {@code submit} answers with). */
class RunJsonTest {

    private static final String PLAN = """
            {"tasks": [
              {"id": "lookup", "title": "Look up", "tool": "crm.lookup", "args": {"email": "${input.email}"}, "approval": "required"},
              {"id": "think", "agent": "triager", "instruction": "Classify.", "dependsOn": ["lookup"]},
              {"id": "pause", "wait": "PT5S", "dependsOn": ["think"], "when": "lookup.output.tier == 'gold'", "join": "any",
               "continueOnError": true}]}""";

    @Test
    void aFreshRunsTasksAreWrittenAsTheApiSays() throws Exception {
        RunState run = fresh(PLAN);
        ObjectNode json = RunJson.run(run, task -> task.id().equals("lookup"));
        JsonNode tasks = json.path("plan").path("tasks");
        assertEquals("{\"id\":\"lookup\",\"title\":\"Look up\",\"kind\":\"tool\",\"tool\":\"crm.lookup\",\"agent\":null,"
                + "\"args\":{\"email\":\"${input.email}\"},\"instruction\":null,\"dependsOn\":[],\"status\":\"PENDING\",\"attempts\":0,"
                + "\"output\":null,\"error\":null,\"approval\":{\"required\":true,\"status\":null},\"startedAt\":null,\"finishedAt\":null,"
                + "\"retryAt\":null,\"history\":[]}", Json.write(tasks.get(0)));
        assertEquals("{\"id\":\"think\",\"title\":\"think\",\"kind\":\"agent\",\"tool\":null,\"agent\":\"triager\",\"args\":null,"
                + "\"instruction\":\"Classify.\",\"dependsOn\":[\"lookup\"],\"status\":\"PENDING\",\"attempts\":0,\"output\":null,"
                + "\"error\":null,\"approval\":null,\"startedAt\":null,\"finishedAt\":null,\"retryAt\":null,"
                + "\"usage\":{\"llmCalls\":0,\"promptTokens\":0,\"completionTokens\":0},\"transcript\":[],\"history\":[]}",
                Json.write(tasks.get(1)));
        assertEquals("{\"id\":\"pause\",\"title\":\"pause\",\"kind\":\"wait\",\"tool\":null,\"agent\":null,\"args\":null,"
                + "\"instruction\":null,\"wait\":\"PT5S\",\"dependsOn\":[\"think\",\"lookup\"],\"status\":\"PENDING\",\"attempts\":0,"
                + "\"output\":null,\"error\":null,\"approval\":null,\"startedAt\":null,\"finishedAt\":null,\"retryAt\":null,"
                + "\"when\":\"lookup.output.tier == 'gold'\",\"join\":\"any\",\"continueOnError\":true,\"history\":[]}",
                Json.write(tasks.get(2)));
    }

    @Test
    void eachAnswerIsATreeOfItsOwn() throws Exception {
        RunState run = fresh(PLAN);
        JsonNode first = RunJson.run(run, task -> false);
        JsonNode second = RunJson.run(run, task -> false);
        assertEquals(first, second);
        assertNotSame(first.path("plan").path("tasks").get(0), second.path("plan").path("tasks").get(0));
        ((ObjectNode) first.path("plan").path("tasks").get(0)).put("status", "EDITED"); // a caller may edit its copy
        assertEquals("PENDING", RunJson.run(run, task -> false).path("plan").path("tasks").get(0).path("status").asText());
    }

    private static RunState fresh(String planJson) throws Exception {
        Plan plan = PlanParser.parse(Json.parse(planJson));
        JsonNode written = PlanWriter.toJson(plan);
        RunState run = new RunState("r_test");
        Instant at = Instant.parse("2026-01-02T03:04:05Z");
        run.apply(new RunEvent(1, run.id(), at, new EventData.RunCreated("goal", Json.object(), null, null, null)));
        run.apply(new RunEvent(2, run.id(), at, new EventData.PlanAccepted(1, written)));
        return run;
    }
}
