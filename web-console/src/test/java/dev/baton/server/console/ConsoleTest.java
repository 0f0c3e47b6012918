package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console in a real headless Chromium against a real server: submitting a plan, the
 * graph and the task list updating live, approving and rejecting, untrusted text shown as
 * text, the Content-Security-Policy, and the token prompt.
 */
class ConsoleTest {
    /** Fails its first call for good, then succeeds: for the "Retry" button. */
    static final java.util.concurrent.atomic.AtomicInteger flakyCalls = new java.util.concurrent.atomic.AtomicInteger();
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(TestServer::config, registry -> registry.register(new dev.baton.tools.BatonTool() {
        @Override
        public dev.baton.tools.ToolDescriptor descriptor() {
            return dev.baton.tools.ToolDescriptor.builder("test.flaky").description("fails once for good, then works")
                    .parameters(dev.baton.tools.ToolDescriptor.emptyObjectSchema()).idempotent(true).build();
        }

        @Override
        public JsonNode call(JsonNode args, dev.baton.tools.ToolContext context) throws Exception {
            if (flakyCalls.incrementAndGet() == 1) throw dev.baton.tools.ToolException.permanent("broken", "the first call breaks");
            return dev.baton.server.testing.TestTools.json("{\"fixed\": true}");
        }
    }));
    static final Api api = servers.api();
    Browser.Tab tab;
    Page page;

    @BeforeEach
    void openTab() {
        tab = servers.browser().open(api.base());
        page = tab.page;
    }

    @AfterEach
    void closeTab() {
        tab.close();
    }

    /** No console errors (a CSP violation would be one) and no dialogs. */
    private void assertQuietPage() {
        assertEquals(List.of(), tab.errors, "console errors");
        assertEquals(List.of(), tab.dialogs, "dialogs");
    }

    private Locator task(String id) {
        return page.locator("[data-task-id=\"" + id + "\"]");
    }

    private String gatedRun(String goal) {
        return api.startRun(goal, """
                {"tasks": [
                  {"id": "draft", "title": "Draft the mail", "tool": "echo", "args": {"text": "hello"}},
                  {"id": "send", "title": "Send the mail", "tool": "echo", "args": {"to": "${draft.output.text}"}, "dependsOn": ["draft"], "approval": "required"},
                  {"id": "after", "title": "Log it", "tool": "echo", "args": {"done": true}, "dependsOn": ["send"]}
                ]}""").path("id").asText();
    }

    @Test
    void aPlanSubmittedInTheConsoleShowsItsGraphAndListAndTheirStatusesChangeLive() {
        page.navigate("/");
        page.getByLabel("Goal").fill("Say hello, then wait");
        page.getByText("Input and plan (optional JSON)").click();
        page.getByLabel("Plan (JSON; runs as given, no planner)").fill("""
                {"tasks": [
                  {"id": "hello", "title": "Say hello", "tool": "echo", "args": {"text": "hello"}},
                  {"id": "pause", "title": "Wait a moment", "wait": "PT6S", "dependsOn": ["hello"]},
                  {"id": "bye", "title": "Say goodbye", "tool": "echo", "args": {"text": "bye"}, "dependsOn": ["pause"]}
                ]}""");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start run")).click();
        // the chat shows the run as a conversation, and links to its graph
        page.waitForURL(Pattern.compile(".*/\\?run=[^/]+$"));
        assertThat(page.locator("#chat li[data-kind=goal]")).containsText("Say hello, then wait");
        assertThat(page.locator("#chat li[data-kind=plan]")).containsText("Running a plan of 3 tasks");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Open the plan and its graph")).click();
        page.waitForURL(Pattern.compile(".*/runs/[^/]+$"));
        String runId = page.url().replaceAll(".*/runs/", "");

        assertThat(page.locator("#graph canvas").first()).isVisible();
        assertThat(task("hello")).hasCount(1);
        assertThat(task("pause")).hasCount(1);
        assertThat(task("bye")).hasCount(1);
        String early = task("bye").getAttribute("data-status");
        assertNotEquals("SUCCEEDED", early, "the last task has not run when the page first shows it");
        page.evaluate("() => { window.sameDocument = true; }");
        tab.screenshot("run-in-progress");

        assertThat(task("pause")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(task("bye")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        assertEquals(true, page.evaluate("() => window.sameDocument === true"), "updated live, without a reload");
        assertFalse(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Cancel run").setExact(true)).isVisible(),
                "a finished run offers no cancel");

        task("bye").click();
        assertThat(page.locator("#detail pre.output")).containsText("bye");
        tab.screenshot("run-succeeded");
        assertEquals("SUCCEEDED", api.run(runId).path("status").asText());

        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Runs").setExact(true)).click();
        assertThat(page.locator("tr[data-run-id=\"" + runId + "\"]")).hasAttribute("data-status", "SUCCEEDED");
        assertQuietPage();
    }

    @Test
    void approvingAWaitingTaskInTheConsoleLetsTheRunFinish() {
        String runId = gatedRun("Send a mail after approval");
        page.navigate("/runs/" + runId);
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        assertTrue(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Cancel run").setExact(true)).isVisible());
        task("send").click();
        assertThat(page.locator("#detail dl")).containsText("WAITING_APPROVAL");
        assertFalse(page.locator("#detail").textContent().contains("[object"), "the detail shows text, not objects");
        assertFalse(page.locator("#tasks").textContent().contains("null"), "no null for a task that has not run");
        tab.screenshot("approval-waiting");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve").setExact(true)).click();
        assertThat(task("send")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(task("after")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        assertThat(page.locator("#detail")).containsText("APPROVED");
        assertQuietPage();
    }

    @Test
    void aPlanEditedInThePlanApprovalFormRunsAsEdited() {
        page.navigate("/");
        page.getByLabel("Goal").fill("Greet, after I have looked at the plan");
        page.getByText("Input and plan (optional JSON)").click();
        page.getByLabel("Plan (JSON; runs as given, no planner)").fill("""
                {"tasks": [{"id": "greet", "title": "Greet", "tool": "echo", "args": {"text": "hello"}}]}""");
        page.getByLabel("Let me approve the plan before it runs").check();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start run")).click();
        page.waitForURL(Pattern.compile(".*/\\?run=[^/]+$"));
        String runId = page.url().replaceAll(".*\\?run=", "");
        assertThat(page.locator("#chat li[data-kind=plan-proposed]")).containsText("waits for your approval");
        assertEquals("AWAITING_PLAN_APPROVAL", api.run(runId).path("status").asText());
        assertEquals(0, api.run(runId).path("plan").path("tasks").get(0).path("attempts").asInt(), "nothing ran before approval");

        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("review and edit it")).click();
        Locator editor = page.locator("#plan-edit");
        assertThat(editor).hasValue(Pattern.compile(".*\"text\": \"hello\".*", Pattern.DOTALL));
        // the person changes the greeting and adds a task before approving (the JSON sits behind a disclosure, below the graph)
        page.getByText("Edit the plan as JSON").click();
        editor.fill("""
                {"tasks": [
                  {"id": "greet", "title": "Greet", "tool": "echo", "args": {"text": "hello, edited"}},
                  {"id": "log", "title": "Log the greeting", "tool": "echo", "args": {"said": "${greet.output.text}"}, "dependsOn": ["greet"]}
                ]}""");
        page.getByLabel("Comment").fill("friendlier");
        tab.screenshot("plan-approval-edited");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve plan")).click();
        assertThat(task("log")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        assertThat(page.locator("#plan-edit")).hasCount(0);
        JsonNode run = api.run(runId);
        assertEquals("hello, edited", Api.task(run, "greet").path("output").path("text").asText());
        assertEquals("hello, edited", Api.task(run, "log").path("output").path("said").asText());
        assertQuietPage();
    }

    @Test
    void approvingWithEditedArgumentsRunsTheTaskWithThem() {
        String runId = gatedRun("Send a mail to the right person");
        // The page shows the run first and then streams its events, which re-render the task's
        // detail. Holding the stream back until the person has typed makes that order certain:
        // the edits must survive the events arriving (they once did not, and the approval went
        // out with the planned arguments).
        List<com.microsoft.playwright.Route> heldStreams = new java.util.ArrayList<>();
        page.route("**/api/runs/*/events**", heldStreams::add);
        page.navigate("/runs/" + runId + "?task=send");
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        Locator args = page.locator("#approval-args");
        assertThat(args).hasValue(Pattern.compile(".*\"to\": \"hello\".*", Pattern.DOTALL));
        args.fill("{\"to\": \"ada@example.org\", \"cc\": \"<b>not html</b>\"}");
        page.locator("#approval-comment").fill("right address");
        assertFalse(heldStreams.isEmpty(), "the page asked for the event stream");
        page.unroute("**/api/runs/*/events**");
        heldStreams.forEach(com.microsoft.playwright.Route::resume);
        assertThat(page.locator("#detail ol.transcript li").first()).isVisible();
        assertThat(args).hasValue(Pattern.compile(".*ada@example\\.org.*", Pattern.DOTALL));
        assertThat(page.locator("#approval-comment")).hasValue("right address");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve").setExact(true)).click();
        assertThat(task("send")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#detail pre.output")).containsText("ada@example.org");
        assertThat(page.locator("#detail pre.output")).containsText("<b>not html</b>");
        assertThat(page.locator("#detail")).containsText("right address");
        JsonNode send = Api.task(api.awaitRunStatus(runId, "SUCCEEDED"), "send");
        assertEquals("ada@example.org", send.path("output").path("to").asText());
        assertEquals("APPROVED", send.path("approval").path("status").asText());
        assertQuietPage();
    }

    @Test
    void badJsonInTheEditedArgumentsIsReportedAndNothingIsDecided() {
        String runId = gatedRun("Send a mail, carefully");
        page.navigate("/runs/" + runId + "?task=send");
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        page.locator("#approval-args").fill("{\"to\": ");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve").setExact(true)).click();
        assertThat(page.locator("#notice")).containsText("JSON");
        assertEquals("WAITING_APPROVAL", Api.task(api.run(runId), "send").path("status").asText());
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        api.post("/api/runs/" + runId + "/cancel", java.util.Map.of());
    }

    @Test
    void rejectingAWaitingTaskSkipsItsDependants() {
        String runId = gatedRun("Send a mail, or not");
        page.navigate("/runs/" + runId);
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        task("send").click();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Reject").setExact(true)).click();
        assertThat(task("send")).hasAttribute("data-status", "REJECTED");
        assertThat(task("after")).hasAttribute("data-status", "SKIPPED");
        assertFalse(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve").setExact(true)).isVisible());
        assertQuietPage();
    }

    @Test
    void theApprovalsInboxDecidesAcrossRuns() {
        String runId = gatedRun("Send a mail from the inbox");
        api.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        page.navigate("/approvals");
        Locator item = page.locator("li[data-run-id=\"" + runId + "\"][data-task-id=\"send\"]");
        assertThat(item).containsText("Send the mail");
        tab.screenshot("approvals-inbox");
        // a comment being typed survives another run's approval arriving (which reloads the list)
        Locator comment = item.getByLabel("Comment on Send the mail");
        comment.fill("looked at it");
        String otherRunId = gatedRun("Send another mail");
        assertThat(page.locator("li[data-run-id=\"" + otherRunId + "\"]")).containsText("Send the mail");
        assertThat(comment).hasValue("looked at it");
        item.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Approve").setExact(true)).click();
        assertThat(item).hasCount(0);
        JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals("APPROVED", Api.task(run, "send").path("approval").path("status").asText());
        assertEquals("looked at it", Api.task(run, "send").path("approval").path("comment").asText());
        api.post("/api/runs/" + otherRunId + "/cancel", java.util.Map.of());
        assertQuietPage();
    }

    @Test
    void retryingAFailedTaskInTheConsoleReopensTheRunAndItSucceeds() {
        String runId = api.startRun("flaky", """
                {"tasks": [
                  {"id": "flaky", "title": "Call the flaky service", "tool": "test.flaky", "args": {}},
                  {"id": "after", "tool": "echo", "args": {"x": 1}, "dependsOn": ["flaky"]}
                ]}""").path("id").asText();
        api.awaitRunStatus(runId, "FAILED");
        page.navigate("/runs/" + runId);
        assertThat(task("after")).hasAttribute("data-status", "SKIPPED");
        task("flaky").click();
        assertThat(page.locator("#detail pre.error")).containsText("broken");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Retry").setExact(true)).click();
        assertThat(task("flaky")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(task("after")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        assertThat(page.locator("#detail ol.history li")).hasCount(2);
        assertQuietPage();
    }

    @Test
    void cancellingARunInTheConsoleStopsIt() {
        String runId = api.startRun("a long wait", "{\"tasks\": [{\"id\": \"nap\", \"wait\": \"PT5M\"}]}").path("id").asText();
        page.navigate("/runs/" + runId);
        assertThat(task("nap")).hasCount(1);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Cancel run").setExact(true)).click();
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "CANCELLED");
        assertThat(task("nap")).hasAttribute("data-status", "CANCELLED");
        assertEquals("CANCELLED", api.run(runId).path("status").asText());
        assertQuietPage();
    }

    @Test
    void goalsAndToolOutputsAreShownAsTextAndNothingInThemRuns() {
        String goal = "<img src=x onerror=alert(1)> say it";
        String script = "<script>window.pwned=1</script>";
        String runId = api.startRun(goal, """
                {"tasks": [{"id": "echo", "title": "<b>bold?</b>", "tool": "echo", "args": {"text": "%s"}}]}"""
                .formatted(script.replace("\"", "\\\""))).path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
        page.navigate("/runs/" + runId + "?task=echo");
        assertThat(page.locator("h1.goal")).hasText(goal);
        assertThat(page.locator("h1.goal img")).hasCount(0);
        assertThat(task("echo")).containsText("<b>bold?</b>");
        assertThat(page.locator("#detail pre.output")).containsText(script);
        assertThat(page.locator("#detail ol.transcript")).containsText("TaskSucceeded");
        page.navigate("/");
        assertThat(page.locator("tr[data-run-id=\"" + runId + "\"]")).containsText(goal);
        assertEquals("undefined", page.evaluate("() => typeof window.pwned"));
        assertEquals(0, page.locator("main img").count());
        assertQuietPage();
    }

    @Test
    void everyViewIsSentWithAStrictContentSecurityPolicy() {
        String runId = api.startRun("csp", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        for (String path : List.of("/", "/runs", "/runs/" + runId, "/approvals")) {
            Response response = page.navigate(path);
            assertEquals(200, response.status(), path);
            String csp = response.headers().get("content-security-policy");
            assertNotNull(csp, path);
            assertTrue(csp.contains("script-src 'self'"), csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
            assertThat(page.locator("nav")).isVisible();
        }
        assertEquals(404, api.get("/api/nope").status(), "the API keeps its JSON 404");
        assertQuietPage();
    }

    @Test
    void afterTheServerRestartsThePageReconnectsAndKeepsFollowingTheRun() {
        dev.baton.server.Config config = TestServer.config();
        TestServer first = TestServer.start(config, registry -> {
        });
        int port = first.port();
        TestServer second = null;
        try (Browser.Tab other = servers.browser().open(first.api().base())) {
            String runId = first.api().startRun("outlive a restart", """
                    {"tasks": [
                      {"id": "pause", "wait": "PT3S"},
                      {"id": "after", "tool": "echo", "args": {"text": "still here"}, "dependsOn": ["pause"]}
                    ]}""").path("id").asText();
            other.page.navigate("/runs/" + runId);
            assertThat(other.page.locator("[data-task-id=pause]")).hasCount(1);
            other.page.evaluate("() => { window.sameDocument = true; }");
            first.close();
            // the same port and data directory: the run is recovered and its timer still fires
            second = TestServer.start(config.withPort(port), registry -> {
            });
            assertThat(other.page.locator("[data-task-id=after]")).hasAttribute("data-status", "SUCCEEDED",
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(20_000));
            assertThat(other.page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
            assertEquals(true, other.page.evaluate("() => window.sameDocument === true"), "no reload");
            // Last-Event-ID: no event is shown twice
            assertEquals(other.page.locator(".timeline li").count(),
                    ((Number) other.page.evaluate("() => new Set([...document.querySelectorAll('.timeline li')].map(li => li.dataset.seq)).size")).intValue());
        } finally {
            if (second != null) second.close();
        }
    }

    /** A stream refused with 503 (the journal away) or 429 (a cap) is closed for good by the browser: the page opens it again. */
    @Test
    void aRefusedEventStreamIsOpenedAgainAndTheRunIsFollowedToItsEnd() {
        String runId = gatedRun("Follow after a refused stream");
        List<String> streams = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        page.route("**/api/runs/*/events**", route -> {
            streams.add(route.request().url());
            if (streams.size() == 1) {
                route.fulfill(new com.microsoft.playwright.Route.FulfillOptions().setStatus(503)
                        .setContentType("application/json").setHeaders(java.util.Map.of("Retry-After", "1"))
                        .setBody("{\"error\":{\"code\":\"journal_unavailable\",\"message\":\"away\",\"details\":{}}}"));
            } else {
                route.resume();
            }
        });
        page.navigate("/runs/" + runId);
        assertThat(task("send")).hasAttribute("data-status", "WAITING_APPROVAL");
        // Playwright hands route callbacks over only while this thread is inside one of its calls: wait in one.
        page.waitForCondition(() -> streams.size() >= 2, new Page.WaitForConditionOptions().setTimeout(15_000));
        // Approved elsewhere: only the reopened stream can tell the page.
        Api.Response approved = api.post("/api/runs/" + runId + "/tasks/send/approval", Json.object().put("decision", "approve"));
        assertEquals(200, approved.status(), approved.body());
        assertThat(task("after")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        page.unroute("**/api/runs/*/events**");
    }

    @Test
    void anEventMissingFromTheStreamIsReadAgainAndTheConversationIsWhole() {
        String runId = api.startRun("two greetings", """
                {"tasks": [
                  {"id": "one", "title": "Greet once", "tool": "echo", "args": {"text": "hello"}},
                  {"id": "two", "title": "Greet again", "tool": "echo", "args": {"text": "again"}, "dependsOn": ["one"]}
                ]}""").path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
        // The first stream the page opens arrives without its PlanAccepted frame, as if the
        // connection had been cut and resumed past it; later streams are the server's own.
        List<String> streams = new java.util.ArrayList<>();
        page.route("**/api/runs/*/events**", route -> {
            streams.add(route.request().url());
            com.microsoft.playwright.APIResponse real = route.fetch();
            String body = real.text();
            if (streams.size() == 1) body = body.replaceAll("id: \\d+\nevent: PlanAccepted\n[^\n]*\n\n", "");
            route.fulfill(new com.microsoft.playwright.Route.FulfillOptions().setResponse(real).setBody(body));
        });
        page.navigate("/?run=" + runId);
        Locator chat = page.locator("#chat");
        assertThat(chat.locator("li[data-kind=answer]")).hasCount(1);
        assertThat(chat.locator("li[data-kind=plan]")).containsText("Running a plan of 2 tasks");
        List<String> kinds = chat.locator("> li").evaluateAll("items => items.map(li => li.dataset.kind)")
                instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
        assertEquals(List.of("goal", "plan", "answer", "progress"), kinds, "every event once, in order");
        assertEquals(2, streams.size(), "the gap was read again once: " + streams);
        assertQuietPage();
    }

    @Test
    void withTokensConfiguredTheConsoleAsksForOneAndUsesIt() {
        try (TestServer secured = TestServer.start(Tokens.config(), registry -> {
        }); Browser.Tab other = servers.browser().open(secured.api().base())) {
            other.page.navigate("/runs");
            assertThat(other.page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Sign in"))).isVisible();
            other.page.getByLabel("Token").fill(Tokens.ADMIN);
            other.page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Use token")).click();
            assertThat(other.page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Runs"))).isVisible();
            String runId = secured.api().as(Tokens.ADMIN).startRun("with a token",
                    "{\"tasks\": [{\"id\": \"w\", \"wait\": \"PT1S\"}]}").path("id").asText();
            other.page.navigate("/runs/" + runId);
            assertThat(other.page.locator("[data-task-id=w]")).hasAttribute("data-status", "SUCCEEDED");
        }
    }

    @Test
    void theConsoleOffersOnlyTheActionsTheRoleAllows() {
        try (TestServer secured = TestServer.start(Tokens.config(), registry -> {
        })) {
            Api admin = secured.api().as(Tokens.ADMIN);
            String runId = admin.startRun("roles", """
                    {"tasks": [
                      {"id": "send", "title": "Send the mail", "tool": "echo", "args": {"to": "x"}, "approval": "required"},
                      {"id": "after", "wait": "PT5M", "dependsOn": ["send"]}
                    ]}""").path("id").asText();
            admin.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
            assertEquals("[\"viewer\"]", secured.api().as(Tokens.VIEWER).get("/api/me").json().path("roles").toString());
            assertEquals("alice", secured.api().as(Tokens.APPROVER).get("/api/me").json().path("name").asText());

            try (Browser.Tab viewer = servers.browser().open(secured.api().base())) {
                Page p = signIn(viewer, Tokens.VIEWER, "/runs/" + runId);
                assertThat(p.locator("[data-task-id=send]")).hasAttribute("data-status", "WAITING_APPROVAL");
                p.locator("[data-task-id=send]").click();
                assertThat(p.locator("#detail dl")).containsText("WAITING_APPROVAL");
                for (String name : List.of("Approve", "Reject", "Cancel run", "Send")) assertThat(button(p, name)).hasCount(0);
                p.navigate("/approvals");
                assertThat(p.locator("li[data-task-id=send]")).isVisible();
                assertThat(button(p, "Approve")).hasCount(0);
                p.navigate("/");
                assertThat(p.locator("#view")).containsText("Recent runs");
                assertThat(button(p, "Start run")).hasCount(0);
                viewer.screenshot("role-viewer");
            }
            try (Browser.Tab approver = servers.browser().open(secured.api().base())) {
                Page p = signIn(approver, Tokens.APPROVER, "/runs/" + runId);
                p.locator("[data-task-id=send]").click();
                assertThat(button(p, "Approve")).isVisible();
                assertThat(button(p, "Reject")).isVisible();
                assertThat(button(p, "Cancel run")).hasCount(0);
                p.navigate("/");
                assertThat(p.locator("#view")).containsText("Recent runs");
                assertThat(button(p, "Start run")).hasCount(0);
                p.navigate("/runs/" + runId);
                p.locator("[data-task-id=send]").click();
                button(p, "Approve").click();
                assertThat(p.locator("[data-task-id=send]")).hasAttribute("data-status", "SUCCEEDED");
                assertThat(p.locator("#detail")).containsText("by alice");
            }
            admin.post("/api/runs/" + runId + "/cancel", java.util.Map.of());
        }
    }

    private static Page signIn(Browser.Tab tab, String token, String path) {
        tab.page.navigate(path);
        tab.page.getByLabel("Token").fill(token);
        tab.page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Use token")).click();
        return tab.page;
    }

    private static Locator button(Page p, String name) {
        return p.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
    }
}
