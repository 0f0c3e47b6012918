package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.run.RunJson;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.baton.runtime.testing.OrchestratorHarness.json;
import static dev.baton.runtime.testing.OrchestratorHarness.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conditions, joins, fallbacks, continueOnError and compensation in the orchestrator, on the
 * in-memory journal and on H2; each decision must be a journaled event that replays to the
 * same state.
 */
@Timeout(60)
class FlowTest {
    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    @TempDir
    Path dir;

    /** Every call of a tool, as "tool:task:idempotencyKey", in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> undoFailuresLeft = new ConcurrentHashMap<>();
    private final AtomicBoolean holdUndo = new AtomicBoolean();
    private final CountDownLatch undoEntered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void releaseTools() {
        release.countDown();
    }

    // ------------------------------------------------------------------ fixtures

    private ToolRegistry tools() {
        ToolRegistry tools = OrchestratorHarness.builtinTools();
        tools.register(tool("create", (args, ctx) -> {
            calls.add("create:" + ctx.taskId() + ":" + ctx.idempotencyKey());
            return Json.object().put("id", "res-" + ctx.taskId());
        }));
        tools.register(tool("undo", (args, ctx) -> {
            calls.add("undo:" + args.path("id").asText() + ":" + ctx.idempotencyKey());
            if (holdUndo.get() && args.path("id").asText().equals("res-a")) {
                undoEntered.countDown();
                release.await(30, TimeUnit.SECONDS);
            }
            AtomicInteger left = undoFailuresLeft.get(args.path("id").asText());
            if (left != null && left.getAndDecrement() > 0) throw ToolException.retryable("busy", "the remote side is busy");
            return Json.object().put("undone", args.path("id").asText());
        }));
        tools.register(tool("flaky", (args, ctx) -> {
            calls.add("flaky:" + ctx.taskId() + ":" + ctx.attempt());
            throw ToolException.retryable("http_503", "the upstream is down");
        }));
        tools.register(tool("broken", (args, ctx) -> {
            calls.add("broken:" + ctx.taskId());
            throw ToolException.permanent("http_404", "no such thing");
        }));
        tools.register(tool("slow", (args, ctx) -> {
            calls.add("slow:" + ctx.taskId());
            release.await(30, TimeUnit.SECONDS);
            return Json.object();
        }));
        return tools;
    }

    private static BatonTool tool(String name, LambdaTool.Body body) {
        return LambdaTool.of(name, d -> d.retry(new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0)), body);
    }

    private Journal journal(String kind) {
        return Journals.open(kind.equals("h2") ? "" : "memory", dir);
    }

    private void start(Journal journal) throws Exception {
        orchestrator = harness.start(journal, tools(), OrchestratorOptions.builder().build());
    }

    private String submit(String plan, String input) throws Exception {
        return harness.submit(new RunRequest("flow", json(input), json(plan), null, null, null));
    }

    private JsonNode finished(String runId) throws Exception {
        return harness.finished(runId);
    }

    private static String status(JsonNode run, String id) {
        return task(run, id).path("status").asText();
    }

    private List<RunEvent> events(String runId) throws Exception {
        return harness.events(runId);
    }

    /** The journal alone rebuilds what the orchestrator shows. */
    private void assertReplays(String runId, JsonNode shown) throws Exception {
        RunState replayed = RunState.replay(runId, events(runId));
        JsonNode rebuilt = RunJson.run(replayed, t -> false);
        assertEquals(shown.path("status"), rebuilt.path("status"));
        for (JsonNode task : shown.path("plan").path("tasks")) {
            JsonNode again = task(rebuilt, task.path("id").asText());
            for (String field : List.of("status", "output", "skipReason", "fallback", "compensation", "attempts")) {
                assertEquals(task.path(field), again.path(field), field + " of " + task.path("id"));
            }
        }
    }

    static final String IF_ELSE = """
            {"tasks": [
              {"id": "classify", "tool": "echo", "args": {"category": "${input.category}", "amount": "${input.amount}"}},
              {"id": "refund", "tool": "create", "args": {}, "when": "classify.output.category == 'refund' and classify.output.amount > 100"},
              {"id": "reply", "tool": "create", "args": {}, "when": "not (classify.output.category == 'refund' and classify.output.amount > 100)"},
              {"id": "after-refund", "tool": "create", "args": {}, "dependsOn": ["refund"]},
              {"id": "close", "tool": "echo", "args": {"r": "${refund.output.id}", "p": "${reply.output.id}"}, "join": "any"}
            ]}""";

    // ------------------------------------------------------------------ tests

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void ifElseTakesEachBranchSkipsTheOtherAndJoinsOnAny(String journal) throws Exception {
        start(journal(journal));
        JsonNode yes = finished(submit(IF_ELSE, "{\"category\": \"refund\", \"amount\": 250}"));
        assertEquals("SUCCEEDED", yes.path("status").asText(), yes.toString());
        assertEquals("SUCCEEDED", status(yes, "refund"));
        assertEquals("SKIPPED", status(yes, "reply"));
        assertEquals("condition is false: not (classify.output.category == 'refund' and classify.output.amount > 100)",
                task(yes, "reply").path("skipReason").asText());
        assertEquals("SUCCEEDED", status(yes, "after-refund"));
        assertEquals("res-refund", task(yes, "close").path("output").path("r").asText());

        JsonNode no = finished(submit(IF_ELSE, "{\"category\": \"refund\", \"amount\": 50}"));
        assertEquals("SUCCEEDED", no.path("status").asText(), no.toString());
        assertEquals("SKIPPED", status(no, "refund"));
        assertEquals("SUCCEEDED", status(no, "reply"));
        assertEquals("SKIPPED", status(no, "after-refund"), "a join-all dependant of a skipped branch skips too");
        assertEquals("upstream task 'refund' is SKIPPED", task(no, "after-refund").path("skipReason").asText());
        assertEquals("SUCCEEDED", status(no, "close"), "join any runs once one branch succeeded");
        assertEquals("res-reply", task(no, "close").path("output").path("p").asText());
        assertReplays(no.path("id").asText(), no);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void aSwitchRunsExactlyTheMatchingCase(String journal) throws Exception {
        start(journal(journal));
        String plan = """
                {"tasks": [
                  {"id": "pick", "tool": "echo", "args": {"tier": "${input.tier}"}},
                  {"id": "gold", "tool": "create", "args": {}, "when": "pick.output.tier == 'gold'"},
                  {"id": "silver", "tool": "create", "args": {}, "when": "pick.output.tier == 'silver'"},
                  {"id": "other", "tool": "create", "args": {}, "when": "pick.output.tier not in ['gold', 'silver']"},
                  {"id": "done", "tool": "echo", "args": {}, "dependsOn": ["gold", "silver", "other"], "join": "any"}
                ]}""";
        for (String tier : List.of("gold", "silver", "bronze")) {
            JsonNode run = finished(submit(plan, "{\"tier\": \"" + tier + "\"}"));
            String expected = tier.equals("bronze") ? "other" : tier;
            for (String branch : List.of("gold", "silver", "other")) {
                assertEquals(branch.equals(expected) ? "SUCCEEDED" : "SKIPPED", status(run, branch), tier + ": " + branch);
            }
            assertEquals("SUCCEEDED", status(run, "done"));
            assertEquals("SUCCEEDED", run.path("status").asText());
        }
    }

    @Test
    void aJoinAnyWithNoSucceededUpstreamSkips() throws Exception {
        start(journal("memory"));
        JsonNode run = finished(submit("""
                {"tasks": [
                  {"id": "a", "tool": "create", "args": {}, "when": "input.go == true"},
                  {"id": "b", "tool": "create", "args": {}, "when": "input.go == true"},
                  {"id": "c", "tool": "create", "args": {}, "dependsOn": ["a", "b"], "join": "any"}
                ]}""", "{\"go\": false}"));
        assertEquals("SUCCEEDED", run.path("status").asText());
        assertEquals("SKIPPED", status(run, "c"));
        assertEquals("no upstream task succeeded (join: any)", task(run, "c").path("skipReason").asText());
        assertTrue(calls.isEmpty(), calls.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void aFallbackRunsAfterTheRetriesAreSpentAndStandsInForTheOutput(String journal) throws Exception {
        start(journal(journal));
        String runId = submit("""
                {"tasks": [
                  {"id": "fetch", "tool": "flaky", "args": {}, "retry": {"maxAttempts": 2, "backoff": "PT0.01S"},
                   "fallback": {"tool": "echo", "args": {"cached": true, "why": "${fetch.error.message}", "code": "${fetch.error.code}"}}},
                  {"id": "use", "tool": "echo", "args": {"got": "${fetch.output.cached}"}}
                ]}""", "{}");
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(List.of("flaky:fetch:1", "flaky:fetch:2"), calls, "both attempts before the fallback");
        JsonNode fetch = task(run, "fetch");
        assertEquals("SUCCEEDED", fetch.path("status").asText());
        assertEquals(2, fetch.path("attempts").asInt());
        assertEquals("SUCCEEDED", fetch.path("fallback").path("status").asText());
        assertEquals(1, fetch.path("fallback").path("attempts").asInt());
        assertEquals("the upstream is down", fetch.path("output").path("why").asText());
        assertEquals("http_503", fetch.path("output").path("code").asText());
        assertEquals(true, task(run, "use").path("output").path("got").asBoolean());
        List<String> types = events(runId).stream().map(RunEvent::type).toList();
        int failedForGood = types.lastIndexOf("TaskAttemptFailed");
        assertTrue(failedForGood < types.indexOf("FallbackStarted") && types.indexOf("FallbackStarted") < types.indexOf("FallbackSucceeded"),
                types.toString());
        assertReplays(runId, run);
    }

    @Test
    void aFailedFallbackFailsTheTaskAsBefore() throws Exception {
        start(journal("memory"));
        JsonNode run = finished(submit("""
                {"tasks": [{"id": "fetch", "tool": "broken", "args": {}, "fallback": {"tool": "broken", "args": {}}}]}""", "{}"));
        assertEquals("FAILED", run.path("status").asText());
        assertEquals("FAILED", status(run, "fetch"));
        assertEquals("FAILED", task(run, "fetch").path("fallback").path("status").asText());
        assertEquals("task 'fetch' failed: no such thing; its fallback failed too: no such thing", run.path("error").path("message").asText());
    }

    @Test
    void continueOnErrorLetsTheRunSucceedAndSkipsOnlyWhatNeedsTheOutput() throws Exception {
        start(journal("memory"));
        JsonNode run = finished(submit("""
                {"tasks": [
                  {"id": "optional", "tool": "broken", "args": {}, "continueOnError": true},
                  {"id": "needs-it", "tool": "echo", "args": {"x": "${optional.output}"}},
                  {"id": "independent", "tool": "create", "args": {}}
                ]}""", "{}"));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals("FAILED", status(run, "optional"));
        assertEquals("SKIPPED", status(run, "needs-it"));
        assertEquals("SUCCEEDED", status(run, "independent"));
    }

    static final String UNDOABLE = """
            {"tasks": [
              {"id": "a", "tool": "create", "args": {}, "compensate": {"tool": "undo", "args": {"id": "${a.output.id}"}}},
              {"id": "b", "tool": "create", "args": {}, "dependsOn": ["a"], "compensate": {"tool": "undo", "args": {"id": "${b.output.id}"}}},
              {"id": "plain", "tool": "create", "args": {}, "dependsOn": ["b"]},
              {"id": "c", "tool": "%s", "args": {}, "dependsOn": ["plain"]}
            ]}""";

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void aFailedRunUndoesItsTasksInReverseOrder(String journal) throws Exception {
        start(journal(journal));
        String runId = submit(UNDOABLE.formatted("broken"), "{}");
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        assertEquals("task 'c' failed: no such thing", run.path("error").path("message").asText());
        assertEquals(List.of("undo:res-b:" + runId + "/b/compensate", "undo:res-a:" + runId + "/a/compensate"),
                calls.stream().filter(c -> c.startsWith("undo")).toList());
        assertEquals("SUCCEEDED", task(run, "b").path("compensation").path("status").asText());
        assertEquals("res-a", task(run, "a").path("compensation").path("output").path("undone").asText());
        assertTrue(task(run, "plain").path("compensation").isMissingNode());
        List<String> types = events(runId).stream().map(RunEvent::type).toList();
        assertTrue(types.indexOf("RunUnwinding") < types.indexOf("CompensationStarted")
                && types.lastIndexOf("CompensationSucceeded") < types.indexOf("RunFailed"), types.toString());
        assertReplays(runId, run);
    }

    @Test
    void aCancelledRunUndoesItsCompletedTasks() throws Exception {
        start(journal("memory"));
        String runId = submit(UNDOABLE.formatted("slow"), "{}");
        Await.until("c to start", () -> calls.contains("slow:c"));
        OrchestratorHarness.await(orchestrator.cancel(runId, "alice"));
        JsonNode run = finished(runId);
        assertEquals("CANCELLED", run.path("status").asText(), run.toString());
        assertEquals("CANCELLED", status(run, "c"));
        assertEquals(List.of("undo:res-b:" + runId + "/b/compensate", "undo:res-a:" + runId + "/a/compensate"),
                calls.stream().filter(c -> c.startsWith("undo")).toList());
    }

    @Test
    void aCompensationIsRetriedThenFailsForGoodAndCanBeRetriedThroughTheApi() throws Exception {
        start(journal("memory"));
        undoFailuresLeft.put("res-b", new AtomicInteger(4)); // more than its 3 attempts, then one more failure after the retry
        String runId = submit(UNDOABLE.formatted("broken"), "{}");
        JsonNode run = finished(runId);
        assertEquals("COMPENSATION_FAILED", run.path("status").asText(), run.toString());
        assertEquals("compensation_failed", run.path("error").path("code").asText());
        assertTrue(run.path("error").path("message").asText().contains("task 'b'"), run.toString());
        assertEquals(3, task(run, "b").path("compensation").path("attempts").asInt());
        assertEquals("FAILED", task(run, "b").path("compensation").path("status").asText());
        assertEquals("PENDING", task(run, "a").path("compensation").path("status").asText(), "a waits: one at a time, in order");

        JsonNode retried = OrchestratorHarness.await(orchestrator.retryCompensation(runId, "bob"));
        assertTrue(List.of("COMPENSATING", "FAILED").contains(retried.path("status").asText()), retried.toString());
        run = harness.awaitStatus(runId, "FAILED");
        assertEquals("task 'c' failed: no such thing", run.path("error").path("message").asText());
        assertEquals("SUCCEEDED", task(run, "a").path("compensation").path("status").asText());
        assertEquals(5, task(run, "b").path("compensation").path("attempts").asInt(), "3, then 2 after the retry (one fails, one succeeds)");
        long undoBKeys = calls.stream().filter(c -> c.startsWith("undo:res-b:")).map(c -> c.substring(c.lastIndexOf(':'))).distinct().count();
        assertEquals(1, undoBKeys, "one stable idempotency key for all attempts of a compensation");
    }

    @Test
    void afterARestartOnlyTheInterruptedCompensationRunsAgainWithTheSameKey() throws Exception {
        Journal journal = journal("h2");
        start(journal);
        holdUndo.set(true);
        String runId = submit(UNDOABLE.formatted("broken"), "{}");
        assertTrue(undoEntered.await(10, TimeUnit.SECONDS), "the compensation of a never started: " + calls);
        orchestrator.close(); // like a crash for the call in flight: it stays RUNNING in the journal
        holdUndo.set(false);
        orchestrator = harness.start(journal("h2"), tools(), OrchestratorOptions.builder().build());
        JsonNode run = finished(runId);
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        List<String> undos = calls.stream().filter(c -> c.startsWith("undo")).toList();
        assertEquals(List.of("undo:res-b:" + runId + "/b/compensate", "undo:res-a:" + runId + "/a/compensate",
                "undo:res-a:" + runId + "/a/compensate"), undos, "b is not undone twice; a again, with its key");
        assertEquals(1, task(run, "a").path("compensation").path("attempts").asInt());
        assertReplays(runId, run);
    }
}
