package dev.baton.runtime.planning;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A follow-up's link and the bounded summary of the run it continues (issue 16). */
class FollowUpTest {

    private static ObjectNode run(String goal, String answer) {
        ObjectNode run = Json.object().put("id", "r_1").put("goal", goal).put("status", "SUCCEEDED");
        ObjectNode result = run.putObject("result");
        if (answer != null) result.put("answer", answer);
        result.putObject("greet").put("text", "x".repeat(10_000));
        run.putNull("error");
        return run;
    }

    @Test
    void theSummaryIsBoundedWhateverTheEarlierRunHeld() {
        ObjectNode linked = FollowUp.link(Json.object().put("planApproval", true), run("g".repeat(5_000), "a".repeat(50_000)));
        assertEquals("r_1", linked.path("continues").asText());
        assertTrue(linked.path("planApproval").asBoolean(), "the request's own options stay");
        ObjectNode previous = (ObjectNode) linked.path("previous");
        assertTrue(previous.toString().length() < FollowUp.MAX_GOAL + FollowUp.MAX_ANSWER + 200, previous.toString().length() + " chars");
        assertFalse(previous.has("outputs"), "an answer stands for the outputs");
        ObjectNode withoutAnswer = FollowUp.summary(run("check it", null));
        assertTrue(withoutAnswer.path("outputs").asText().length() <= FollowUp.MAX_OUTPUTS + 1, withoutAnswer.toString());
    }

    @Test
    void aModelPlannerReadsTheEarlierRunBeforeTheNewGoal() {
        ObjectNode options = FollowUp.link(null, run("greet the team", "Hello, team [greet]."));
        String goal = FollowUp.goalWithContext("now in Italian", options);
        assertTrue(goal.contains("Earlier goal: greet the team") && goal.contains("Earlier answer: Hello, team [greet].")
                && goal.endsWith("Goal now: now in Italian"), goal);
        assertEquals("now in Italian", FollowUp.goalWithContext("now in Italian", Json.object()), "a goal that follows nothing is unchanged");
        assertEquals("now in Italian", FollowUp.goalWithContext("now in Italian", null));
    }
}
