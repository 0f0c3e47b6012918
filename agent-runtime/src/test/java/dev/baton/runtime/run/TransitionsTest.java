package dev.baton.runtime.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.runtime.event.EventData;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.event.UnwindingOutcome;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.runtime.event.RunEvent;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transition tables as tables: given a run in some state, apply an event, expect the
 * statuses it leads to, or expect it refused with nothing changed. The cases name their
 * expectations by hand; the last dynamic test fails if a row of {@link Transitions} is visited
 * by no case (and prints the coverage figure). All in one factory, so the check does not depend
 * on the order JUnit runs classes or methods in.
 */
class TransitionsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LATER = T0.plusSeconds(60);
    private static final Failure BOOM = new Failure("boom", "it broke");

    /** Task {@code a} can fall back and be undone; {@code b} waits for it. */
    private static final JsonNode PLAN = parse("""
            {"tasks": [
              {"id": "a", "tool": "echo", "args": {"n": 1},
               "fallback": {"tool": "echo", "args": {"n": 2}},
               "compensate": {"tool": "echo", "args": {"n": 3}}},
              {"id": "b", "tool": "echo", "args": {}, "dependsOn": ["a"]}
            ]}""");
    private static final Plan PARSED_PLAN = parsePlan();

    // ---- events (about task "a" unless named) ----

    static EventData created() { return new EventData.RunCreated("goal", Json.object(), null, null, null); }
    static EventData proposed(boolean approval) { return new EventData.PlanProposed(1, PLAN, "client", approval); }
    static EventData accepted() { return new EventData.PlanAccepted(1, PLAN); }
    static EventData replanStarted() { return new EventData.ReplanStarted("message", "a message", List.of()); }
    static EventData replanFailed() { return new EventData.ReplanFailed(BOOM); }
    static EventData runSucceeded() { return new EventData.RunSucceeded(Json.object()); }
    static EventData answerWritten() { return new EventData.AnswerWritten("Done [a]."); }
    static EventData answerFailed() { return new EventData.AnswerFailed(BOOM); }
    static EventData runFailed() { return new EventData.RunFailed(BOOM); }
    static EventData runCancelled() { return new EventData.RunCancelled("ana", null); }
    static EventData unwinding() { return new EventData.RunUnwinding(UnwindingOutcome.FAILED, BOOM, null, null); }
    static EventData compensationFailed() { return new EventData.CompensationFailed("a", BOOM); }
    static EventData compensationRetry() { return new EventData.CompensationRetryRequested("ana"); }
    static EventData reopened() { return new EventData.RunReopened("ana", "retry"); }
    static EventData modelUsed() { return new EventData.ModelUsed("planning", "m", 1, 1, 1, false, null); }
    static EventData message() { return new EventData.UserMessage("also this", "ana"); }
    static EventData ready() { return ready("a"); }
    static EventData ready(String task) { return new EventData.TaskReady(task); }
    static EventData approvalRequested() { return new EventData.ApprovalRequested("a", "A", "echo", Json.object(), LATER, ExpiryPolicy.REJECT); }
    static EventData approve() { return new EventData.ApprovalDecided("a", Verdict.APPROVE, "ana", null, null); }
    static EventData reject() { return new EventData.ApprovalDecided("a", Verdict.REJECT, "ana", "no", null); }
    static EventData expired() { return new EventData.ApprovalExpired("a"); }
    static EventData escalated() { return new EventData.ApprovalEscalated("a"); }
    static EventData started() { return started("a", 1); }
    static EventData started(String task, int attempt) { return new EventData.TaskStarted(task, attempt, "k", null, LATER); }
    static EventData succeeded() { return succeeded("a"); }
    static EventData succeeded(String task) { return new EventData.TaskSucceeded(task, 1, Json.object()); }
    static EventData attemptFailed(boolean retry) { return new EventData.TaskAttemptFailed("a", 1, BOOM, retry, retry ? LATER : null); }
    static EventData skipped() { return skipped("a"); }
    static EventData skipped(String task) { return new EventData.TaskSkipped(task, "upstream failed"); }
    static EventData cancelled() { return new EventData.TaskCancelled("a"); }
    static EventData retryRequested() { return new EventData.TaskRetryRequested("a", "ana"); }
    static EventData fallbackStarted() { return new EventData.FallbackStarted("a", 1, "k/fallback", Json.object(), LATER); }
    static EventData fallbackSucceeded() { return new EventData.FallbackSucceeded("a", 1, Json.object()); }
    static EventData fallbackFailed(boolean retry) { return new EventData.FallbackAttemptFailed("a", 1, BOOM, retry, retry ? LATER : null); }
    static EventData compensationStarted() { return new EventData.CompensationStarted("a", 1, "k/compensate", Json.object(), LATER); }
    static EventData compensationSucceeded() { return new EventData.CompensationSucceeded("a", 1, Json.object()); }
    static EventData compensationAttemptFailed(boolean retry) {
        return new EventData.CompensationAttemptFailed("a", 1, BOOM, retry, retry ? LATER : null);
    }
    static EventData modelCalled() { return new EventData.AgentModelCalled("a", 1, 1, "hi", List.of(), 1, 1, 1, "stop"); }
    static EventData toolCalled() { return new EventData.AgentToolCalled("a", 1, 1, "c1", "echo", Json.object(), Json.object(), null, 1); }

    /** One event of every type, and of every guard of a type. */
    static List<EventData> everyKind() {
        return List.of(created(), proposed(true), proposed(false), accepted(), replanStarted(), replanFailed(), runSucceeded(),
                runFailed(), runCancelled(), unwinding(), compensationFailed(), compensationRetry(), reopened(), modelUsed(),
                message(), ready(), approvalRequested(), approve(), reject(), expired(), escalated(), started(), succeeded(),
                attemptFailed(true), attemptFailed(false), skipped(), cancelled(), retryRequested(), fallbackStarted(),
                fallbackSucceeded(), fallbackFailed(true), fallbackFailed(false), compensationStarted(), compensationSucceeded(),
                compensationAttemptFailed(true), compensationAttemptFailed(false), modelCalled(), toolCalled(), answerWritten(),
                answerFailed());
    }

    // ---- states: the events that lead to them ----

    record Given(String name, List<EventData> events) {
        Given then(String state, EventData... more) {
            List<EventData> all = new ArrayList<>(events);
            all.addAll(List.of(more));
            return new Given(state, all);
        }

        RunState state() {
            RunState run = new RunState("r");
            for (EventData data : events) {
                if (data instanceof EventData.PlanProposed || data instanceof EventData.PlanAccepted) run.knowPlan(PLAN, PARSED_PLAN);
                run.apply(new RunEvent(run.lastSeq() + 1, "r", T0, data));
            }
            return run;
        }
    }

    static final Given NEW = new Given("no run yet", List.of());
    static final Given PLANNING = NEW.then("PLANNING", created());
    static final Given PLANNING_PLANNED = PLANNING.then("PLANNING with a plan not accepted yet", proposed(false));
    static final Given AWAITING = PLANNING.then("AWAITING_PLAN_APPROVAL", proposed(true));
    static final Given RUNNING = PLANNING.then("RUNNING, a PENDING", accepted());
    static final Given REPLANNING = RUNNING.then("REPLANNING, a PENDING", replanStarted());
    static final Given FAILED = PLANNING.then("FAILED", runFailed());
    static final Given CANCELLED = PLANNING.then("CANCELLED", runCancelled());
    static final Given A_READY = RUNNING.then("a READY", ready());
    static final Given A_RUNNING = A_READY.then("a RUNNING", started());
    static final Given A_RETRY_WAIT = A_RUNNING.then("a RETRY_WAIT", attemptFailed(true));
    static final Given A_WAITING = A_READY.then("a WAITING_APPROVAL", approvalRequested());
    static final Given A_SUCCEEDED = A_RUNNING.then("a SUCCEEDED", succeeded());
    static final Given A_FAILED = A_RUNNING.then("a FAILED", attemptFailed(false));
    static final Given A_REJECTED = A_WAITING.then("a REJECTED", reject());
    static final Given A_SKIPPED = RUNNING.then("a SKIPPED", skipped());
    static final Given A_CANCELLED = RUNNING.then("a CANCELLED", cancelled());
    static final Given ALL_SUCCEEDED = A_SUCCEEDED.then("RUNNING, every task SUCCEEDED", ready("b"), started("b", 1), succeeded("b"));
    static final Given SUCCEEDED = ALL_SUCCEEDED.then("SUCCEEDED", runSucceeded());
    static final Given FAILED_TASK = A_FAILED.then("FAILED, a FAILED", skipped("b"), runFailed());
    static final Given REPLANNING_A_RUNNING = A_RUNNING.then("REPLANNING, a RUNNING", replanStarted());
    static final Given REPLANNING_A_WAITING = A_WAITING.then("REPLANNING, a WAITING_APPROVAL", replanStarted());
    static final Given FALLBACK_RUNNING = A_FAILED.then("a's fallback RUNNING", fallbackStarted());
    static final Given FALLBACK_RETRY_WAIT = FALLBACK_RUNNING.then("a's fallback RETRY_WAIT", fallbackFailed(true));
    static final Given FALLBACK_SUCCEEDED = FALLBACK_RUNNING.then("a's fallback SUCCEEDED", fallbackSucceeded());
    static final Given FALLBACK_FAILED = FALLBACK_RUNNING.then("a's fallback FAILED", fallbackFailed(false));
    static final Given REPLANNING_FALLBACK = FALLBACK_RUNNING.then("REPLANNING, a's fallback RUNNING", replanStarted());
    static final Given COMPENSATING = A_SUCCEEDED.then("COMPENSATING, a's compensation PENDING", unwinding());
    static final Given COMPENSATION_RUNNING = COMPENSATING.then("a's compensation RUNNING", compensationStarted());
    static final Given COMPENSATION_RETRY_WAIT = COMPENSATION_RUNNING.then("a's compensation RETRY_WAIT", compensationAttemptFailed(true));
    static final Given COMPENSATION_SUCCEEDED = COMPENSATION_RUNNING.then("a's compensation SUCCEEDED", compensationSucceeded());
    static final Given COMPENSATION_GAVE_UP = COMPENSATION_RUNNING.then("a's compensation FAILED", compensationAttemptFailed(false));
    static final Given COMPENSATION_FAILED = COMPENSATION_GAVE_UP.then("COMPENSATION_FAILED", compensationFailed());

    static List<Given> everyState() {
        return List.of(NEW, PLANNING, PLANNING_PLANNED, AWAITING, RUNNING, REPLANNING, FAILED, CANCELLED, A_READY, A_RUNNING,
                A_RETRY_WAIT, A_WAITING, A_SUCCEEDED, A_FAILED, A_REJECTED, A_SKIPPED, A_CANCELLED, ALL_SUCCEEDED, SUCCEEDED, FAILED_TASK,
                REPLANNING_A_RUNNING, REPLANNING_A_WAITING, FALLBACK_RUNNING, FALLBACK_RETRY_WAIT, FALLBACK_SUCCEEDED,
                FALLBACK_FAILED, REPLANNING_FALLBACK, COMPENSATING, COMPENSATION_RUNNING, COMPENSATION_RETRY_WAIT,
                COMPENSATION_SUCCEEDED, COMPENSATION_GAVE_UP, COMPENSATION_FAILED);
    }

    // ---- the cases: given a state, this event leads to these statuses ----

    /** {@code task} and {@code call} (task a's, and its fallback's or compensation's) are null when the event is not about them. */
    record Case(Given given, EventData event, RunStatus run, TaskStatus task, SideCall.Status call) {
        @Override
        public String toString() {
            return "given " + given.name() + ", " + label(event) + " -> run " + run + (task == null ? "" : ", a " + task)
                    + (call == null ? "" : ", its " + Transitions.sideCallOf(event).name() + " " + call);
        }

        /** Applies the event, checks the statuses it led to, and notes the rows it went through. */
        void check(Set<TransitionTable.Row<?>> visited) {
            RunState state = given.state();
            List<TransitionTable.Row<?>> rows = rowsFor(state, event);
            state.apply(new RunEvent(state.lastSeq() + 1, "r", LATER, event));
            assertEquals(run, state.status(), "the run's status");
            if (task != null) assertEquals(task, state.task("a").status(), "task a's status");
            if (call != null) assertEquals(call, callOf(state, event).status(), "the side call's status");
            assertTrue(rows.stream().allMatch(java.util.Objects::nonNull), "every machine has a row for it: " + rows);
            visited.addAll(rows);
        }
    }

    static Case run(Given given, EventData event, RunStatus run) {
        return new Case(given, event, run, null, null);
    }

    static Case task(Given given, EventData event, RunStatus run, TaskStatus task) {
        return new Case(given, event, run, task, null);
    }

    static Case call(Given given, EventData event, RunStatus run, TaskStatus task, SideCall.Status call) {
        return new Case(given, event, run, task, call);
    }

    static List<Case> cases() {
        RunStatus running = RunStatus.RUNNING;
        RunStatus replanning = RunStatus.REPLANNING;
        RunStatus compensating = RunStatus.COMPENSATING;
        List<Case> cases = new ArrayList<>(List.of(
                // the run
                run(NEW, created(), RunStatus.PLANNING),
                run(PLANNING, proposed(true), RunStatus.AWAITING_PLAN_APPROVAL),
                run(PLANNING, proposed(false), RunStatus.PLANNING),
                run(REPLANNING, proposed(false), replanning),
                run(PLANNING_PLANNED, accepted(), running),
                run(AWAITING, accepted(), running),
                run(REPLANNING, accepted(), running),
                run(RUNNING, replanStarted(), replanning),
                run(REPLANNING, replanFailed(), running),
                run(ALL_SUCCEEDED, runSucceeded(), RunStatus.SUCCEEDED),
                run(PLANNING, runFailed(), RunStatus.FAILED),
                run(A_FAILED, runFailed(), RunStatus.FAILED),
                run(COMPENSATION_SUCCEEDED, runFailed(), RunStatus.FAILED),
                run(PLANNING, runCancelled(), RunStatus.CANCELLED),
                run(AWAITING, runCancelled(), RunStatus.CANCELLED),
                run(RUNNING, runCancelled(), RunStatus.CANCELLED),
                run(REPLANNING, runCancelled(), RunStatus.CANCELLED),
                run(COMPENSATION_SUCCEEDED, runCancelled(), RunStatus.CANCELLED),
                run(A_SUCCEEDED, unwinding(), compensating),
                run(A_SUCCEEDED.then("REPLANNING, a SUCCEEDED", replanStarted()), unwinding(), compensating),
                run(COMPENSATION_GAVE_UP, compensationFailed(), RunStatus.COMPENSATION_FAILED),
                run(COMPENSATION_FAILED, compensationRetry(), compensating),
                run(FAILED_TASK, reopened(), running),
                run(SUCCEEDED, reopened(), running),
                // the answer follows the success and leaves it SUCCEEDED
                run(SUCCEEDED, answerWritten(), RunStatus.SUCCEEDED),
                run(SUCCEEDED, answerFailed(), RunStatus.SUCCEEDED),
                run(RUNNING, message(), running),
                run(REPLANNING, message(), replanning),
                // a task, while the run is RUNNING
                task(RUNNING, ready(), running, TaskStatus.READY),
                task(RUNNING, skipped(), running, TaskStatus.SKIPPED),
                task(A_READY, approvalRequested(), running, TaskStatus.WAITING_APPROVAL),
                task(A_RUNNING, approvalRequested(), running, TaskStatus.WAITING_APPROVAL),
                task(A_WAITING, approve(), running, TaskStatus.READY),
                task(A_WAITING, reject(), running, TaskStatus.REJECTED),
                task(A_WAITING, expired(), running, TaskStatus.REJECTED),
                task(A_WAITING, escalated(), running, TaskStatus.WAITING_APPROVAL),
                task(A_READY, started(), running, TaskStatus.RUNNING),
                task(A_RUNNING, started(), running, TaskStatus.RUNNING),
                task(A_RUNNING, succeeded(), running, TaskStatus.SUCCEEDED),
                task(A_RUNNING, attemptFailed(true), running, TaskStatus.RETRY_WAIT),
                task(A_RUNNING, attemptFailed(false), running, TaskStatus.FAILED),
                task(A_RETRY_WAIT, ready(), running, TaskStatus.READY),
                task(RUNNING, cancelled(), running, TaskStatus.CANCELLED),
                task(A_READY, cancelled(), running, TaskStatus.CANCELLED),
                task(A_RUNNING, cancelled(), running, TaskStatus.CANCELLED),
                task(A_RETRY_WAIT, cancelled(), running, TaskStatus.CANCELLED),
                task(A_WAITING, cancelled(), running, TaskStatus.CANCELLED),
                task(A_FAILED, retryRequested(), running, TaskStatus.PENDING),
                task(A_RUNNING, modelCalled(), running, TaskStatus.RUNNING),
                task(A_RUNNING, toolCalled(), running, TaskStatus.RUNNING),
                // a task while the run is elsewhere: a replan waits for calls in flight, and the run's cancel cancels tasks
                task(REPLANNING_A_RUNNING, succeeded(), replanning, TaskStatus.SUCCEEDED),
                task(REPLANNING_A_RUNNING, attemptFailed(false), replanning, TaskStatus.FAILED),
                task(REPLANNING_A_RUNNING, approvalRequested(), replanning, TaskStatus.WAITING_APPROVAL),
                task(REPLANNING_A_RUNNING, modelCalled(), replanning, TaskStatus.RUNNING),
                task(REPLANNING_A_RUNNING, toolCalled(), replanning, TaskStatus.RUNNING),
                task(REPLANNING_A_WAITING, approve(), replanning, TaskStatus.READY),
                task(REPLANNING_A_WAITING, expired(), replanning, TaskStatus.REJECTED),
                task(REPLANNING_A_WAITING, escalated(), replanning, TaskStatus.WAITING_APPROVAL),
                task(REPLANNING, cancelled(), replanning, TaskStatus.CANCELLED),
                task(PLANNING_PLANNED, cancelled(), RunStatus.PLANNING, TaskStatus.CANCELLED),
                task(AWAITING, cancelled(), RunStatus.AWAITING_PLAN_APPROVAL, TaskStatus.CANCELLED),
                // the fallback
                call(A_FAILED, fallbackStarted(), running, TaskStatus.RUNNING, SideCall.Status.RUNNING),
                call(FALLBACK_RETRY_WAIT, fallbackStarted(), running, TaskStatus.RUNNING, SideCall.Status.RUNNING),
                call(FALLBACK_RUNNING, fallbackStarted(), running, TaskStatus.RUNNING, SideCall.Status.RUNNING),
                call(FALLBACK_RUNNING, fallbackSucceeded(), running, TaskStatus.SUCCEEDED, SideCall.Status.SUCCEEDED),
                call(FALLBACK_RUNNING, fallbackFailed(true), running, TaskStatus.RETRY_WAIT, SideCall.Status.RETRY_WAIT),
                call(FALLBACK_RUNNING, fallbackFailed(false), running, TaskStatus.FAILED, SideCall.Status.FAILED),
                call(REPLANNING_FALLBACK, fallbackSucceeded(), replanning, TaskStatus.SUCCEEDED, SideCall.Status.SUCCEEDED),
                call(REPLANNING_FALLBACK, fallbackFailed(true), replanning, TaskStatus.RETRY_WAIT, SideCall.Status.RETRY_WAIT),
                // the compensation, of a task that stays SUCCEEDED
                call(COMPENSATING, compensationStarted(), compensating, TaskStatus.SUCCEEDED, SideCall.Status.RUNNING),
                call(COMPENSATION_RETRY_WAIT, compensationStarted(), compensating, TaskStatus.SUCCEEDED, SideCall.Status.RUNNING),
                call(COMPENSATION_RUNNING, compensationStarted(), compensating, TaskStatus.SUCCEEDED, SideCall.Status.RUNNING),
                call(COMPENSATION_RUNNING, compensationSucceeded(), compensating, TaskStatus.SUCCEEDED, SideCall.Status.SUCCEEDED),
                call(COMPENSATION_RUNNING, compensationAttemptFailed(true), compensating, TaskStatus.SUCCEEDED, SideCall.Status.RETRY_WAIT),
                call(COMPENSATION_RUNNING, compensationAttemptFailed(false), compensating, TaskStatus.SUCCEEDED, SideCall.Status.FAILED)));
        // A model call is recorded whatever the run's status.
        for (Given given : List.of(PLANNING, AWAITING, RUNNING, REPLANNING, SUCCEEDED, FAILED, CANCELLED, COMPENSATING,
                COMPENSATION_FAILED)) {
            cases.add(run(given, modelUsed(), given.state().status()));
        }
        return cases;
    }

    @TestFactory
    Stream<DynamicNode> everyRowIsVisited() {
        Set<TransitionTable.Row<?>> visited = new LinkedHashSet<>();
        List<DynamicNode> tests = new ArrayList<>();
        for (Case c : cases()) tests.add(DynamicTest.dynamicTest(c.toString(), () -> c.check(visited)));
        tests.add(DynamicTest.dynamicTest("every row of every table is visited by a case above", () -> {
            int rows = 0;
            List<String> missed = new ArrayList<>();
            StringBuilder figures = new StringBuilder();
            for (TransitionTable<?> table : Transitions.ALL) {
                int seen = 0;
                for (TransitionTable.Row<?> row : table.rows()) {
                    if (visited.contains(row)) seen++;
                    else missed.add(table.name() + ": " + (row.from() == null ? "[*]" : row.from()) + " --" + row.label() + "--> " + row.to());
                }
                rows += table.rows().size();
                figures.append(figures.length() == 0 ? "" : ", ").append(table.name()).append(' ').append(seen).append('/').append(table.rows().size());
            }
            // The figure for the closing note; surefire keeps it in target/surefire-reports/*TransitionsTest-output.txt.
            System.out.println("transition table coverage: " + (rows - missed.size()) + "/" + rows + " rows (" + figures + ")");
            assertEquals(List.of(), missed, "rows no case visits: add a case for each (given a state, the event, the statuses it leads to)");
        }));
        return tests.stream();
    }

    /** The row of each machine the event goes through in this state (null where a machine has none). */
    static List<TransitionTable.Row<?>> rowsFor(RunState state, EventData event) {
        List<TransitionTable.Row<?>> rows = new ArrayList<>();
        rows.add(Transitions.RUN.find(state.lastSeq() == 0 ? null : state.status(), event));
        if (event instanceof EventData.TaskEvent e) {
            TaskState task = state.task(e.taskId());
            rows.add(task == null ? null : Transitions.TASK.find(task.status(), event));
            TransitionTable<SideCall.Status> lane = Transitions.sideCallOf(event);
            if (lane != null && task != null) {
                SideCall call = callOf(state, event);
                rows.add(lane.find(call == null ? SideCall.Status.PENDING : call.status(), event));
            }
        }
        return rows;
    }

    static SideCall callOf(RunState state, EventData event) {
        TaskState task = state.task(((EventData.TaskEvent) event).taskId());
        return Transitions.sideCallOf(event) == Transitions.FALLBACK ? task.fallback() : task.compensation();
    }

    static String label(EventData event) {
        for (TransitionTable<?> table : Transitions.ALL) {
            for (TransitionTable.Row<?> row : table.rows()) {
                if (row.event() == event.getClass() && row.when() != When.ALWAYS && row.when().holds(event)) return row.label();
            }
        }
        return event.type();
    }

    // ---- refused: the event changes nothing ----

    /** Events the orchestrator never emits in these states; before the table, apply took each of them silently. */
    @TestFactory
    Stream<DynamicNode> eventsAStateDoesNotAllowAreRefused() {
        List<Object[]> refused = List.of(
                new Object[]{A_CANCELLED, succeeded(), "task 'a' is CANCELLED"},
                new Object[]{SUCCEEDED, accepted(), "the run is SUCCEEDED"},
                new Object[]{PLANNING, created(), "the run is PLANNING"},
                new Object[]{NEW, accepted(), "the run is not created yet"},
                new Object[]{A_READY.then("CANCELLED, a READY", runCancelled()), started(), "the run is CANCELLED"},
                new Object[]{A_RUNNING, fallbackSucceeded(), "the fallback of task 'a' is PENDING"},
                new Object[]{COMPENSATING, compensationSucceeded(), "the compensation of task 'a' is PENDING"},
                new Object[]{REPLANNING, replanStarted(), "the run is REPLANNING"},
                new Object[]{COMPENSATING, runSucceeded(), "the run is COMPENSATING"},
                new Object[]{ALL_SUCCEEDED, answerWritten(), "the run is RUNNING"},
                new Object[]{A_SUCCEEDED, attemptFailed(false), "task 'a' is SUCCEEDED"},
                new Object[]{A_WAITING, started(), "task 'a' is WAITING_APPROVAL"},
                new Object[]{FAILED_TASK, retryRequested(), "the run is FAILED"});
        return refused.stream().map(r -> DynamicTest.dynamicTest("given " + ((Given) r[0]).name() + ", " + label((EventData) r[1])
                + " is refused", () -> assertRefused((Given) r[0], (EventData) r[1], (String) r[2])));
    }

    /** Every event of every kind in every state above: refused, changing nothing, exactly where no row allows it. */
    @Test
    void everyEventNoRowAllowsIsRefusedAndChangesNothing() {
        int refused = 0;
        int allowed = 0;
        for (Given given : everyState()) {
            for (EventData event : everyKind()) {
                RunState state = given.state();
                List<TransitionTable.Row<?>> rows = rowsFor(state, event);
                if (!rows.contains(null)) {
                    state.apply(new RunEvent(state.lastSeq() + 1, "r", LATER, event));
                    assertEquals(rows.get(0).to(), state.status(), given.name() + ", " + label(event));
                    allowed++;
                } else {
                    assertRefused(given, event, null);
                    refused++;
                }
            }
        }
        assertTrue(refused > allowed, "most events fit few states: " + refused + " refused, " + allowed + " allowed");
    }

    private static void assertRefused(Given given, EventData event, String why) {
        RunState state = given.state();
        String before = snapshot(state);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> state.apply(new RunEvent(state.lastSeq() + 1, "r", LATER, event)), given.name() + ", " + label(event));
        if (why != null) assertTrue(e.getMessage().contains(event.type() + " is not allowed while " + why), e.getMessage());
        assertEquals(before, snapshot(state), "a refused " + label(event) + " changes nothing");
        // The next event that fits still applies: the refused one did not take its seq.
        if (state.lastSeq() > 0) state.apply(new RunEvent(state.lastSeq() + 1, "r", LATER, modelUsed()));
    }

    /** Everything the API shows of the run, with each task's status and side calls. */
    private static String snapshot(RunState state) {
        return RunJson.run(state, t -> false) + " " + state.lastSeq() + " " + state.updatedAt();
    }

    @Test
    void aRefusedPlanLeavesTheTasksOfTheFinishedRunAlone() {
        RunState state = SUCCEEDED.state();
        TaskState a = state.task("a");
        assertThrows(IllegalStateException.class, () -> state.apply(new RunEvent(state.lastSeq() + 1, "r", LATER, accepted())));
        assertEquals(TaskStatus.SUCCEEDED, state.task("a").status());
        assertEquals(a, state.task("a"), "the same task, not a fresh PENDING one of a new plan");
        assertEquals(RunStatus.SUCCEEDED, state.status());
    }

    @Test
    void replayRefusesAJournalWithAnEventItsStateDoesNotAllow() {
        List<RunEvent> events = new ArrayList<>();
        for (EventData data : A_CANCELLED.then("a CANCELLED, then a late success", succeeded()).events()) {
            events.add(new RunEvent(events.size() + 1, "r", T0, data));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunState.replay("r", events));
        assertTrue(e.getMessage().contains("TaskSucceeded is not allowed while task 'a' is CANCELLED"), e.getMessage());
    }

    /** A new event type needs rows: the run's table names every type (a task event's rows say in which run statuses it may come). */
    @Test
    void everyEventTypeHasRows() {
        List<Class<?>> types = new ArrayList<>();
        collect(EventData.class, types);
        assertFalse(types.isEmpty());
        for (Class<?> type : types) {
            @SuppressWarnings("unchecked") Class<? extends EventData> event = (Class<? extends EventData>) type;
            assertTrue(Transitions.RUN.handles(event), "no run row for " + type.getSimpleName());
            if (EventData.TaskEvent.class.isAssignableFrom(type)) {
                assertTrue(Transitions.TASK.handles(event), "no task row for " + type.getSimpleName());
            }
        }
        for (EventData event : everyKind()) assertNotNull(event);
        assertEquals(types.size(), everyKind().stream().map(Object::getClass).distinct().count(), "everyKind() has each type");
    }

    private static void collect(Class<?> type, List<Class<?>> into) {
        if (!type.isSealed()) {
            if (type.isRecord()) into.add(type);
            return;
        }
        for (Class<?> sub : type.getPermittedSubclasses()) collect(sub, into);
    }

    @Test
    void theTableRefusesTwoRowsForOneStatusAndEvent() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransitionTable.of("t", TaskStatus.class)
                .row(TaskStatus.PENDING, EventData.TaskReady.class, TaskStatus.READY)
                .row(TaskStatus.PENDING, EventData.TaskReady.class, TaskStatus.SKIPPED).build());
        assertTrue(e.getMessage().contains("two rows"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TransitionTable.of("t", TaskStatus.class)
                .row(TaskStatus.PENDING, EventData.TaskReady.class, When.RETRY, TaskStatus.READY).build());
    }

    private static Plan parsePlan() {
        try {
            return PlanParser.parse(PLAN);
        } catch (PlanException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return Json.parse(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
