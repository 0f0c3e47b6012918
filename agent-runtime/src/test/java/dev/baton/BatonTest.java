package dev.baton;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.RunListener;
import dev.baton.runtime.run.RunStatus;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import io.vertx.core.Context;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding API end to end: builder, plan builder, listeners deciding approvals, typed results. */
class BatonTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** {@code math.add}: a + b. */
    static final class AddTool implements BatonTool {
        @Override
        public ToolDescriptor descriptor() {
            return ToolDescriptor.builder("math.add").description("adds two numbers").idempotent(true)
                    .parameters((com.fasterxml.jackson.databind.node.ObjectNode) Json.toTree(Map.of("type", "object",
                            "properties", Map.of("a", Map.of("type", "number"), "b", Map.of("type", "number")),
                            "required", List.of("a", "b"))))
                    .build();
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) {
            return Json.object().put("sum", args.path("a").asDouble() + args.path("b").asDouble());
        }
    }

    private static Plan threeTasksWithApproval() {
        return Plan.builder()
                .tool("one", "math.add", Map.of("a", "${input.x}", "b", 1))
                .tool("two", "math.add", Map.of("a", "${input.x}", "b", 2))
                .tool("both", "math.add", Map.of("a", "${one.output.sum}", "b", "${two.output.sum}")).requireApproval()
                .build();
    }

    @Test
    void aListenerApprovesAndTheResultIsTyped() {
        List<String> listenerThreads = new CopyOnWriteArrayList<>();
        List<RunListener.RunFinished> finished = new CopyOnWriteArrayList<>();
        try (Baton baton = Baton.builder().tool(new AddTool()).start()) {
            baton.onApprovalRequested(request -> {
                listenerThreads.add(Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (event loop)" : ""));
                assertEquals("both", request.taskId());
                assertEquals("math.add", request.tool());
                assertEquals(Json.object().put("a", 11.0).put("b", 12.0), request.args());
                baton.decide(request.approve().by("alice").comment("sums look right"));
            });
            baton.onRunFinished(finished::add);
            RunHandle run = baton.run("add things", threeTasksWithApproval(), Map.of("x", 10));
            RunResult result = run.await(TIMEOUT);

            assertEquals(RunStatus.SUCCEEDED, result.status(), result.run().toPrettyString());
            assertTrue(result.succeeded());
            assertEquals(run.id(), result.runId());
            assertEquals(23.0, result.output("both").path("sum").asDouble());
            assertNull(result.error());
            JsonNode approval = result.run().at("/plan/tasks/2/approval");
            assertEquals("alice", approval.path("decidedBy").asText());
            assertEquals("sums look right", approval.path("comment").asText());
            assertEquals(List.of("baton-listeners"), listenerThreads, "listeners run on their own thread, off the event loop");
            awaitUntil(() -> finished.size() == 1, finished::toString);
            assertEquals(run.id(), finished.get(0).runId());
            assertTrue(finished.get(0).succeeded());
            assertEquals(23.0, finished.get(0).result().at("/outputs/both/sum").asDouble(), finished.get(0).toString());
        }
    }

    @Test
    void aRejectionFromTheFactoryEndsTheRunAndIsRecorded() {
        try (Baton baton = Baton.builder().tool(new AddTool()).start()) {
            baton.onApprovalRequested(request -> baton.decide(ApprovalDecision.reject(request.runId(), request.taskId())
                    .by("bob").comment("not today")));
            RunResult result = baton.run("add things", threeTasksWithApproval(), Map.of("x", 1)).await(TIMEOUT);
            assertFalse(result.succeeded());
            JsonNode task = result.run().at("/plan/tasks/2");
            assertEquals("REJECTED", task.path("status").asText());
            assertEquals("bob", task.at("/approval/decidedBy").asText());
            assertEquals("not today", task.at("/approval/comment").asText());
        }
    }

    @Test
    void aFailingListenerBreaksNeitherTheOthersNorTheRun() {
        List<String> heard = new CopyOnWriteArrayList<>();
        try (Baton baton = Baton.builder().tool(new AddTool()).start()) {
            baton.onEvent(event -> {
                throw new IllegalStateException("this listener always fails");
            });
            baton.onApprovalRequested(request -> {
                throw new IllegalStateException("so does this one");
            });
            baton.onApprovalRequested(request -> baton.decide(request.approve().by("carol")));
            baton.onEvent(event -> heard.add(event.type()));
            RunResult result = baton.run("add things", threeTasksWithApproval(), Map.of("x", 1)).await(TIMEOUT);
            assertEquals(RunStatus.SUCCEEDED, result.status());
            awaitUntil(() -> heard.contains("RunSucceeded"), heard::toString);
            assertTrue(heard.containsAll(List.of("RunCreated", "ApprovalRequested", "ApprovalDecided", "TaskSucceeded")), heard.toString());
        }
    }

    @Test
    void eventsArriveInTheRunsOrderAndARemovedListenerHearsNoMore() {
        List<RunEvent> events = new CopyOnWriteArrayList<>();
        List<RunEvent> removed = new CopyOnWriteArrayList<>();
        try (Baton baton = Baton.builder().tool(new AddTool()).start()) {
            baton.onEvent(events::add);
            baton.onEvent(removed::add).close();
            baton.onApprovalRequested(request -> baton.decide(request.approve()));
            String runId = baton.run("add things", threeTasksWithApproval(), Map.of("x", 1)).id();
            baton.runOf(runId).await(TIMEOUT);
            awaitUntil(() -> events.stream().anyMatch(e -> e.type().equals("RunSucceeded")), events::toString);
            for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).seq(), "seq " + (i + 1));
            assertEquals(List.of(), removed);
            List<RunEvent> decided = events.stream().filter(e -> e.type().equals("ApprovalDecided")).toList();
            assertEquals(1, decided.size());
            assertTrue(decided.get(0).data().toString().contains(ApprovalDecision.UNNAMED), decided.get(0).toString());
        }
    }

    @Test
    void badPlansAndDecisionsAreRefusedWithTheApisErrors() {
        try (Baton baton = Baton.builder().tool(new AddTool()).start()) {
            BatonException unknownTool = assertThrows(BatonException.class, () -> baton.run("x", Plan.builder().tool("a", "math.ad").build()));
            assertEquals("plan_invalid", unknownTool.code());
            assertTrue(unknownTool.getMessage().contains("unknown tool 'math.ad'"), unknownTool.getMessage());

            RunHandle run = baton.run("add", Plan.builder().tool("a", "math.add", Map.of("a", 1, "b", 2)).build());
            assertEquals(RunStatus.SUCCEEDED, run.await(TIMEOUT).status());
            BatonException notWaiting = assertThrows(BatonException.class,
                    () -> baton.decide(ApprovalDecision.approve(run.id(), "a").by("dave")));
            assertEquals(BatonException.Kind.CONFLICT, notWaiting.kind());
        }
    }

    @Test
    void decisionFactoriesFillTheRecord() {
        ApprovalDecision approve = ApprovalDecision.approve("r1", "t1").by("alice").comment("ok").withArgs(Json.object().put("n", 1)).asAdmin();
        assertEquals(new ApprovalDecision("r1", "t1", true, "alice", true, "ok", Json.object().put("n", 1)), approve);
        assertEquals(new ApprovalDecision("r1", "t1", false, "bob", false, "no", null),
                ApprovalDecision.reject("r1", "t1").by("bob").comment("no"));
        assertThrows(IllegalStateException.class, () -> ApprovalDecision.reject("r1", "t1").withArgs(Json.object()));
    }

    @Test
    void closeTwiceAndAGivenVertxIsLeftOpen() throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            Baton baton = Baton.builder().vertx(vertx).start();
            baton.close();
            baton.close();
            io.vertx.core.Future<Void> timer = vertx.timer(1, TimeUnit.MILLISECONDS);
            timer.await(5, TimeUnit.SECONDS);
            assertTrue(timer.succeeded(), "the given Vert.x still runs");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Waits for a listener to have heard something: listeners hear an event once it is durable, a moment after the run's answer. */
    private static void awaitUntil(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("still waiting for " + what.get());
            Thread.onSpinWait();
        }
    }
}
