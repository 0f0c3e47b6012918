package dev.baton.runtime.journal;

import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.event.EventData.ApprovalEscalated;
import dev.baton.runtime.event.EventData.ApprovalExpired;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.EventData.RunCancelled;
import dev.baton.runtime.event.EventData.RunFailed;
import dev.baton.runtime.event.EventData.RunReopened;
import dev.baton.runtime.event.EventData.RunSucceeded;
import dev.baton.runtime.event.EventData.TaskCancelled;
import dev.baton.runtime.event.EventData.TaskReady;
import dev.baton.runtime.event.RunEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.baton.runtime.journal.TestRun.T0;
import static dev.baton.runtime.journal.TestRun.approvalRequested;
import static dev.baton.runtime.journal.TestRun.approve;
import static dev.baton.runtime.journal.TestRun.created;
import static dev.baton.runtime.journal.TestRun.planAccepted;
import static dev.baton.runtime.journal.TestRun.reject;
import static dev.baton.runtime.journal.TestRun.taskSucceeded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link Journal} does, whatever keeps its data. Subclasses say how to open one on
 * a new, empty store, and (for durable stores) how to open a second one on the same store.
 */
abstract class JournalContractTest {

    /** A journal on a new, empty store; called before each test. */
    abstract Journal openFresh() throws Exception;

    /** A second journal on the store of the last {@link #openFresh()}, or null if the store dies with its journal. */
    abstract Journal reopen();

    /** False for a journal that writes each append on its own (no group commit to observe). */
    boolean groupCommits() {
        return true;
    }

    /** Releases the store after a test, once its journals are closed. */
    void dropStore() throws Exception {
    }

    Journal journal;
    private final List<Journal> opened = new ArrayList<>();

    @BeforeEach
    final void openJournal() throws Exception {
        journal = track(openFresh());
    }

    @AfterEach
    final void closeJournals() throws Exception {
        for (Journal j : opened) j.close();
        dropStore();
    }

    Journal track(Journal j) {
        if (j != null) opened.add(j);
        return j;
    }

    static void await(CompletableFuture<Void> future) throws Exception {
        future.get(60, TimeUnit.SECONDS);
    }

    static Throwable failureOf(CompletableFuture<Void> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(60, TimeUnit.SECONDS));
        return e.getCause();
    }

    // ---- the log ----

    @Test
    void appendedEventsAreReadBackInOrder() throws Exception {
        TestRun a = new TestRun("run-a");
        TestRun b = new TestRun("run-b");
        List<RunEvent> aEvents = a.next(created("goal a"), planAccepted(), new TaskReady("t1"), taskSucceeded("t1"));
        List<RunEvent> bEvents = b.next(created("goal b"), planAccepted());

        await(journal.append(List.of(aEvents.get(0), bEvents.get(0))));
        await(journal.append(aEvents.subList(1, 4)));
        await(journal.append(bEvents.subList(1, 2)));

        assertEquals(aEvents, journal.events("run-a", 0));
        assertEquals(bEvents, journal.events("run-b", 0));
        assertEquals(aEvents.subList(2, 4), journal.events("run-a", 2));
        assertEquals(List.of(), journal.events("run-a", 4));
        assertEquals(List.of(), journal.events("no-such-run", 0));
    }

    @Test
    void everyKindOfEventDataRoundTrips() throws Exception {
        TestRun run = new TestRun("run-data");
        Instant when = Instant.parse("2026-02-03T04:05:06.789123456Z");
        String huge = "x".repeat(1_500_000); // more than any VARCHAR-sized column would take
        List<RunEvent> events = run.next(
                new EventData.RunCreated("goal", Json.object().put("email", "a@b.c"), null, "key-1", "hash-1"),
                new EventData.PlanAccepted(1, Json.object().set("tasks", Json.array().add(Json.object().put("id", "t1")))),
                new TaskReady("t1"),
                new EventData.ApprovalRequested("t1", "Route it", "tickets.route", Json.object().put("q", 1), when, ExpiryPolicy.ESCALATE),
                new ApprovalEscalated("t1"),
                new EventData.ApprovalDecided("t1", Verdict.APPROVE, "ana", null, Json.object().put("q", 2)),
                new EventData.TaskStarted("t1", 1, "run-data:t1:1", Json.object().put("q", 2), when),
                new EventData.TaskAttemptFailed("t1", 1, new Failure("TIMEOUT", "took too long"), true, when),
                new EventData.TaskStarted("t1", 2, "run-data:t1:2", null, null),
                new EventData.TaskSucceeded("t1", 2, Json.object().put("big", huge).put("pi", 3.25)),
                new EventData.TaskSkipped("t2", "upstream failed"),
                new EventData.TaskRetryRequested("t2", "ana"),
                new ApprovalExpired("t3"),
                new TaskCancelled("t4"),
                new RunFailed(new Failure("TASK_FAILED", "t2 failed")),
                new RunReopened("ana", "retry t2"),
                new RunSucceeded(Json.array().add(1).add("two")),
                new RunCancelled("ana", null));
        await(journal.append(events));

        assertEquals(events, journal.events("run-data", 0));
    }

    @Test
    void anAcknowledgedAppendIsReadableByAnotherJournalOnTheSameStore() throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        List<RunEvent> all = new ArrayList<>();
        TestRun run = new TestRun("run-durable");
        all.add(run.next(created("durable", "key-durable")));
        futures.add(journal.append(all));
        for (int i = 0; i < 300; i++) {
            RunEvent e = run.next(new TaskReady("t" + i));
            all.add(e);
            futures.add(journal.append(List.of(e)));
        }
        await(futures.get(futures.size() - 1));
        // Futures complete in append order: every earlier one is done too.
        assertTrue(futures.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));

        Journal other = track(reopen());
        assumeTrue(other != null, "this store does not outlive its journal");
        assertEquals(all, other.events("run-durable", 0));
        assertEquals("run-durable", other.runByIdempotencyKey("key-durable").orElseThrow().id());
    }

    @Test
    void concurrentAppendsAreGroupCommittedAndKeepEachRunsOrder() throws Exception {
        int threads = 8, runsPerThread = 5, eventsPerRun = 250; // 10,000 events
        ConcurrentLinkedQueue<CompletableFuture<Void>> futures = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            writers.add(new Thread(() -> {
                List<TestRun> runs = IntStream.range(0, runsPerThread).mapToObj(r -> new TestRun("run-" + thread + "-" + r)).toList();
                for (TestRun r : runs) futures.add(journal.append(List.of(r.next(created("goal of " + r.id)))));
                for (int i = 1; i < eventsPerRun; i++) {
                    for (TestRun r : runs) futures.add(journal.append(List.of(r.next(new TaskReady("t" + i)))));
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread w : writers) w.join();
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));

        int total = threads * runsPerThread * eventsPerRun;
        JournalStats stats = journal.stats();
        assertEquals(total, stats.events());
        if (groupCommits()) {
            assertTrue(stats.batches() < total, "expected fewer transactions than events: " + stats);
            assertTrue(stats.maxBatchSize() > 1, stats::toString);
        }
        for (int t = 0; t < threads; t++) {
            for (int r = 0; r < runsPerThread; r++) {
                List<RunEvent> events = journal.events("run-" + t + "-" + r, 0);
                assertEquals(eventsPerRun, events.size());
                for (int i = 0; i < eventsPerRun; i++) assertEquals(i + 1, events.get(i).seq());
            }
        }
    }

    @Test
    void closeWritesWhatIsQueued() throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        TestRun run = new TestRun("run-close");
        futures.add(journal.append(List.of(run.next(created("closing")))));
        for (int i = 0; i < 2_000; i++) futures.add(journal.append(List.of(run.next(new TaskReady("t" + i)))));
        journal.close();

        assertTrue(futures.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()),
                "every append before close is written");
        Throwable late = failureOf(journal.append(List.of(run.next(new TaskReady("late")))));
        assertInstanceOf(JournalException.class, late);

        Journal other = track(reopen());
        if (other != null) assertEquals(2_001, other.events("run-close", 0).size());
    }

    @Test
    void aRefusedAppendFailsAloneAndTheJournalGoesOn() throws Exception {
        TestRun run = new TestRun("run-dup");
        List<RunEvent> first = run.next(created("dup"), planAccepted(), new TaskReady("t1"));
        await(journal.append(first));

        // seq 2 again, with a status change that must not be applied either.
        RunEvent duplicate = new RunEvent(2, "run-dup", T0.plusSeconds(5), new RunSucceeded(null));
        // Innocent appends queued around it, most likely written in the same batch.
        List<CompletableFuture<Void>> innocent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            innocent.add(journal.append(new TestRun("run-ok-" + i).next(created("fine"), planAccepted())));
        }
        CompletableFuture<Void> refused = journal.append(List.of(duplicate));
        for (int i = 50; i < 100; i++) {
            innocent.add(journal.append(new TestRun("run-ok-" + i).next(created("fine"), planAccepted())));
        }

        Throwable failure = failureOf(refused);
        assertInstanceOf(JournalException.class, failure);
        for (CompletableFuture<Void> f : innocent) await(f);

        await(journal.append(List.of(run.next(taskSucceeded("t1")))));
        List<RunEvent> events = journal.events("run-dup", 0);
        assertEquals(List.of(1L, 2L, 3L, 4L), events.stream().map(RunEvent::seq).toList());
        assertEquals(first.get(1), events.get(1));
        assertEquals("RUNNING", journal.run("run-dup").orElseThrow().status());
        assertEquals(101, journal.runs(new RunQuery("RUNNING", 500, null)).runs().size());
    }

    // ---- the runs list ----

    @Test
    void aRunsStatusFollowsItsLifecycle() throws Exception {
        TestRun run = new TestRun("run-life", T0);
        await(journal.append(List.of(run.next(created("ship it", "key-life")))));
        RunRecord created = journal.run("run-life").orElseThrow();
        assertEquals(new RunRecord("run-life", "ship it", "PLANNING", T0, T0, "key-life", "hash-of-key-life"), created);

        assertStatus(run, planAccepted(), "RUNNING");
        assertStatus(run, new TaskReady("t1"), "RUNNING");
        assertStatus(run, new RunFailed(new Failure("X", "broke")), "FAILED");
        assertStatus(run, new RunReopened("ana", "again"), "RUNNING");
        assertStatus(run, new RunSucceeded(null), "SUCCEEDED");

        TestRun other = new TestRun("run-cancel");
        await(journal.append(other.next(created("stop me"), planAccepted(), new RunCancelled("ana", "no"))));
        assertEquals("CANCELLED", journal.run("run-cancel").orElseThrow().status());
        assertEquals(Optional.empty(), journal.run("no-such-run"));
    }

    @Test
    void aRunsModelUsageAddsUpAsItsUsageDoes() throws Exception {
        TestRun run = new TestRun("run-usage", T0);
        // created and planned in one batch: the new row carries the planning call
        await(journal.append(run.next(created("count my tokens"),
                new EventData.ModelUsed("plan", "m", 100, 20, 5, false, null), planAccepted())));
        assertUsage("run-usage", 1, 100, 20);
        // a later batch: an agent's step, a cached call and a failed call (neither counts), the answer
        await(journal.append(run.next(
                new EventData.AgentModelCalled("t1", 1, 1, "hi", List.of(), 30, 7, 5, "stop"),
                new EventData.ModelUsed("plan", "m", 100, 20, 0, true, null),
                new EventData.ModelUsed("answer", "m", 0, 0, 9, false, "model_timeout"))));
        assertUsage("run-usage", 2, 130, 27);
        await(journal.append(run.next(new EventData.ModelUsed("answer", "m", 50, 10, 5, false, null), new RunSucceeded(null))));
        assertUsage("run-usage", 3, 180, 37);
        assertEquals("SUCCEEDED", journal.run("run-usage").orElseThrow().status());
        RunRecord listed = journal.runs(new RunQuery(null, 10, null)).runs().stream()
                .filter(r -> r.id().equals("run-usage")).findFirst().orElseThrow();
        assertEquals(180, listed.promptTokens(), "the runs list carries the usage");
        assertEquals(0, journal.run("run-life-none").map(RunRecord::llmCalls).orElse(0L));
    }

    private void assertUsage(String runId, long calls, long prompt, long completion) {
        RunRecord r = journal.run(runId).orElseThrow();
        assertEquals(List.of(calls, prompt, completion), List.of(r.llmCalls(), r.promptTokens(), r.completionTokens()));
    }

    private void assertStatus(TestRun run, EventData data, String status) throws Exception {
        RunEvent event = run.next(data);
        await(journal.append(List.of(event)));
        RunRecord r = journal.run(run.id).orElseThrow();
        assertEquals(status, r.status());
        assertEquals(event.at(), r.updatedAt(), "every event moves updatedAt");
        assertEquals(T0, r.createdAt());
    }

    /** A run started by a firing of {@code trigger}: its origin, as the scheduler journals it. */
    private static EventData.RunCreated createdBy(String trigger, Origin.Firing firing) {
        Origin origin = new Origin.Trigger(trigger, firing, null);
        return new EventData.RunCreated("for " + trigger, Json.object(), origin.markOptions(null), null, null, origin);
    }

    @Test
    void triggersRunsAreCountedByStatusInOneRead() throws Exception {
        Origin.Firing schedule = new Origin.Scheduled(T0, false);
        // Created and ended in one batch, and in two.
        await(journal.append(new TestRun("n-ok").next(createdBy("nightly", schedule), planAccepted(), new RunSucceeded(null))));
        TestRun failed = new TestRun("n-failed");
        await(journal.append(List.of(failed.next(createdBy("nightly", new Origin.Manual("ana", T0))))));
        await(journal.append(failed.next(planAccepted(), new RunFailed(new Failure("X", "broke")))));
        TestRun stuck = new TestRun("n-compensation-failed");
        await(journal.append(stuck.next(createdBy("nightly", new Origin.Event("ev-1", T0)), planAccepted(),
                new EventData.CompensationFailed("t1", new Failure("X", "undo broke")))));
        await(journal.append(new TestRun("n-going").next(createdBy("nightly", schedule), planAccepted())));
        await(journal.append(new TestRun("h-cancelled").next(createdBy("hourly", schedule), planAccepted(), new RunCancelled("ana", "no"))));
        await(journal.append(new TestRun("o-ok").next(createdBy("other", schedule), planAccepted(), new RunSucceeded(null))));
        // Not a trigger's: a client's run, and a ticket's.
        await(journal.append(new TestRun("client").next(created("by hand"), planAccepted(), new RunFailed(new Failure("X", "broke")))));
        Origin ticket = new Origin.Ticket("tk-1", Origin.TicketAction.CREATE);
        await(journal.append(List.of(new TestRun("ticket").next(
                new EventData.RunCreated("triage", Json.object(), ticket.markOptions(null), null, null, ticket)))));
        // A run journaled with only the marks in its options (no origin), as before origins were kept, is a trigger's too.
        await(journal.append(List.of(new TestRun("marked").next(new EventData.RunCreated("old style", Json.object(),
                createdBy("hourly", schedule).options(), null, null)))));

        Map<String, Map<String, Long>> expected = Map.of(
                "nightly", Map.of("SUCCEEDED", 1L, "FAILED", 1L, "COMPENSATION_FAILED", 1L, "RUNNING", 1L),
                "hourly", Map.of("CANCELLED", 1L, "PLANNING", 1L));
        assertEquals(expected, journal.runCountsByTrigger(List.of("nightly", "hourly", "never-fired")));
        assertEquals(Map.of(), journal.runCountsByTrigger(List.of()));
        assertEquals("nightly", journal.run("n-failed").orElseThrow().trigger());
        assertNull(journal.run("client").orElseThrow().trigger());
        assertNull(journal.run("ticket").orElseThrow().trigger());
        assertEquals("other", journal.runs(new RunQuery(null, 100, null)).runs().stream()
                .filter(r -> r.id().equals("o-ok")).findFirst().orElseThrow().trigger(), "the runs list carries it");

        Journal again = track(reopen());
        if (again != null) assertEquals(expected, again.runCountsByTrigger(List.of("nightly", "hourly")));
    }

    @Test
    void idempotencyKeysFindTheirRunAndAreUnique() throws Exception {
        await(journal.append(List.of(new TestRun("run-k1").next(created("one", "key-1")))));
        await(journal.append(List.of(new TestRun("run-nokey-1").next(created("no key")))));
        await(journal.append(List.of(new TestRun("run-nokey-2").next(created("no key either")))));

        assertEquals("run-k1", journal.runByIdempotencyKey("key-1").orElseThrow().id());
        assertEquals("hash-of-key-1", journal.runByIdempotencyKey("key-1").orElseThrow().requestHash());
        assertEquals(Optional.empty(), journal.runByIdempotencyKey("key-2"));

        Throwable failure = failureOf(journal.append(List.of(new TestRun("run-k1-again").next(created("one again", "key-1")))));
        assertInstanceOf(JournalException.class, failure);
        assertEquals(Optional.empty(), journal.run("run-k1-again"));
        assertEquals(List.of(), journal.events("run-k1-again", 0));

        await(journal.append(List.of(new TestRun("run-k2").next(created("two", "key-2")))));
        assertEquals("run-k2", journal.runByIdempotencyKey("key-2").orElseThrow().id());
    }

    @Test
    void runsArePagedNewestFirstWithoutDuplicatesOrGaps() throws Exception {
        List<RunEvent> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // Three runs per millisecond: ties are broken by id.
            TestRun run = new TestRun("run-" + (char) ('a' + i % 26) + i, T0.plusMillis(i / 3));
            events.add(run.next(created("goal " + i)));
            if (i % 2 == 0) events.add(run.next(planAccepted()));
            if (i % 5 == 0) events.add(run.next(new RunSucceeded(null)));
        }
        await(journal.append(events));

        List<RunRecord> all = journal.runs(new RunQuery(null, 500, null)).runs();
        assertEquals(40, all.size());
        List<RunRecord> expected = new ArrayList<>(all);
        expected.sort(Comparator.comparing(RunRecord::createdAt).thenComparing(RunRecord::id).reversed());
        assertEquals(expected, all);

        assertEquals(all, readAllPages(null, 7, () -> { }));
        List<RunRecord> running = all.stream().filter(r -> r.status().equals("RUNNING")).toList();
        assertEquals(16, running.size());
        assertEquals(running, readAllPages("RUNNING", 5, () -> { }));
        assertEquals(all.subList(0, 3), journal.runs(new RunQuery(null, 3, null)).runs());
        assertNull(journal.runs(new RunQuery(null, 40, null)).next(), "no next page after the last run");

        // Runs created while a client pages appear on a fresh first page, not among the pages it reads.
        int[] added = {0};
        List<RunRecord> paged = readAllPages(null, 6, () -> {
            try {
                await(journal.append(List.of(new TestRun("run-new-" + added[0]++, T0.plusSeconds(60)).next(created("late")))));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(all, paged);

        assertThrows(IllegalArgumentException.class, () -> journal.runs(new RunQuery(null, 5, "not a cursor")));
    }

    @Test
    void runsAreSearchedByGoalIgnoringCaseWithTheTextTakenLiterally() throws Exception {
        List<RunEvent> events = new ArrayList<>();
        String[] goals = {"Check the Website", "check the website again", "Refund order 42", "100% sure_thing",
                "1000 sureXthing", "back\\slash", "O'Brien's ticket", "Überprüfe die Website"};
        for (int i = 0; i < goals.length; i++) {
            TestRun run = new TestRun("run-search-" + i, T0.plusMillis(i));
            events.add(run.next(created(goals[i])));
            if (i == 1) events.add(run.next(planAccepted()));
        }
        await(journal.append(events));

        assertEquals(List.of("run-search-7", "run-search-1", "run-search-0"), ids(new RunQuery(null, "WEBSITE", 500, null)));
        assertEquals(List.of("run-search-1"), ids(new RunQuery("RUNNING", "website", 500, null)), "with a status too");
        // % and _ match themselves, not any text or any character
        assertEquals(List.of("run-search-3"), ids(new RunQuery(null, "0% sure_", 500, null)));
        assertEquals(List.of(), ids(new RunQuery(null, "1%", 500, null)), "'1%' as a pattern would match two goals");
        assertEquals(List.of("run-search-5"), ids(new RunQuery(null, "k\\s", 500, null)));
        // a quote is text, never SQL
        assertEquals(List.of("run-search-6"), ids(new RunQuery(null, "o'brien's", 500, null)));
        assertEquals(List.of(), ids(new RunQuery(null, "' OR '1'='1", 500, null)));
        assertEquals(8, ids(new RunQuery(null, "  ", 500, null)).size(), "a blank search is no search");
        assertThrows(IllegalArgumentException.class, () -> new RunQuery(null, "x".repeat(RunQuery.MAX_GOAL_SEARCH + 1), 10, null));

        // paged like the whole list
        RunPage first = journal.runs(new RunQuery(null, "website", 2, null));
        assertEquals(List.of("run-search-7", "run-search-1"), first.runs().stream().map(RunRecord::id).toList());
        assertEquals(List.of("run-search-0"), ids(new RunQuery(null, "website", 2, first.next())));
    }

    @Test
    void aPageCountsTheApprovalsEachRunWaitsFor() throws Exception {
        TestRun two = new TestRun("run-waits-two", T0);
        TestRun none = new TestRun("run-waits-none", T0.plusMillis(1));
        TestRun decided = new TestRun("run-waits-decided", T0.plusMillis(2));
        await(journal.append(List.of(two.next(created("two approvals")), two.next(planAccepted()),
                two.next(approvalRequested("a")), two.next(approvalRequested("b")),
                none.next(created("no approval")), none.next(planAccepted()),
                decided.next(created("one decided")), decided.next(planAccepted()), decided.next(approvalRequested("a")))));
        await(journal.append(List.of(decided.next(approve("a")))));

        RunPage page = journal.runs(new RunQuery(null, 500, null));
        assertEquals(Map.of("run-waits-two", 2), page.waitingApprovals());
        assertEquals(2, page.waitingApprovals("run-waits-two"));
        assertEquals(0, page.waitingApprovals("run-waits-none"));
        // only the page's own runs are counted
        assertEquals(Map.of(), journal.runs(new RunQuery(null, 2, null)).waitingApprovals());
        assertEquals(Map.of("run-waits-two", 2), journal.runs(new RunQuery(null, "TWO", 5, null)).waitingApprovals());

        assertEquals(Map.of("run-waits-two", "two approvals", "run-waits-none", "no approval"),
                journal.goals(List.of("run-waits-two", "run-waits-none", "run-unknown")));
    }

    private List<String> ids(RunQuery query) {
        return journal.runs(query).runs().stream().map(RunRecord::id).toList();
    }

    /** Follows {@code next} to the end, calling {@code betweenPages} after each page. */
    private List<RunRecord> readAllPages(String status, int limit, Runnable betweenPages) {
        List<RunRecord> out = new ArrayList<>();
        String cursor = null;
        do {
            RunPage page = journal.runs(new RunQuery(status, limit, cursor));
            assertTrue(page.runs().size() <= limit);
            out.addAll(page.runs());
            cursor = page.next();
            betweenPages.run();
        } while (cursor != null);
        Set<String> ids = new HashSet<>();
        out.forEach(r -> assertTrue(ids.add(r.id()), "duplicate " + r.id()));
        return out;
    }

    // ---- the approvals inbox ----

    @Test
    void theApprovalsInboxFollowsRequestsAndDecisions() throws Exception {
        TestRun run = new TestRun("run-approvals");
        await(journal.append(run.next(created("approvals"), planAccepted())));
        for (String task : List.of("t1", "t2", "t3", "t4", "t5", "t6")) {
            await(journal.append(List.of(run.next(approvalRequested(task)))));
        }
        List<ApprovalRecord> pending = journal.approvals("PENDING");
        assertEquals(List.of("t1", "t2", "t3", "t4", "t5", "t6"), taskIds(pending));
        ApprovalRecord t1 = pending.get(0);
        assertEquals(new ApprovalRecord("run-approvals", "t1", "Approve t1", "tickets.route", TestRun.args("t1"),
                T0.plusMillis(2), null, false, "PENDING"), t1);

        await(journal.append(List.of(run.next(approve("t1")))));
        await(journal.append(List.of(run.next(reject("t2")))));
        await(journal.append(List.of(run.next(new ApprovalExpired("t3")))));
        await(journal.append(List.of(run.next(new ApprovalEscalated("t4")))));
        await(journal.append(List.of(run.next(new TaskCancelled("t5")))));

        assertEquals(List.of("t4", "t6"), taskIds(journal.approvals("PENDING")));
        assertTrue(journal.approvals("PENDING").get(0).escalated());
        assertFalse(journal.approvals("PENDING").get(1).escalated());
        assertEquals(List.of("t1"), taskIds(journal.approvals("APPROVED")));
        assertEquals(List.of("t2"), taskIds(journal.approvals("REJECTED")));
        assertEquals(List.of("t3"), taskIds(journal.approvals("EXPIRED")));
        assertEquals(List.of("t5"), taskIds(journal.approvals("CANCELLED")));

        // A retried task asks again: pending again, not escalated any more.
        await(journal.append(List.of(run.next(approvalRequested("t1")))));
        await(journal.append(List.of(run.next(approvalRequested("t4")))));
        assertEquals(List.of("t6", "t1", "t4"), taskIds(journal.approvals("PENDING")), "oldest request first");
        assertFalse(journal.approvals("PENDING").get(2).escalated());

        // Cancelling the run cancels what still waits, and only that.
        await(journal.append(List.of(run.next(new RunCancelled("ana", "enough")))));
        assertEquals(List.of(), journal.approvals("PENDING"));
        assertEquals(List.of("t5", "t6", "t1", "t4"), taskIds(journal.approvals("CANCELLED")));
        assertEquals(List.of("t2"), taskIds(journal.approvals("REJECTED")));
    }

    /**
     * The projection coalesces a batch into one change per row. Whatever the batching, the
     * result must be what the events one by one give: the same story is told to runs "a-*"
     * one event per append and to runs "b-*" in two large appends, across two phases (so that
     * the second phase changes rows the first wrote).
     */
    @Test
    void aBatchProjectsLikeItsEventsOneByOne() throws Exception {
        String[] prefixes = {"a", "b"};
        for (List<StoryStep> phase : List.of(storyPhase1(), storyPhase2())) {
            for (String prefix : prefixes) {
                List<RunEvent> events = new ArrayList<>();
                for (StoryStep step : phase) {
                    events.add(stories.computeIfAbsent(prefix + "-" + step.run, TestRun::new).next(step.data));
                }
                if (prefix.equals("a")) {
                    for (RunEvent e : events) await(journal.append(List.of(e)));
                } else {
                    await(journal.append(events));
                }
            }
            assertEquals(projection("a"), projection("b"));
        }
        // And the story ends where it should.
        Map<String, String> statuses = projection("a");
        assertEquals("CANCELLED", statuses.get("run r1"));
        assertEquals("SUCCEEDED", statuses.get("run r2"));
        assertEquals("RUNNING", statuses.get("run r3"));
        assertEquals("CANCELLED", statuses.get("approval r1/t1"));
        assertEquals("APPROVED escalated", statuses.get("approval r1/t2"));
        assertEquals("PENDING", statuses.get("approval r1/t3"));
        assertEquals("CANCELLED escalated", statuses.get("approval r2/t1"));
        assertEquals("REJECTED", statuses.get("approval r2/t2"));
        assertEquals("EXPIRED", statuses.get("approval r3/t1"));
        assertEquals("PENDING escalated", statuses.get("approval r3/t2"));
    }

    private final Map<String, TestRun> stories = new TreeMap<>();

    private record StoryStep(String run, EventData data) {
    }

    private static List<StoryStep> storyPhase1() {
        return List.of(
                new StoryStep("r1", created("one")), new StoryStep("r2", created("two")), new StoryStep("r3", created("three")),
                new StoryStep("r1", planAccepted()), new StoryStep("r2", planAccepted()),
                new StoryStep("r1", approvalRequested("t1")), new StoryStep("r1", approvalRequested("t2")),
                new StoryStep("r2", approvalRequested("t1")), new StoryStep("r2", approvalRequested("t2")),
                new StoryStep("r2", new ApprovalEscalated("t1")), new StoryStep("r2", reject("t2")),
                new StoryStep("r2", approvalRequested("t2")), // asked again after a retry...
                new StoryStep("r3", approvalRequested("t1")), new StoryStep("r3", approvalRequested("t2")),
                new StoryStep("r1", new RunFailed(new Failure("X", "x"))), new StoryStep("r1", new RunReopened("ana", "retry")));
    }

    private static List<StoryStep> storyPhase2() {
        return List.of(
                new StoryStep("r1", new ApprovalEscalated("t2")), new StoryStep("r1", approve("t2")),
                new StoryStep("r1", new TaskCancelled("t2")), // too late: already approved
                new StoryStep("r2", reject("t2")), // ...and rejected again
                new StoryStep("r3", new ApprovalExpired("t1")), new StoryStep("r3", new ApprovalEscalated("t2")),
                new StoryStep("r3", planAccepted()),
                new StoryStep("r2", new RunCancelled("ana", "stop")), // cancels r2/t1 (escalated, pending)
                new StoryStep("r2", new RunReopened("ana", "oops")), new StoryStep("r2", new RunSucceeded(null)),
                new StoryStep("r1", new RunCancelled("ana", "stop")), // cancels r1/t1, not r1/t2
                new StoryStep("r1", approvalRequested("t3")), // a request after the cancel stays pending
                new StoryStep("r1", new TaskCancelled("t9"))); // no such approval: nothing happens
    }

    /** The runs and approvals of the story runs with this prefix, keyed without it, as comparable text. */
    private Map<String, String> projection(String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (RunRecord r : journal.runs(new RunQuery(null, 500, null)).runs()) {
            if (r.id().startsWith(prefix + "-")) out.put("run " + r.id().substring(2), r.status());
        }
        for (String status : List.of("PENDING", "APPROVED", "REJECTED", "EXPIRED", "CANCELLED")) {
            for (ApprovalRecord a : journal.approvals(status)) {
                if (a.runId().startsWith(prefix + "-")) {
                    out.put("approval " + a.runId().substring(2) + "/" + a.taskId(), a.status() + (a.escalated() ? " escalated" : ""));
                }
            }
        }
        return out;
    }

    private static List<String> taskIds(List<ApprovalRecord> approvals) {
        return approvals.stream().map(ApprovalRecord::taskId).collect(Collectors.toList());
    }

    // ---- recovery ----

    @Test
    void recoveryStreamsOnlyUnfinishedRunsGroupedAndInOrder() throws Exception {
        TestRun running = new TestRun("run-2-running");
        TestRun waiting = new TestRun("run-1-waiting");
        TestRun reopened = new TestRun("run-3-reopened");
        TestRun succeeded = new TestRun("run-4-succeeded");
        TestRun failed = new TestRun("run-5-failed");
        TestRun cancelled = new TestRun("run-6-cancelled");
        List<RunEvent> events = new ArrayList<>();
        // Interleaved, as the orchestrator writes them.
        for (TestRun r : List.of(running, waiting, reopened, succeeded, failed, cancelled)) events.add(r.next(created(r.id)));
        for (TestRun r : List.of(running, waiting, reopened, succeeded, failed, cancelled)) events.add(r.next(planAccepted()));
        events.add(waiting.next(approvalRequested("t1")));
        events.add(running.next(new TaskReady("t1")));
        events.add(succeeded.next(new RunSucceeded(null)));
        events.add(failed.next(new RunFailed(new Failure("X", "x"))));
        events.add(cancelled.next(new RunCancelled("ana", null)));
        events.add(reopened.next(new RunFailed(new Failure("X", "x"))));
        events.add(reopened.next(new RunReopened("ana", "retry")));
        await(journal.append(events.subList(0, 10)));
        await(journal.append(events.subList(10, events.size())));

        List<RunEvent> replayed = new ArrayList<>();
        journal.forEachEventOfUnfinishedRuns(replayed::add);

        List<RunEvent> expected = new ArrayList<>();
        for (String id : List.of("run-1-waiting", "run-2-running", "run-3-reopened")) expected.addAll(journal.events(id, 0));
        assertEquals(expected, replayed);
        assertEquals(3 + 3 + 4, replayed.size());
    }

    @Test
    void statsCountWhatWasWritten() throws Exception {
        JournalStats before = journal.stats();
        assertEquals(0, before.events());
        assertEquals(0, before.meanBatchSize());
        await(journal.append(new TestRun("run-stats").next(created("s"), planAccepted(), new TaskReady("t"))));
        JournalStats after = journal.stats();
        assertEquals(3, after.events());
        assertEquals(1, after.batches());
        assertEquals(3, after.maxBatchSize());
        assertTrue(after.writeNanos() > 0);
    }
}
