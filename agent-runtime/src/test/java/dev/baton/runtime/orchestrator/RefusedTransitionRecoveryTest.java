package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.event.EventData;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal holding an event its run's state does not allow (see docs/state-machines.md) is
 * refused at recovery like a gap in the seqs: that run is set aside, every other run is served.
 * Before the transition tables, the event was applied: the gated task below counted as SUCCEEDED
 * without anyone approving it, and its run finished.
 */
@Timeout(60)
class RefusedTransitionRecoveryTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final Vertx vertx = Vertx.vertx();
    private Orchestrator orchestrator;

    @AfterEach
    void stop() throws Exception {
        if (orchestrator != null) orchestrator.close();
        get(vertx.close());
    }

    @Test
    void aRunWhoseJournalHasAnEventItsStateDoesNotAllowIsSetAsideAndTheOthersRun() throws Exception {
        JsonNode plan = Json.parse("{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {}, \"approval\": \"required\"}]}");
        List<EventData> waiting = List.of(
                new EventData.RunCreated("x", Json.object(), null, null, null),
                new EventData.PlanAccepted(1, plan),
                new EventData.TaskReady("gate"),
                new EventData.ApprovalRequested("gate", "Gate", "echo", Json.object(), null, ExpiryPolicy.REJECT));
        List<EventData> broken = new ArrayList<>(waiting);
        broken.add(new EventData.TaskSucceeded("gate", 1, Json.object())); // never started, never approved
        MemoryJournal journal = new MemoryJournal();
        journal.append(events("run-broken", broken)).get(10, TimeUnit.SECONDS);
        journal.append(events("run-healthy", waiting)).get(10, TimeUnit.SECONDS);

        orchestrator = get(Orchestrator.start(vertx, journal, tools(), OrchestratorOptions.defaults()));

        String reason = orchestrator.setAsideRuns().get("run-broken");
        assertTrue(reason != null && reason.contains("TaskSucceeded is not allowed while task 'gate' is WAITING_APPROVAL"),
                "set aside, saying why: " + orchestrator.setAsideRuns());
        assertFalse(orchestrator.setAsideRuns().containsKey("run-healthy"));
        ExecutionException unreadable = assertThrows(ExecutionException.class, () -> get(orchestrator.run("run-broken")));
        assertEquals("run_unreadable", assertInstanceOf(BatonException.class, unreadable.getCause()).code());
        assertEquals(5, journal.events("run-broken", 0).size(), "its events stay in the journal untouched");

        get(orchestrator.decide(new ApprovalDecision("run-healthy", "gate", true, "ana", false, null, null)));
        assertEquals("SUCCEEDED", get(orchestrator.whenFinished("run-healthy")).path("status").asText());
    }

    private static List<RunEvent> events(String runId, List<EventData> data) {
        List<RunEvent> events = new ArrayList<>();
        for (EventData d : data) events.add(new RunEvent(events.size() + 1, runId, T0.plusMillis(events.size()), d));
        return events;
    }

    private static ToolRegistry tools() {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        return tools;
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
