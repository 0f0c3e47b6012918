package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Sse;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Approval gates over real HTTP: the gate holds (plan or tool), approving runs the task
 * (with edited arguments if given, checked against the tool's schema), rejecting skips the
 * dependants, a decision happens exactly once even under races with another decision or
 * with the expiry, and escalated approvals are for admins only.
 */
class ApprovalsApiTest {
    static final TestTools.Recording gated = TestTools.gatedEcho("pay.gated");
    static final TestTools.Recording strict = TestTools.strictEcho("pay.strict");
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(Tokens::config, registry -> {
        registry.register(gated);
        registry.register(strict);
    });
    /** Starts runs and reads everything. */
    static final Api admin = servers.api().as(Tokens.ADMIN);
    /** Decides approvals: her name is what the journal records. */
    static final Api alice = servers.api().as(Tokens.APPROVER);

    // ------------------------------------------------------------------ the gate holds

    @Test
    void aTaskThePlanGatesWaitsInTheInboxUntilApprovedThenRuns() {
        String runId = start("""
                {"tasks": [
                  {"id": "draft", "tool": "echo", "args": {"text": "hello"}},
                  {"id": "send", "title": "Send the mail", "tool": "echo", "args": {"to": "${draft.output.text}"}, "approval": "required"},
                  {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["send"]}
                ]}""");
        JsonNode run = admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        assertEquals("RUNNING", run.path("status").asText());
        JsonNode send = Api.task(run, "send");
        assertEquals(0, send.path("attempts").asInt(), "a waiting task has not run");
        assertTrue(send.path("output").isNull());
        assertTrue(send.path("approval").path("required").asBoolean());
        assertEquals("PENDING", send.path("approval").path("status").asText());
        assertEquals("PENDING", Api.task(run, "after").path("status").asText());

        // (GET /api/runs/{id} may show a change a moment before the journal's inbox has it)
        JsonNode item = awaitInboxItem(runId, "send", "PENDING", i -> true);
        assertEquals("Send the mail", item.path("title").asText());
        assertEquals("echo", item.path("tool").asText());
        assertEquals("hello", item.path("args").path("to").asText(), "the inbox shows the resolved arguments");
        assertFalse(item.path("requestedAt").asText("").isEmpty());
        assertTrue(item.path("expiresAt").isNull(), "no timeout: never expires");

        Api.Response approved = decide(alice, runId, "send", "{\"decision\": \"approve\", \"comment\": \"looks fine\"}");
        assertEquals(200, approved.status(), approved.body());
        assertEquals("send", approved.json().path("id").asText(), "the answer is the task");
        assertEquals("APPROVED", approved.json().path("approval").path("status").asText());

        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        JsonNode sent = Api.task(done, "send");
        assertEquals("SUCCEEDED", sent.path("status").asText());
        assertEquals("hello", sent.path("output").path("to").asText());
        assertEquals("alice", sent.path("approval").path("decidedBy").asText());
        assertEquals("looks fine", sent.path("approval").path("comment").asText());
        assertEquals("SUCCEEDED", Api.task(done, "after").path("status").asText());
        assertEquals(null, inboxItem(runId, "send", "PENDING"), "a decided approval leaves the inbox");
        assertNotNull(inboxItem(runId, "send", "APPROVED"));
    }

    @Test
    void aToolThatRequiresApprovalIsGatedEvenWhenThePlanSaysNone() {
        String marker = UUID.randomUUID().toString();
        String runId = start("""
                {"tasks": [{"id": "pay", "tool": "pay.gated", "args": {"amount": 5, "marker": "%s"}, "approval": "none"}]}""".formatted(marker));
        JsonNode run = admin.awaitTaskStatus(runId, "pay", "WAITING_APPROVAL");
        JsonNode pay = Api.task(run, "pay");
        assertTrue(pay.path("approval").path("required").asBoolean(), "the tool's gate cannot be switched off by the plan");
        awaitInboxItem(runId, "pay", "PENDING", i -> true);
        assertEquals(0, callsWith(gated, marker), "the gated tool was not called before the approval");

        Api.Response approved = decide(alice, runId, "pay", "{\"decision\": \"approve\"}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals(5, Api.task(done, "pay").path("output").path("amount").asInt());
        assertEquals(1, callsWith(gated, marker), "called once, after the approval");
    }

    // ------------------------------------------------------------------ edited arguments

    @Test
    void approvingWithEditedArgsRunsTheToolWithTheEditedArgs() {
        String runId = start("""
                {"tasks": [{"id": "send", "tool": "echo", "args": {"to": "a@example.com", "amount": 1}, "approval": "required"}]}""");
        admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        Api.Response approved = decide(alice, runId, "send",
                "{\"decision\": \"approve\", \"args\": {\"to\": \"b@example.com\", \"amount\": 2, \"note\": \"edited\"}}");
        assertEquals(200, approved.status(), approved.body());
        assertEquals("b@example.com", approved.json().path("args").path("to").asText(), "the task shows the edited args");

        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        JsonNode output = Api.task(done, "send").path("output");
        assertEquals(TestTools.json("{\"to\": \"b@example.com\", \"amount\": 2, \"note\": \"edited\"}"), output,
                "echo returns exactly the arguments it received: the edited ones");
        JsonNode decided = onlyEvent(events(runId), "ApprovalDecided");
        assertEquals("b@example.com", decided.path("data").path("args").path("to").asText(), "the journal keeps the edited args");
    }

    @Test
    void editedArgsThatBreakTheToolSchemaAre422AndTheTaskKeepsWaiting() {
        String marker = UUID.randomUUID().toString();
        String runId = start("""
                {"tasks": [{"id": "pay", "title": "%s", "tool": "pay.strict", "args": {"amount": 10, "currency": "EUR"}, "approval": "required"}]}"""
                .formatted(marker));
        JsonNode before = admin.awaitTaskStatus(runId, "pay", "WAITING_APPROVAL");

        Api.Response wrongType = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": {\"amount\": \"lots\", \"currency\": \"EUR\"}}");
        JsonNode error = assertError(wrongType, 422, "args_invalid", "pay", "pay.strict", "args.amount");
        assertTrue(error.path("details").path("violations").size() >= 1, "details list the violations: " + error);

        Api.Response badEnum = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": {\"amount\": 10, \"currency\": \"GBP\"}}");
        assertError(badEnum, 422, "args_invalid", "args.currency");
        Api.Response extra = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": {\"amount\": 10, \"currency\": \"EUR\", \"iban\": \"x\"}}");
        assertError(extra, 422, "args_invalid", "iban");
        Api.Response missing = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": {\"currency\": \"EUR\"}}");
        assertError(missing, 422, "args_invalid", "amount");
        Api.Response notAnObject = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": [10, \"EUR\"]}");
        assertError(notAnObject, 400, "bad_request", "'args'", "object");
        Api.Response argsWithReject = decide(alice, runId, "pay", "{\"decision\": \"reject\", \"args\": {\"amount\": 10, \"currency\": \"EUR\"}}");
        assertError(argsWithReject, 400, "bad_request", "args", "approving");

        JsonNode after = admin.run(runId);
        assertEquals(before, after, "refused decisions change nothing: same state, same events");
        assertEquals("PENDING", Api.task(after, "pay").path("approval").path("status").asText());
        assertEquals(0, callsWith(strict, marker));

        Api.Response approved = decide(alice, runId, "pay", "{\"decision\": \"approve\", \"args\": {\"amount\": 20, \"currency\": \"USD\"}}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals(20, Api.task(done, "pay").path("output").path("amount").asInt());
        assertEquals("USD", Api.task(done, "pay").path("output").path("currency").asText());
    }

    // ------------------------------------------------------------------ rejection

    @Test
    void rejectingATaskSkipsItsDependantsAndFailsTheRun() {
        String runId = start("""
                {"tasks": [
                  {"id": "send", "tool": "echo", "args": {}, "approval": "required"},
                  {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["send"]},
                  {"id": "last", "tool": "echo", "args": {"x": "${after.output}"}},
                  {"id": "free", "tool": "echo", "args": {"independent": true}}
                ]}""");
        admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        // the body's "by" is ignored: the decider is whoever holds the token
        Api.Response rejected = decide(alice, runId, "send", "{\"decision\": \"reject\", \"comment\": \"not today\", \"by\": \"mallory\"}");
        assertEquals(200, rejected.status(), rejected.body());
        assertEquals("REJECTED", rejected.json().path("status").asText());

        JsonNode done = admin.awaitRunStatus(runId, "FAILED");
        JsonNode send = Api.task(done, "send");
        assertEquals("REJECTED", send.path("status").asText());
        assertEquals("REJECTED", send.path("approval").path("status").asText());
        assertEquals("alice", send.path("approval").path("decidedBy").asText());
        assertEquals("not today", send.path("approval").path("comment").asText());
        assertEquals("rejected", send.path("error").path("code").asText());
        assertEquals(0, send.path("attempts").asInt(), "a rejected task never runs");
        assertEquals("SKIPPED", Api.task(done, "after").path("status").asText());
        assertEquals("SKIPPED", Api.task(done, "last").path("status").asText(), "dependants of dependants are skipped too");
        assertEquals("SUCCEEDED", Api.task(done, "free").path("status").asText(), "independent tasks still run");
        assertEquals("task_rejected", done.path("error").path("code").asText());
        assertTrue(done.path("error").path("message").asText().contains("send"), done.path("error").toString());
        assertNotNull(inboxItem(runId, "send", "REJECTED"));
        assertEquals(null, inboxItem(runId, "send", "PENDING"));
    }

    // ------------------------------------------------------------------ conflicts

    @Test
    void decidingATaskThatIsNotWaitingIs409AndChangesNothing() {
        String runId = start("""
                {"tasks": [
                  {"id": "gate", "tool": "echo", "args": {}, "approval": "required"},
                  {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["gate"]},
                  {"id": "done", "tool": "echo", "args": {}}
                ]}""");
        JsonNode before = admin.awaitRun(runId, r -> Api.task(r, "gate").path("status").asText().equals("WAITING_APPROVAL")
                && Api.task(r, "done").path("status").asText().equals("SUCCEEDED"), Duration.ofSeconds(30));

        assertError(decide(alice, runId, "after", "{\"decision\": \"approve\"}"), 409, "conflict", "'after'", "not waiting", "PENDING");
        assertError(decide(alice, runId, "done", "{\"decision\": \"approve\"}"), 409, "conflict", "'done'", "SUCCEEDED");
        assertError(decide(alice, runId, "done", "{\"decision\": \"reject\"}"), 409, "conflict", "'done'");
        assertError(decide(alice, runId, "nope", "{\"decision\": \"approve\"}"), 404, "not_found", "nope");
        assertError(decide(alice, "r_doesnotexist", "gate", "{\"decision\": \"approve\"}"), 404, "not_found", "r_doesnotexist");
        assertError(decide(alice, runId, "gate", "{\"decision\": \"maybe\"}"), 400, "bad_request", "decision");
        assertError(decide(alice, runId, "gate", "{}"), 400, "bad_request", "decision");
        assertEquals(before, admin.run(runId), "refused decisions change nothing");

        assertEquals(200, decide(alice, runId, "gate", "{\"decision\": \"approve\"}").status());
        assertError(decide(alice, runId, "gate", "{\"decision\": \"approve\"}"), 409, "conflict", "'gate'", "not waiting");
        admin.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals(1, count(events(runId), "ApprovalDecided"));
        assertError(decide(alice, runId, "gate", "{\"decision\": \"reject\"}"), 409, "conflict", "SUCCEEDED");
    }

    @Test
    void twoConcurrentApprovalsOfOneTaskGiveOne200AndOne409() throws Exception {
        int runs = 20;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ids.add(start("{\"tasks\": [{\"id\": \"gate\", \"tool\": \"echo\", \"args\": {\"n\": " + i + "}, \"approval\": \"required\"},"
                    + " {\"id\": \"after\", \"tool\": \"echo\", \"args\": {}, \"dependsOn\": [\"gate\"]}]}"));
        }
        for (String id : ids) admin.awaitTaskStatus(id, "gate", "WAITING_APPROVAL");

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (String id : ids) {
                CountDownLatch go = new CountDownLatch(1);
                Future<Api.Response> first = pool.submit(() -> {
                    go.await();
                    return decide(alice, id, "gate", "{\"decision\": \"approve\", \"comment\": \"first\"}");
                });
                Future<Api.Response> second = pool.submit(() -> {
                    go.await();
                    return decide(admin, id, "gate", "{\"decision\": \"approve\", \"comment\": \"second\"}");
                });
                go.countDown();
                Api.Response a = first.get(30, TimeUnit.SECONDS);
                Api.Response b = second.get(30, TimeUnit.SECONDS);
                List<Integer> statuses = new ArrayList<>(List.of(a.status(), b.status()));
                statuses.sort(null);
                assertEquals(List.of(200, 409), statuses, "run " + id + ": exactly one decision wins: " + a.body() + " / " + b.body());
                Api.Response loser = a.status() == 409 ? a : b;
                Api.Response winner = a.status() == 200 ? a : b;
                assertError(loser, 409, "conflict", "not waiting");
                String winnerName = winner == a ? "alice" : "root";
                assertEquals(winnerName, winner.json().path("approval").path("decidedBy").asText());
            }
        } finally {
            pool.shutdownNow();
        }
        for (String id : ids) {
            JsonNode done = admin.awaitRunStatus(id, "SUCCEEDED");
            assertEquals(1, Api.task(done, "gate").path("attempts").asInt(), "the approved task ran once");
            List<Sse.Event> events = events(id);
            assertEquals(1, count(events, "ApprovalDecided"), "run " + id + ": exactly one decision in the journal");
            String decidedBy = onlyEvent(events, "ApprovalDecided").path("data").path("by").asText();
            assertEquals(decidedBy, Api.task(done, "gate").path("approval").path("decidedBy").asText());
        }
    }

    // ------------------------------------------------------------------ expiry

    @Test
    void anApprovalThatExpiresUnderTheRejectPolicyRejectsTheTaskAndSkipsItsDependants() {
        String runId = start("""
                {"tasks": [
                  {"id": "gate", "tool": "echo", "args": {}, "approval": {"timeout": "PT1S", "onTimeout": "reject"}},
                  {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["gate"]}
                ]}""");
        JsonNode waiting = admin.awaitTaskStatus(runId, "gate", "WAITING_APPROVAL");
        JsonNode approval = Api.task(waiting, "gate").path("approval");
        Duration window = Duration.between(Instant.parse(approval.path("requestedAt").asText()), Instant.parse(approval.path("expiresAt").asText()));
        assertTrue(Math.abs(window.toMillis() - 1000) <= 50, "expiresAt is requestedAt plus the plan's timeout: " + window);
        awaitInboxItem(runId, "gate", "PENDING", i -> i.path("expiresAt").isTextual());

        JsonNode done = admin.awaitRunStatus(runId, "FAILED");
        JsonNode gate = Api.task(done, "gate");
        assertEquals("REJECTED", gate.path("status").asText());
        assertEquals("EXPIRED", gate.path("approval").path("status").asText());
        assertTrue(gate.path("approval").path("decidedBy").isNull(), "nobody decided: " + gate.path("approval"));
        assertEquals("approval_expired", gate.path("error").path("code").asText());
        assertEquals(0, gate.path("attempts").asInt());
        assertEquals("SKIPPED", Api.task(done, "after").path("status").asText());
        assertEquals("task_rejected", done.path("error").path("code").asText());
        awaitInboxItem(runId, "gate", "EXPIRED", i -> true);
        assertEquals(null, inboxItem(runId, "gate", "PENDING"));

        assertError(decide(alice, runId, "gate", "{\"decision\": \"approve\"}"), 409, "conflict", "not waiting");
        List<Sse.Event> events = events(runId);
        assertEquals(1, count(events, "ApprovalExpired"));
        assertEquals(0, count(events, "ApprovalDecided"));
    }

    @Test
    void anApprovalThatExpiresUnderTheEscalatePolicyKeepsWaitingForAnAdmin() {
        String runId = start("""
                {"tasks": [{"id": "gate", "tool": "echo", "args": {"big": true}, "approval": {"timeout": "PT0.3S", "onTimeout": "escalate"}}]}""");
        JsonNode escalated = admin.awaitRun(runId, r -> Api.task(r, "gate").path("approval").path("escalated").asBoolean(),
                Duration.ofSeconds(30));
        JsonNode gate = Api.task(escalated, "gate");
        assertEquals("WAITING_APPROVAL", gate.path("status").asText(), "escalation does not decide");
        assertEquals("PENDING", gate.path("approval").path("status").asText());
        assertEquals("RUNNING", escalated.path("status").asText());
        // an escalated approval stays in the inbox, flagged
        awaitInboxItem(runId, "gate", "PENDING", i -> i.path("escalated").asBoolean());

        assertError(decide(alice, runId, "gate", "{\"decision\": \"approve\"}"), 403, "forbidden", "escalated", "admin");
        assertError(decide(alice, runId, "gate", "{\"decision\": \"reject\"}"), 403, "forbidden", "admin");
        assertEquals("WAITING_APPROVAL", Api.task(admin.run(runId), "gate").path("status").asText(), "the approver's attempt changed nothing");

        Api.Response approved = decide(admin, runId, "gate", "{\"decision\": \"approve\", \"comment\": \"escalated, fine\"}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode done = admin.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("root", Api.task(done, "gate").path("approval").path("decidedBy").asText());
        assertEquals("APPROVED", Api.task(done, "gate").path("approval").path("status").asText());
        List<Sse.Event> events = events(runId);
        assertEquals(1, count(events, "ApprovalEscalated"));
        assertEquals(0, count(events, "ApprovalExpired"));
    }

    @Test
    void aDecisionRacingTheExpiryHasExactlyOneOutcome() throws Exception {
        int runs = 10;
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(runs);
        List<String> ids = new ArrayList<>();
        List<Future<Api.Response>> decisions = new ArrayList<>();
        try {
            for (int i = 0; i < runs; i++) {
                JsonNode run = admin.startRun("race " + i, TestTools.json("""
                        {"tasks": [{"id": "gate", "tool": "echo", "args": {}, "approval": {"timeout": "PT0.3S"}},
                                   {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["gate"]}]}"""));
                String id = run.path("id").asText();
                JsonNode approval = Api.task(run, "gate").path("approval");
                assertEquals("WAITING_APPROVAL", Api.task(run, "gate").path("status").asText(),
                        "a gated task without dependencies waits as soon as the run is created");
                // aim at the moment of expiry: from 40 ms before it to 50 ms after
                Instant aim = Instant.parse(approval.path("expiresAt").asText()).plusMillis(-40 + 10L * i);
                long delay = Math.max(0, Duration.between(Instant.now(), aim).toMillis());
                ids.add(id);
                decisions.add(timer.schedule(() -> decide(alice, id, "gate", "{\"decision\": \"approve\"}"), delay, TimeUnit.MILLISECONDS));
            }
            int approvalsWon = 0;
            int expiriesWon = 0;
            for (int i = 0; i < runs; i++) {
                String id = ids.get(i);
                Api.Response response = decisions.get(i).get(30, TimeUnit.SECONDS);
                JsonNode done = admin.awaitRun(id, r -> r.path("status").asText().matches("SUCCEEDED|FAILED"), Duration.ofSeconds(30));
                JsonNode gate = Api.task(done, "gate");
                List<Sse.Event> events = events(id);
                if (response.status() == 200) {
                    approvalsWon++;
                    assertEquals("SUCCEEDED", done.path("status").asText(), "approval won, so the task ran: " + done);
                    assertEquals("APPROVED", gate.path("approval").path("status").asText());
                    assertEquals(1, gate.path("attempts").asInt());
                    assertEquals(1, count(events, "ApprovalDecided"), "run " + id);
                    assertEquals(0, count(events, "ApprovalExpired"), "run " + id + ": approved AND expired");
                } else {
                    expiriesWon++;
                    assertError(response, 409, "conflict", "not waiting");
                    assertEquals("FAILED", done.path("status").asText(), "expiry won, so the task was rejected: " + done);
                    assertEquals("EXPIRED", gate.path("approval").path("status").asText());
                    assertEquals(0, gate.path("attempts").asInt(), "an expired task never runs");
                    assertEquals(1, count(events, "ApprovalExpired"), "run " + id);
                    assertEquals(0, count(events, "ApprovalDecided"), "run " + id + ": expired AND approved");
                }
            }
            assertEquals(runs, approvalsWon + expiriesWon);
            System.out.println("decision vs expiry: approval won " + approvalsWon + ", expiry won " + expiriesWon);
        } finally {
            timer.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String start(String plan) {
        return admin.startRun("approvals", TestTools.json(plan)).path("id").asText();
    }

    private static Api.Response decide(Api as, String runId, String taskId, String body) {
        return as.post("/api/runs/" + runId + "/tasks/" + taskId + "/approval", body);
    }

    /** The inbox entry of this task with this status, or null. */
    private static JsonNode inboxItem(String runId, String taskId, String status) {
        Api.Response list = admin.get("/api/approvals?status=" + status);
        assertEquals(200, list.status(), list.body());
        assertTrue(list.json().isArray(), list.body());
        for (JsonNode item : list.json()) {
            if (item.path("runId").asText().equals(runId) && item.path("taskId").asText().equals(taskId)) return item;
        }
        return null;
    }

    /** Waits until the inbox holds this task's approval with this status and the condition holds. */
    private static JsonNode awaitInboxItem(String runId, String taskId, String status, java.util.function.Predicate<JsonNode> condition) {
        return Api.await(() -> inboxItem(runId, taskId, status), item -> item != null && condition.test(item), Duration.ofSeconds(10),
                "the approval of " + runId + "/" + taskId + " in the inbox as " + status);
    }

    private static long callsWith(TestTools.Recording tool, String marker) {
        return tool.calls().stream().filter(args -> args.toString().contains(marker)).count();
    }

    /** Every event of a finished run, from its event stream. */
    private static List<Sse.Event> events(String runId) {
        try (Sse sse = Sse.open(admin, "/api/runs/" + runId + "/events", Map.of(), Duration.ofSeconds(10))) {
            assertEquals(200, sse.status(), sse.errorBody());
            return sse.readToEnd(Duration.ofSeconds(10));
        }
    }

    private static long count(List<Sse.Event> events, String type) {
        return events.stream().filter(e -> e.type().equals(type)).count();
    }

    private static JsonNode onlyEvent(List<Sse.Event> events, String type) {
        List<Sse.Event> matching = events.stream().filter(e -> e.type().equals(type)).toList();
        assertEquals(1, matching.size(), "one " + type + " event: " + events);
        return matching.get(0).data();
    }
}
