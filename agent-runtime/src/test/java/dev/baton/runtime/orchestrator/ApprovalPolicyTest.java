package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journals;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

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
    private Vertx vertx;
    private Orchestrator orchestrator;
    private final List<ApprovalPolicy.Candidate> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        ApprovalPolicy policy = task -> {
            asked.add(task);
            return task.args().path("amount").asInt() > 100 ? "amounts over 100 are reviewed" : null;
        };
        orchestrator = Orchestrator.start(vertx, Journals.open("memory", Path.of(".")), tools,
                OrchestratorOptions.builder().approvalPolicy(policy).build()).await(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        orchestrator.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private String submit(String plan, String input) throws Exception {
        return orchestrator.submit(new RunRequest("pay", Json.parse(input), Json.parse(plan), null, null, null))
                .await(10, TimeUnit.SECONDS).runId();
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
        orchestrator.decide(new ApprovalDecision(runId, "pay", true, "alice", false, null, Json.object().put("amount", 90)))
                .await(10, TimeUnit.SECONDS);
        JsonNode run = orchestrator.whenFinished(runId).await(10, TimeUnit.SECONDS);
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals(askedBefore, asked.size(), "an approved task is not asked about again");
    }

    @Test
    void aTaskThePolicyLetsThroughRuns() throws Exception {
        String runId = submit("{\"tasks\": [{\"id\": \"pay\", \"tool\": \"echo\", \"args\": {\"amount\": 5}}]}", "{}");
        assertEquals("SUCCEEDED", orchestrator.whenFinished(runId).await(10, TimeUnit.SECONDS).path("status").asText());
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
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        Orchestrator other = Orchestrator.start(vertx, Journals.open("memory", Path.of(".")), tools,
                OrchestratorOptions.builder().approvalPolicy(policy).build()).await(30, TimeUnit.SECONDS);
        try {
            String runId = other.submit(new RunRequest("echo", null,
                    Json.parse("{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"amount\": 500}}]}"), null, null, null))
                    .await(10, TimeUnit.SECONDS).runId();
            assertEquals("SUCCEEDED", other.whenFinished(runId).await(10, TimeUnit.SECONDS).path("status").asText());
            assertTrue(onlyHttp.isEmpty(), "the policy was asked about an echo call: " + onlyHttp);
        } finally {
            other.close();
        }
    }

    private ApprovalRecord awaitPending(String runId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (ApprovalRecord a : orchestrator.approvals("PENDING").await(10, TimeUnit.SECONDS)) {
                if (a.runId().equals(runId)) return a;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no pending approval for run " + runId);
    }
}
