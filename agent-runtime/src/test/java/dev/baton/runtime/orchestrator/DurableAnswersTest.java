package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.ForwardingJournal;
import dev.baton.runtime.testing.OrchestratorHarness;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nobody is told of a change before it is durable (DESIGN.md): not by the run as the API shows
 * it, not by the answer to a repeated request. A journal that holds its appends until released
 * makes the window between "applied in memory" and "durable" as wide as the test needs; a crash
 * in that window loses the change, so an answer given in it would be a lie.
 */
@Timeout(30)
class DurableAnswersTest {
    /** How long a test gives a wrong early answer to show up before it releases the journal. */
    private static final Duration EARLY_ANSWER_WINDOW = Duration.ofMillis(300);

    @RegisterExtension
    final OrchestratorHarness harness = new OrchestratorHarness();
    private HeldJournal journal;
    private Orchestrator orchestrator;

    @BeforeEach
    void start() {
        journal = new HeldJournal();
        orchestrator = harness.start(journal, OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults());
    }

    @AfterEach
    void releaseJournal() {
        journal.release();
    }

    @Test
    void theRunAsShownIsNeverAheadOfTheJournal() throws Exception {
        String runId = get(orchestrator.submit(request("{\"tasks\": [{\"id\": \"t\", \"wait\": \"PT0.2S\"}]}", null))).runId();
        journal.hold();
        await(() -> journal.heldEvents() > 0, "the timer's TaskSucceeded to reach the (held) journal");

        AtomicLong aheadBy = new AtomicLong(Long.MIN_VALUE);
        Future<ObjectNode> shown = orchestrator.run(runId)
                .onSuccess(run -> aheadBy.set(run.path("lastSeq").asLong() - journal.durableSeq(runId)));
        awaitOrWindow(shown);
        journal.release();
        JsonNode run = get(shown);
        assertTrue(aheadBy.get() <= 0, "GET run answered with event " + run.path("lastSeq") + " while the journal had only "
                + (run.path("lastSeq").asLong() - aheadBy.get()) + ": " + run);
        assertEquals("SUCCEEDED", run.path("plan").path("tasks").get(0).path("status").asText(), run.toString());
    }

    @Test
    void aRepeatedSubmissionIsAnsweredOnlyOnceTheRunIsDurable() throws Exception {
        journal.hold();
        RunRequest request = request("{\"tasks\": [{\"id\": \"t\", \"tool\": \"echo\", \"args\": {}}]}", "key-1");
        Future<Submitted> first = orchestrator.submit(request);
        await(() -> journal.heldEvents() > 0, "the run's RunCreated to reach the (held) journal");

        AtomicReference<Boolean> durableWhenAnswered = new AtomicReference<>();
        Future<Submitted> again = orchestrator.submit(request)
                .onSuccess(s -> durableWhenAnswered.set(journal.durableSeq(s.runId()) > 0));
        awaitOrWindow(again);
        journal.release();
        Submitted replayed = get(again);
        assertTrue(replayed.replayed(), "the second request replays the first");
        assertEquals(get(first).runId(), replayed.runId());
        assertEquals(Boolean.TRUE, durableWhenAnswered.get(), "the repeat was answered before the run it names was durable");
    }

    /**
     * Events reach the bus in the order of their seqs, also when an append finishes while a later
     * one is being made: the journal here completes the held append from inside the next one,
     * which then finishes at once. Its listeners (the console's event streams drop an event older
     * than one they sent) once got the later batch first and lost the earlier one for good. A run
     * has one append in flight at a time, so the later append here is another run's.
     */
    @Test
    void eventsReachTheBusInOrderWhenAnEarlierAppendFinishesDuringALaterOne() throws Exception {
        List<RunEvent> heard = java.util.Collections.synchronizedList(new ArrayList<>());
        get(harness.vertx().eventBus().<RunEvent>consumer(Orchestrator.EVENTS_ADDRESS, message -> heard.add(message.body())).completion());
        journal.holdUntilNextAppend();
        Future<Submitted> submitted = orchestrator.submit(request("{\"tasks\": [{\"id\": \"t\", \"wait\": \"PT10S\"}]}", null));
        await(() -> journal.heldEvents() > 0, "the run's first events to reach the (held) journal");
        String runId = journal.heldRunId();
        // A second append, which releases the first from within.
        String other = get(orchestrator.submit(request("{\"tasks\": [{\"id\": \"t\", \"wait\": \"PT10S\"}]}", null))).runId();
        assertEquals(runId, get(submitted).runId());
        get(orchestrator.cancel(runId, "tester"));
        await(() -> heard.stream().anyMatch(e -> e.data() instanceof dev.baton.runtime.event.EventData.RunCancelled),
                "the cancellation on the bus");
        for (String id : List.of(runId, other)) {
            List<Long> seqs;
            synchronized (heard) {
                seqs = heard.stream().filter(e -> e.runId().equals(id)).map(RunEvent::seq).toList();
            }
            List<Long> expected = java.util.stream.LongStream.rangeClosed(1, seqs.size()).boxed().toList();
            assertFalse(seqs.isEmpty(), "no event of " + id + " on the bus");
            assertEquals(expected, seqs, "the run's events as the bus carried them");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static RunRequest request(String plan, String key) throws IOException {
        return new RunRequest("test", null, Json.parse(plan), null, key, key == null ? null : "hash");
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(what, condition);
    }

    /**
     * Gives a wrong, early answer its chance: returns when the future completes or the window has
     * passed. A right answer comes only after the release, so nothing positive can end this wait
     * sooner: the window is what an early answer would have had to beat.
     */
    private static void awaitOrWindow(Future<?> future) throws Exception {
        try {
            future.toCompletionStage().toCompletableFuture().get(EARLY_ANSWER_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillWaiting) {
            // as it should: answered only once durable
        } catch (java.util.concurrent.ExecutionException failed) {
            // the test's assertions look at the failure
        }
    }

    /** A memory journal whose appends, while held, neither take effect nor complete until released. */
    private static final class HeldJournal extends ForwardingJournal {
        private record Held(List<RunEvent> events, CompletableFuture<Void> done) {
        }

        private final List<Held> held = new ArrayList<>();
        private boolean holding;
        private boolean releaseOnNextAppend;

        synchronized void hold() {
            holding = true;
        }

        /**
         * Holds the next append until the one after it, which first completes the held one (its
         * callbacks run on the caller's thread, the orchestrator's event loop) and then takes
         * effect at once: an earlier write finishing while a later one is made.
         */
        synchronized void holdUntilNextAppend() {
            holding = true;
            releaseOnNextAppend = true;
        }

        synchronized String heldRunId() {
            return held.get(0).events().get(0).runId();
        }

        /** Writes what is held, in order, completes its futures, and stops holding. */
        synchronized void release() {
            holding = false;
            for (Held h : held) {
                delegate.append(h.events()).whenComplete((v, e) -> {
                    if (e == null) h.done().complete(null); else h.done().completeExceptionally(e);
                });
            }
            held.clear();
        }

        synchronized int heldEvents() {
            return held.stream().mapToInt(h -> h.events().size()).sum();
        }

        /** The seq of the run's last durable event, 0 if none. */
        synchronized long durableSeq(String runId) {
            List<RunEvent> events = delegate.events(runId, 0);
            return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        }

        @Override
        public synchronized CompletableFuture<Void> append(List<RunEvent> events) {
            if (releaseOnNextAppend && !held.isEmpty()) {
                releaseOnNextAppend = false;
                release();
            }
            if (!holding) return delegate.append(events);
            Held h = new Held(List.copyOf(events), new CompletableFuture<>());
            held.add(h);
            return h.done();
        }

        @Override
        public void close() {
            release();
            delegate.close();
        }
    }
}
