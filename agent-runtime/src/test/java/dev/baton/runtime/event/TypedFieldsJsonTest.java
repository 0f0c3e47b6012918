package dev.baton.runtime.event;

import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed fields of events (approval policy, decision, unwinding outcome) read the JSON the
 * journal holds, written when they were strings, and write it back byte for byte.
 */
class TypedFieldsJsonTest {

    /** Reads stored JSON as the journal does, writes it again, and expects the same text. */
    private static EventData roundTrip(String type, String json) {
        EventData data = EventCodec.dataFromJson(type, json);
        assertEquals(json, EventCodec.dataToJson(data), "written back as it was stored");
        assertEquals(data, EventCodec.dataFromJson(type, EventCodec.dataToJson(data)), "read back as written");
        return data;
    }

    @Test
    void expiryPoliciesKeepTheirLowerCaseNames() {
        var reject = (EventData.ApprovalRequested) roundTrip("ApprovalRequested",
                "{\"taskId\":\"t\",\"title\":\"T\",\"tool\":\"echo\",\"args\":{\"a\":1},\"expiresAt\":\"2026-01-02T03:04:05Z\",\"onTimeout\":\"reject\"}");
        assertEquals(ExpiryPolicy.REJECT, reject.onTimeout());
        var escalate = (EventData.ApprovalRequested) roundTrip("ApprovalRequested",
                "{\"taskId\":\"t\",\"title\":\"T\",\"tool\":null,\"args\":null,\"expiresAt\":null,\"onTimeout\":\"escalate\"}");
        assertEquals(ExpiryPolicy.ESCALATE, escalate.onTimeout());
        var none = (EventData.ApprovalRequested) roundTrip("ApprovalRequested",
                "{\"taskId\":\"t\",\"title\":\"T\",\"tool\":null,\"args\":null,\"expiresAt\":null,\"onTimeout\":null}");
        assertNull(none.onTimeout());
    }

    @Test
    void decisionsKeepTheirLowerCaseNames() {
        var approve = (EventData.ApprovalDecided) roundTrip("ApprovalDecided",
                "{\"taskId\":\"t\",\"decision\":\"approve\",\"by\":\"ana\",\"comment\":null,\"args\":{\"q\":2}}");
        assertEquals(Verdict.APPROVE, approve.decision());
        var reject = (EventData.ApprovalDecided) roundTrip("ApprovalDecided",
                "{\"taskId\":\"t\",\"decision\":\"reject\",\"by\":\"ana\",\"comment\":\"no\",\"args\":null}");
        assertEquals(Verdict.REJECT, reject.decision());
    }

    @ParameterizedTest
    @ValueSource(strings = {"FAILED", "CANCELLED"})
    void unwindingOutcomesKeepTheirNames(String outcome) {
        var unwinding = (EventData.RunUnwinding) roundTrip("RunUnwinding",
                "{\"outcome\":\"" + outcome + "\",\"error\":{\"code\":\"boom\",\"message\":\"it broke\"},\"by\":\"ana\",\"reason\":null}");
        assertEquals(UnwindingOutcome.valueOf(outcome), unwinding.outcome());
    }

    @Test
    void aValueOutsideATypeIsRefusedAsTheJournalIsRead() {
        IllegalArgumentException decision = assertThrows(IllegalArgumentException.class, () -> EventCodec.dataFromJson("ApprovalDecided",
                "{\"taskId\":\"t\",\"decision\":\"APPROVE\",\"by\":\"ana\"}"));
        assertTrue(decision.getMessage().contains("'APPROVE'"), decision.getMessage());
        IllegalArgumentException policy = assertThrows(IllegalArgumentException.class, () -> EventCodec.dataFromJson("ApprovalRequested",
                "{\"taskId\":\"t\",\"onTimeout\":\"ignore\"}"));
        assertTrue(policy.getMessage().contains("'ignore'"), policy.getMessage());
        IllegalArgumentException outcome = assertThrows(IllegalArgumentException.class, () -> EventCodec.dataFromJson("RunUnwinding",
                "{\"outcome\":\"SUCCEEDED\"}"));
        assertTrue(outcome.getMessage().contains("SUCCEEDED"), outcome.getMessage());
    }

    @Test
    void theApiShowsTheSameNames() {
        var event = new RunEvent(3, "r", java.time.Instant.parse("2026-01-02T03:04:05Z"),
                new EventData.ApprovalDecided("t", Verdict.REJECT, "ana", null, null));
        assertEquals("reject", EventCodec.toApiJson(event).path("data").path("decision").textValue());
        var unwinding = new RunEvent(4, "r", java.time.Instant.parse("2026-01-02T03:04:05Z"),
                new EventData.RunUnwinding(UnwindingOutcome.CANCELLED, null, "ana", null));
        assertEquals("CANCELLED", EventCodec.toApiJson(unwinding).path("data").path("outcome").textValue());
    }
}
