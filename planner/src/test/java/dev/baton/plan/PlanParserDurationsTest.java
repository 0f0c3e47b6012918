package dev.baton.plan;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.baton.plan.Fixtures.assertOnlyProblem;
import static dev.baton.plan.Fixtures.parseProblems;
import static dev.baton.plan.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Durations are parsed once per text and kept; a kept one is checked like a new one, every time. */
class PlanParserDurationsTest {

    @Test
    void aRepeatedDurationIsTheSameDurationEachTime() {
        Plan plan = plan("{'tasks':[{'id':'a','wait':'PT7S'},{'id':'b','wait':'PT7S'},{'id':'c','wait':'PT7S','timeout':'PT7S'}]}");
        for (TaskSpec task : plan.tasks()) assertEquals(Duration.ofSeconds(7), ((TaskAction.Wait) task.action()).duration());
        assertEquals(Duration.ofSeconds(7), plan.tasks().get(2).timeout());
    }

    @Test
    void aRefusedDurationIsRefusedEveryTime() {
        for (int i = 0; i < 3; i++) {
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'a','wait':'-PT3S'}]}"), "a", "wait", "must be zero or more");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'r','tool':'x','timeout':'PT0S'}]}"), "r", "timeout", "must be positive");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'w','wait':'P3651D'}]}"), "w", "wait", "at most P3650D");
            assertOnlyProblem(parseProblems("{'tasks':[{'id':'w','wait':'soon'}]}"), "w", "wait", "expected an ISO-8601 duration");
        }
    }

    @Test
    void moreDurationsThanAreKeptStillParse() {
        for (int seconds = 1; seconds <= 3_000; seconds++) {
            Plan plan = plan("{'tasks':[{'id':'a','wait':'PT" + seconds + "S'}]}");
            assertEquals(List.of(Duration.ofSeconds(seconds)), plan.tasks().stream().map(t -> ((TaskAction.Wait) t.action()).duration()).toList());
        }
    }
}
