package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.JournalException;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.run.RunState;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.ForwardingJournal;
import dev.baton.runtime.testing.LambdaTool;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed journal write costs only the run whose events it carried, and that run goes on from
 * what is durable; no call starts before the events that lead to it are durable; a tool's output
 * that cannot be written fails its attempt instead of the journal.
 */
@Timeout(60)
class WriteFailureTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private Orchestrator orchestrator;
    /** Idempotency keys of every call made to the "count" tool, in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** Counted down by the first call of the "count" tool. */
    private final CountDownLatch firstCall = new CountDownLatch(1);

    /** Each of these, on the old code, either failed a shared batch or left a run with a gap in its seqs. */
    @Test
    void anEventTheJournalRefusesFailsOnlyItsRunWhichGoesOnFromWhatIsDurable() throws Exception {
        FlakyJournal journal = new FlakyJournal();
        start(journal);
        // The first TaskSucceeded of task 'bad' is refused, as a value the database cannot hold would be.
        AtomicInteger refusals = new AtomicInteger();
        journal.refuse = event -> event.data() instanceof EventData.TaskSucceeded && "bad".equals(event.taskId())
                && refusals.getAndIncrement() == 0;

        List<Future<Submitted>> others = new ArrayList<>();
        String poisoned = get(orchestrator.submit(request("{'tasks':[{'id':'bad','tool':'count','args':{}},"
                + "{'id':'next','tool':'echo','args':{'x':'${bad.output}'}}]}"))).runId();
        for (int i = 0; i < 50; i++) {
            others.add(orchestrator.submit(request("{'tasks':[{'id':'a','tool':'echo','args':{'i':" + i + "}},"
                    + "{'id':'b','tool':'echo','args':{'x':'${a.output}'}}]}")));
        }
        for (Future<Submitted> other : others) {
            assertEquals("SUCCEEDED", get(orchestrator.whenFinished(get(other).runId())).path("status").asText());
        }
        JsonNode run = get(orchestrator.whenFinished(poisoned));
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertTrue(refusals.get() > 0, "the refusal happened");
        assertEquals(1, orchestrator.metrics().runRebuilds());
        // The call whose success could not be written was made again, under the same key.
        assertEquals(List.of(poisoned + "/bad", poisoned + "/bad"), calls);
        // The journal holds the run without a gap: it replays.
        List<RunEvent> events = journal.events(poisoned, 0);
        for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).seq(), "seq at " + i);
        assertEquals("SUCCEEDED", RunState.replay(poisoned, events).status().name());
    }

    @Test
    void whileTheDatabaseIsAwayNothingIsCalledAndRunsCarryOnWhenItIsBack() throws Exception {
        FlakyJournal journal = new FlakyJournal();
        start(journal);
        String runId = get(orchestrator.submit(request("{'tasks':[{'id':'w','wait':'PT0.3S'},"
                + "{'id':'c','tool':'count','args':{},'dependsOn':['w']}]}"))).runId();
        journal.down = true;
        // The wait's end cannot be written: the run is dropped and reloaded once the journal answers.
        await(() -> orchestrator.metrics().runRebuilds() >= 1, "the failed write to rebuild the run");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> get(orchestrator.submit(request(
                "{'tasks':[{'id':'c','tool':'count','args':{}}]}"))));
        assertInstanceOf(BatonException.class, refused.getCause());
        assertEquals(BatonException.Kind.UNAVAILABLE, ((BatonException) refused.getCause()).kind());
        assertEquals(List.of(), calls, "nothing may be called while its start cannot be made durable");

        journal.down = false;
        JsonNode run = finished(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals(List.of(runId + "/c"), calls);
    }

    @Test
    void aCallStartsOnlyOnceTheRunAndItsStartAreDurable() throws Exception {
        FlakyJournal journal = new FlakyJournal();
        start(journal);
        journal.hold = true;
        Future<Submitted> submitted = orchestrator.submit(request("{'tasks':[{'id':'c','tool':'count','args':{}}]}"));
        // The call would follow its TaskStarted at once: from then on, a call that does not wait has its chance.
        await(() -> journal.heldEvents.stream().anyMatch(e -> e.data() instanceof EventData.TaskStarted),
                "the task's TaskStarted to reach the (held) journal");
        assertFalse(firstCall.await(300, TimeUnit.MILLISECONDS), "the tool was called before RunCreated and TaskStarted were durable");
        assertEquals(List.of(), calls);
        journal.release();
        String runId = get(submitted).runId();
        assertEquals("SUCCEEDED", get(orchestrator.whenFinished(runId)).path("status").asText());
        assertEquals(List.of(runId + "/c"), calls);
    }

    /** The case: output Jackson cannot write, beside 200 unrelated runs on a real H2 journal. */
    @Test
    void outputThatCannotBeWrittenFailsItsAttemptAndNothingElse() throws Exception {
        start(Journals.open("", dir));
        String bad = get(orchestrator.submit(request("{'tasks':[{'id':'u','tool':'unwritable','args':{}}]}"))).runId();
        List<Future<Submitted>> others = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            others.add(orchestrator.submit(request("{'tasks':[{'id':'a','tool':'echo','args':{'i':" + i + "}}]}")));
        }
        for (Future<Submitted> other : others) {
            assertEquals("SUCCEEDED", get(orchestrator.whenFinished(get(other).runId())).path("status").asText());
        }
        JsonNode run = get(orchestrator.whenFinished(bad));
        assertEquals("FAILED", run.path("status").asText(), run.toString());
        JsonNode task = run.path("plan").path("tasks").get(0);
        assertEquals("output_invalid", task.path("error").path("code").asText(), task.toString());
        assertEquals(0, orchestrator.metrics().runRebuilds());
    }

    // ------------------------------------------------------------------ helpers

    private void start(Journal journal) throws Exception {
        ToolRegistry tools = OrchestratorHarness.builtinTools();
        tools.register(tool("count", (args, context) -> {
            calls.add(context.idempotencyKey());
            firstCall.countDown();
            return Json.object().put("n", calls.size());
        }));
        tools.register(tool("unwritable", (args, context) -> {
            ObjectNode out = Json.object();
            out.set("value", new POJONode(new Unwritable()));
            return out;
        }));
        orchestrator = harness.start(journal, tools, OrchestratorOptions.defaults());
    }

    /** A value whose getter throws: Jackson cannot write it. */
    public static final class Unwritable {
        public String getSecret() {
            throw new IllegalStateException("not today");
        }
    }

    private static BatonTool tool(String name, LambdaTool.Body body) {
        return LambdaTool.of(name, d -> d.retry(new RetryPolicy(1, Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0)), body);
    }

    private static RunRequest request(String plan) throws Exception {
        return new RunRequest("test", null, Json.parse(plan.replace('\'', '"')), null, null, null);
    }

    /** The run once finished; a load begun while the journal was away may still fail once, as a GET would (503). */
    private JsonNode finished(String runId) {
        return Await.untilAnswered("run " + runId + " to finish", Duration.ofSeconds(20), () -> {
            try {
                return get(orchestrator.whenFinished(runId));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof JournalException away) throw away; // the load failed: ask again
                throw new AssertionError("run " + runId + " could not be read", e);
            } catch (Exception e) {
                throw new AssertionError("run " + runId + " could not be read", e);
            }
        }, run -> true);
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(what, condition);
    }

    /**
     * A memory journal that can refuse appends holding a given event (as a database refuses a value
     * it cannot hold), be away altogether (appends and reads fail as with a stopped database), or
     * hold its appends until released.
     */
    private static final class FlakyJournal extends ForwardingJournal {
        volatile Predicate<RunEvent> refuse = e -> false;
        volatile boolean down;
        volatile boolean hold;
        final List<Runnable> held = new CopyOnWriteArrayList<>();
        /** The events of the appends held, in order. */
        final List<RunEvent> heldEvents = new CopyOnWriteArrayList<>();

        synchronized void release() {
            hold = false;
            held.forEach(Runnable::run);
            held.clear();
            heldEvents.clear();
        }

        @Override
        protected void beforeRead() {
            if (down) throw new JournalException("connection refused", null, true);
        }

        @Override
        public synchronized CompletableFuture<Void> append(List<RunEvent> events) {
            if (down) return CompletableFuture.failedFuture(new JournalException("connection refused", null, true));
            if (events.stream().anyMatch(refuse)) {
                return CompletableFuture.failedFuture(new JournalException("journal write refused: value out of range"));
            }
            if (!hold) return delegate.append(events);
            CompletableFuture<Void> done = new CompletableFuture<>();
            List<RunEvent> copy = List.copyOf(events);
            heldEvents.addAll(copy);
            held.add(() -> delegate.append(copy).whenComplete((v, e) -> {
                if (e == null) done.complete(null); else done.completeExceptionally(e);
            }));
            return done;
        }
    }
}
