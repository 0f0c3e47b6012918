package dev.baton.runtime.decider;

import dev.baton.json.Json;
import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.orchestrator.ApprovalPolicy;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The run's origin as the decider records it: on RunCreated, as the options' mark, and as approval policies see it. */
class RunOriginTest {
    static final String PLAN = """
            {"tasks": [{"id": "a", "tool": "echo", "args": {}}]}""";

    @Test
    void aTriggersRunRecordsItsOriginAndShowsItsMarkInItsOptions() throws Exception {
        List<Origin> seen = new ArrayList<>();
        Script s = new Script(RunDeciderTest.tools(), OrchestratorOptions.builder().approvalPolicy(task -> {
            seen.add(task.origin());
            return null;
        }).build());
        Origin origin = new Origin.Trigger("nightly", new Origin.Scheduled(Instant.parse("2026-03-04T05:06:07Z"), false), null);
        Decision decision = s.decider.on(s.run, new Input.Create("g", Json.object(), null, "trigger:nightly@2026-03-04T05:06:07Z", null,
                s.decider.plans.check(Json.parse(PLAN)), origin), Facts.idle(Script.T0, 8));

        var created = (EventData.RunCreated) decision.events().get(0).data();
        assertEquals(origin, created.origin());
        assertEquals("{\"trigger\":{\"name\":\"nightly\",\"kind\":\"schedule\",\"scheduledAt\":\"2026-03-04T05:06:07Z\"}}",
                Json.write(created.options()), "the options show the trigger as they always did");
        assertEquals(origin, s.run.origin());
        assertEquals(List.of(origin), seen, "the approval policy is told the run's origin");
        assertEquals(created, EventCodec.dataFromJson("RunCreated", EventCodec.dataToJson(created)));
    }

    @Test
    void aRequestWithoutAnOriginIsAClientsUnlessItsOptionsMarkOne() throws Exception {
        Script s = RunDeciderTest.script();
        s.on(new Input.Create("g", Json.object(), Json.object().put("planApproval", true), null, null, null));
        assertEquals(Origin.CLIENT, s.run.origin());

        Script old = RunDeciderTest.script();
        old.on(new Input.Create("g", Json.object(), Json.parse("{\"ticket\":{\"id\":\"t_9\",\"action\":\"reroute\"}}"), null, null, null));
        assertEquals(new Origin.Ticket("t_9", Origin.TicketAction.REROUTE), old.run.origin());
    }

    @Test
    void aPolicyCandidateBuiltTheOldWayReadsTheOriginFromTheOptions() throws Exception {
        var candidate = new ApprovalPolicy.Candidate("r", Json.object(), Json.parse("{\"ticket\":{\"id\":\"t_1\",\"action\":\"create\"}}"),
                "route", "tickets.route", Json.object());
        assertEquals(new Origin.Ticket("t_1", Origin.TicketAction.CREATE), candidate.origin());
    }
}
