package dev.baton.runtime.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The orchestrator tests' one harness: a Vert.x, the orchestrators a test starts on it (each on
 * its journal and tools), closed after the test whether it passed or not, and helpers that wait
 * on conditions instead of sleeping.
 * <pre>{@code
 * @RegisterExtension
 * final OrchestratorHarness harness = new OrchestratorHarness();
 *
 * @Test
 * void aRunSucceeds() throws Exception {
 *     harness.start(OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults());
 *     String runId = harness.submit("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}");
 *     assertEquals("SUCCEEDED", harness.finished(runId).path("status").asText());
 * }
 * }</pre>
 * The helpers act on the orchestrator started last. The harness closes the orchestrators, then
 * the Vert.x, after the test class's own {@code @AfterEach} methods (which may release tools a
 * test holds, so that nothing is left waiting on them).
 */
public final class OrchestratorHarness implements AfterEachCallback {
    /** How long a future of the orchestrator's (a submit, a read) may take. */
    public static final Duration ANSWER = Duration.ofSeconds(10);
    /** How long a run may take to finish or to reach a state a test waits for. */
    public static final Duration RUN = Duration.ofSeconds(30);

    private Vertx vertx;
    private final List<Orchestrator> started = new ArrayList<>();
    private Orchestrator current;

    /** A registry with the built-in tools (echo, http.request...), none of them allowed to reach a host. */
    public static ToolRegistry builtinTools() {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        return tools;
    }

    /** The Vert.x of this test, created on first use. */
    public Vertx vertx() {
        if (vertx == null) vertx = Vertx.vertx();
        return vertx;
    }

    /** Starts an orchestrator on a fresh in-memory journal. */
    public Orchestrator start(ToolRegistry tools, OrchestratorOptions options) {
        return start(Journals.open("memory", Path.of(".")), tools, options);
    }

    /** Starts an orchestrator (recovering what the journal holds) and makes it the one the helpers use. */
    public Orchestrator start(Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        Orchestrator orchestrator = await(Orchestrator.start(vertx(), journal, tools, options), RUN);
        started.add(orchestrator);
        current = orchestrator;
        return orchestrator;
    }

    /**
     * Closes the current orchestrator as a crash would leave it for the journal (calls in flight
     * stay RUNNING there), then starts another on {@code journal}, on the same Vert.x.
     */
    public Orchestrator restart(Journal journal, ToolRegistry tools, OrchestratorOptions options) {
        if (current != null) current.close();
        return start(journal, tools, options);
    }

    /** The orchestrator started last. */
    public Orchestrator orchestrator() {
        if (current == null) throw new IllegalStateException("no orchestrator started: call start(...) first");
        return current;
    }

    // ------------------------------------------------------------------ runs

    public Submitted submitted(RunRequest request) {
        return await(orchestrator().submit(request));
    }

    /** Submits a run and returns its id. */
    public String submit(RunRequest request) {
        return submitted(request).runId();
    }

    /** Submits a run of {@code plan} (JSON text) with goal "test" and no input; its id. */
    public String submit(String plan) {
        return submit(new RunRequest("test", null, json(plan), null, null, null));
    }

    /** The run as the API shows it, once finished (the answer of {@code whenFinished}). */
    public JsonNode finished(String runId) {
        return await(orchestrator().whenFinished(runId), RUN);
    }

    /** The run as the API shows it now. */
    public JsonNode run(String runId) {
        return await(orchestrator().run(runId));
    }

    /** The run's journaled events. */
    public List<RunEvent> events(String runId) {
        return await(orchestrator().events(runId, 0));
    }

    public List<String> eventTypes(String runId) {
        return events(runId).stream().map(RunEvent::type).toList();
    }

    /** Waits until the run, as the API shows it, satisfies {@code condition}; returns it. */
    public JsonNode awaitRun(String runId, String what, Predicate<JsonNode> condition) {
        return Await.until("run " + runId + ": " + what, RUN, () -> run(runId), condition);
    }

    public JsonNode awaitStatus(String runId, String status) {
        return awaitRun(runId, "status " + status, run -> run.path("status").asText().equals(status));
    }

    /** Waits until the run has a task {@code taskId} with this status; returns the task. */
    public JsonNode awaitTask(String runId, String taskId, String status) {
        JsonNode run = awaitRun(runId, "task " + taskId + " " + status, r -> {
            JsonNode task = taskOrNull(r, taskId);
            return task != null && task.path("status").asText().equals(status);
        });
        return task(run, taskId);
    }

    // ------------------------------------------------------------------ JSON

    /** The task of a run's JSON with this id; fails if there is none. */
    public static JsonNode task(JsonNode run, String taskId) {
        JsonNode task = taskOrNull(run, taskId);
        if (task == null) throw new AssertionError("no task " + taskId + " in " + run);
        return task;
    }

    /** The task of a run's JSON with this id, or null. */
    public static JsonNode taskOrNull(JsonNode run, String taskId) {
        for (JsonNode task : run.path("plan").path("tasks")) if (task.path("id").asText().equals(taskId)) return task;
        return null;
    }

    public static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + text, e);
        }
    }

    // ------------------------------------------------------------------ futures

    /** The future's result within {@link #ANSWER}; its failure (unwrapped) is thrown as it is. */
    public static <T> T await(Future<T> future) {
        return await(future, ANSWER);
    }

    public static <T> T await(Future<T> future, Duration timeout) {
        try {
            return future.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Throwable failure = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close(); // closing twice is harmless: a restarted test closed the first already
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        started.clear();
        current = null;
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
            vertx = null;
        }
        if (failure instanceof RuntimeException e) throw e;
    }
}
