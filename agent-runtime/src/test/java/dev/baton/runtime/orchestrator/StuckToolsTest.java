package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static dev.baton.runtime.testing.OrchestratorHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tool that does not stop when interrupted must not starve the others: once its call has timed
 * out or its run was cancelled, its thread is abandoned and neither holds a call slot nor a thread
 * that other calls need. Runs on platform threads (the JDK 17 pool) even on a JVM with virtual threads.
 */
@Timeout(120)
class StuckToolsTest {
    private static final int QUICK_RUNS = 200;

    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    /** Lets every stuck call return, at the end of each test. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger stuckEntered = new AtomicInteger();
    private final AtomicInteger stuckReturned = new AtomicInteger();

    @BeforeEach
    void platformThreads() {
        System.setProperty(TaskExecutor.THREADS_PROPERTY, "platform");
    }

    /** Runs before the harness closes the orchestrator. */
    @AfterEach
    void releaseStuckCalls() {
        release.countDown();
        try {
            // Every stuck thread returns once released, whether it was started or queued.
            waitFor("the stuck calls to return", () -> stuckReturned.get() == stuckEntered.get());
        } finally {
            System.clearProperty(TaskExecutor.THREADS_PROPERTY);
        }
    }

    // ------------------------------------------------------------------ fixtures

    private void start(int maxConcurrentCalls) throws Exception {
        ToolRegistry tools = new ToolRegistry();
        // Ignores interrupts: swallows InterruptedException and waits again, until the test releases it.
        tools.register(tool("stuck", Duration.ofMillis(200), (args, ctx) -> {
            stuckEntered.incrementAndGet();
            try {
                while (true) {
                    try {
                        if (release.await(1, TimeUnit.SECONDS)) break;
                    } catch (InterruptedException ignored) {
                        // a badly written tool: carries on
                    }
                }
                return Json.object().put("late", true);
            } finally {
                stuckReturned.incrementAndGet();
            }
        }));
        // A slow but well-behaved tool with a long timeout, for the cancel case.
        tools.register(tool("stuck.long", Duration.ofMinutes(5), (args, ctx) -> {
            stuckEntered.incrementAndGet();
            try {
                while (true) {
                    try {
                        if (release.await(1, TimeUnit.SECONDS)) break;
                    } catch (InterruptedException ignored) {
                        // ignores the cancel's interrupt as well
                    }
                }
                return Json.object();
            } finally {
                stuckReturned.incrementAndGet();
            }
        }));
        tools.register(tool("quick", null, (args, ctx) -> Json.object().put("ok", ctx.taskId())));
        orchestrator = harness.start(tools, OrchestratorOptions.builder().maxConcurrentCalls(maxConcurrentCalls).build());
    }

    private static BatonTool tool(String name, Duration timeout, LambdaTool.Body body) {
        return LambdaTool.of(name, d -> d.timeout(timeout).retry(new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0)), body);
    }

    /** A one-task run of {@code tool}, tried once. */
    private Future<String> submit(String tool) {
        JsonNode plan = json("{\"tasks\": [{\"id\": \"t\", \"tool\": \"" + tool + "\", \"args\": {}, \"retry\": {\"maxAttempts\": 1}}]}");
        return orchestrator.submit(new RunRequest("one " + tool + " call", null, plan, null, null, null)).map(Submitted::runId);
    }

    private List<String> submitAll(String tool, int runs) throws Exception {
        List<Future<String>> submitted = new ArrayList<>();
        for (int i = 0; i < runs; i++) submitted.add(submit(tool));
        List<String> ids = new ArrayList<>();
        for (Future<String> f : submitted) ids.add(f.await(30, TimeUnit.SECONDS));
        return ids;
    }

    private JsonNode finished(String runId, long seconds) throws Exception {
        return orchestrator.whenFinished(runId).await(seconds, TimeUnit.SECONDS);
    }

    private static JsonNode task(JsonNode run) {
        return run.path("plan").path("tasks").get(0);
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        Await.until(what, Duration.ofSeconds(30), condition);
    }

    /** The 200 quick runs all succeed, in time, beside the stuck calls. */
    private void assertQuickRunsAllSucceed(List<String> quick) throws Exception {
        int succeeded = 0;
        for (String runId : quick) {
            JsonNode run = finished(runId, 30);
            if (run.path("status").asText().equals("SUCCEEDED")) succeeded++;
        }
        assertEquals(QUICK_RUNS, succeeded, "unrelated runs that succeeded");
    }

    // ------------------------------------------------------------------ tests

    @ParameterizedTest(name = "maxConcurrentCalls {0}")
    @ValueSource(ints = {4, 256})
    void callsPastTheirTimeoutThatIgnoreInterruptsDoNotStarveOtherRuns(int maxConcurrentCalls) throws Exception {
        start(maxConcurrentCalls);
        // More stuck calls than the old fixed pool had threads (maxConcurrentCalls), beside 200 quick runs.
        int stuckRuns = maxConcurrentCalls * 2 + maxConcurrentCalls / 4;
        List<String> stuck = submitAll("stuck", stuckRuns);
        List<String> quick = submitAll("quick", QUICK_RUNS);

        assertQuickRunsAllSucceed(quick);
        for (String runId : stuck) {
            JsonNode run = finished(runId, 30);
            assertEquals("FAILED", run.path("status").asText(), run.toString());
            assertEquals("timeout", task(run).path("error").path("code").asText(), run.toString());
        }
        // Every stuck call got a thread and none of them has stopped: they all ran beside the quick ones.
        assertEquals(stuckRuns, stuckEntered.get());
        assertEquals(0, stuckReturned.get());
        assertEquals(0, orchestrator.metrics().callsInFlight());
    }

    @Test
    void aCancelledCallThatIgnoresTheInterruptFreesItsSlotAndThread() throws Exception {
        start(1);
        String cancelled = submit("stuck.long").await(10, TimeUnit.SECONDS);
        waitFor("the stuck call to start", () -> stuckEntered.get() == 1);
        orchestrator.cancel(cancelled, "test").await(10, TimeUnit.SECONDS);
        assertEquals("CANCELLED", finished(cancelled, 10).path("status").asText());

        List<String> quick = submitAll("quick", QUICK_RUNS);
        assertQuickRunsAllSucceed(quick);
        assertEquals(0, stuckReturned.get(), "the cancelled call is still running");
    }

    @Test
    void theMetricCountsAbandonedCallsByToolUntilTheyReturn() throws Exception {
        start(4);
        List<String> stuck = submitAll("stuck", 6);
        for (String runId : stuck) assertEquals("FAILED", finished(runId, 30).path("status").asText());
        OrchestratorMetrics metrics = orchestrator.metrics();
        OrchestratorMetrics.CallKey key = new OrchestratorMetrics.CallKey("tool", "stuck");
        waitFor("6 abandoned calls", () -> metrics.abandonedCalls() == 6);
        assertEquals(6, metrics.abandonedCallsByName().get(key));
        assertEquals(0, metrics.callsInFlight());

        // A call that stops when interrupted is never counted.
        assertEquals("SUCCEEDED", finished(submit("quick").await(10, TimeUnit.SECONDS), 30).path("status").asText());
        assertEquals(null, metrics.abandonedCallsByName().get(new OrchestratorMetrics.CallKey("tool", "quick")));

        release.countDown();
        waitFor("the abandoned calls to return", () -> metrics.abandonedCalls() == 0);
        assertEquals(0, metrics.abandonedCallsByName().get(key));
        // Their late results changed nothing.
        for (String runId : stuck) assertEquals("FAILED", finished(runId, 10).path("status").asText());
    }

    @Test
    void pastTheCeilingNewCallsFailRetryablyAndRunOnceStuckOnesReturn() throws Exception {
        start(1); // at most 4 calls running: 1 slot's worth live, 3 abandoned
        List<String> stuck = submitAll("stuck", TaskExecutor.THREADS_PER_SLOT);
        for (String runId : stuck) assertEquals("FAILED", finished(runId, 30).path("status").asText());
        waitFor("4 abandoned calls", () -> orchestrator.metrics().abandonedCalls() == TaskExecutor.THREADS_PER_SLOT);

        JsonNode plan = json("{\"tasks\": [{\"id\": \"t\", \"tool\": \"quick\", \"args\": {},"
                + " \"retry\": {\"maxAttempts\": 50, \"backoff\": \"PT0.05S\", \"maxBackoff\": \"PT0.05S\"}}]}");
        String waiting = orchestrator.submit(new RunRequest("a quick call", null, plan, null, null, null))
                .await(10, TimeUnit.SECONDS).runId();
        waitFor("a refused call", () -> orchestrator.metrics().callsRefused() > 0);
        JsonNode meanwhile = orchestrator.run(waiting).await(10, TimeUnit.SECONDS);
        assertEquals("tool_threads_exhausted", task(meanwhile).path("error").path("code").asText(), meanwhile.toString());

        release.countDown();
        JsonNode run = finished(waiting, 30);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertTrue(task(run).path("attempts").asInt() > 1, run.toString());
    }
}
