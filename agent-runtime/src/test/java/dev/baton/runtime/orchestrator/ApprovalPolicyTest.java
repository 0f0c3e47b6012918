package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.OrchestratorHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The approval policy gates a ready tool task on its resolved arguments, with its reason in the
 * approval; it only adds gates (a plan's gate holds whatever it says), and is not asked again once
 * a person approved.
 */
@Timeout(60)
class ApprovalPolicyTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    private final List<ApprovalPolicy.Candidate> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        ApprovalPolicy policy = task -> {
            asked.add(task);
            return task.args().path("amount").asInt() > 100 ? "amounts over 100 are reviewed" : null;
        };
        orchestrator = harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.builder().approvalPolicy(policy).build());
    }

    private String submit(String plan, String input) throws Exception {
        return harness.submit(new RunRequest("pay", Json.parse(input), Json.parse(plan), null, null, null));
    }

    @Test
    void aTaskIsGatedByItsResolvedArgumentsAndRunsOnceApproved() throws Exception {
        String runId = submit("{\"tasks\": [{\"id\": \"pay\", \"title\": \"Pay\", \"tool\": \"echo\", \"args\": {\"amount\": \"${input.amount}\"}}]}",
                "{\"amount\": 250}");
        ApprovalRecord waiting = awaitPending(runId);
        assertEquals("pay", waiting.taskId());
        assertTrue(waiting.title().contains("amounts over 100 are reviewed"), waiting.title());
        assertEquals(250, waiting.args().path("amount").asInt(), "the policy and the person see resolved arguments");
        assertEquals(250, asked.get(0).args().path("amount").asInt());
        assertEquals("echo", asked.get(0).tool());
        int askedBefore = asked.size();
        OrchestratorHarness.await(orchestrator.decide(new ApprovalDecision(runId, "pay", true, "alice", false, null,
                Json.object().put("amount", 90))));
        JsonNode run = harness.finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals(askedBefore, asked.size(), "an approved task is not asked about again");
    }

    @Test
    void aTaskThePolicyLetsThroughRuns() throws Exception {
        String runId = submit("{\"tasks\": [{\"id\": \"pay\", \"tool\": \"echo\", \"args\": {\"amount\": 5}}]}", "{}");
        assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());
        assertEquals(1, asked.size());
    }

    @Test
    void thePolicyCannotSwitchOffAGateThePlanSets() throws Exception {
        String runId = submit("{\"tasks\": [{\"id\": \"pay\", \"tool\": \"echo\", \"args\": {\"amount\": 5}, \"approval\": \"required\"}]}", "{}");
        ApprovalRecord waiting = awaitPending(runId);
        assertEquals("pay", waiting.taskId());
        assertTrue(asked.isEmpty(), "a gated task waits whatever the policy would say");
    }

    @Test
    void aPolicyForOneToolIsNotAskedAboutOthers() throws Exception {
        ApprovalPolicy forHttp = ApprovalPolicy.forTool("http.request", task -> "always");
        assertTrue(forHttp.appliesTo("http.request"));
        assertFalse(forHttp.appliesTo("echo"));
        // A policy that says it applies to http.request only, and records every call it gets.
        List<ApprovalPolicy.Candidate> onlyHttp = new CopyOnWriteArrayList<>();
        ApprovalPolicy policy = new ApprovalPolicy() {
            @Override
            public String gate(Candidate task) {
                onlyHttp.add(task);
                return null;
            }

            @Override
            public boolean appliesTo(String tool) {
                return "http.request".equals(tool);
            }
        };
        harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.builder().approvalPolicy(policy).build());
        String runId = harness.submit(new RunRequest("echo", null,
                Json.parse("{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"amount\": 500}}]}"), null, null, null));
        assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());
        assertTrue(onlyHttp.isEmpty(), "the policy was asked about an echo call: " + onlyHttp);
    }

    private ApprovalRecord awaitPending(String runId) {
        List<ApprovalRecord> pending = Await.until("a pending approval for run " + runId, OrchestratorHarness.RUN,
                () -> OrchestratorHarness.await(orchestrator.approvals("PENDING")),
                approvals -> approvals.stream().anyMatch(a -> a.runId().equals(runId)));
        return pending.stream().filter(a -> a.runId().equals(runId)).findFirst().orElseThrow();
    }
}
