package dev.baton.server.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.json.Json;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The run view at the size people use it (issue 16) in Debian's headless Chromium: a 50-task plan
 * with zoom and fit controls, labels that fit their nodes and a collapsed layer; the Gantt chart of
 * attempts, retry waits and approvals; the diff between plan versions after a replan; the plan
 * approval form's graph preview; an agent's transcript as a conversation with tokens. The model and
 * the upstream HTTP service are WireMock servers.
 */
class RunViewTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    static WireMockServer upstream;
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-run-view-test-key").model("test-model").build());
    });
    static final Api api = servers.api();
    Browser.Tab tab;
    Page page;

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterAll
    static void stop() {
        model.stop();
        upstream.stop();
    }

    @BeforeEach
    void openTab() {
        model.resetAll();
        upstream.resetAll();
        tab = servers.browser().open(api.base());
        page = tab.page;
    }

    @AfterEach
    void closeTab() {
        tab.close();
    }

    private Locator task(String id) {
        return page.locator("[data-task-id=\"" + id + "\"]");
    }

    private Object graph(String script) {
        return page.evaluate("() => { const g = document.getElementById('graph').planGraph; const cy = g.cy; " + script + " }");
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + upstream.port() + path;
    }

    private void assertQuietPage() {
        assertEquals(List.of(), tab.errors, "console errors");
    }

    static final String LONG_TITLE = "Check that the shipping address of every open order in the Nordic region is still deliverable";

    /** 1 start, 10 sources (one with a long title), 30 waits in one layer (collapses: more than 12), 9 ends. */
    static ObjectNode fiftyTasks() {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        tasks.addObject().put("id", "start").put("title", "Start").put("tool", "echo").putObject("args").put("text", "go");
        for (int i = 0; i < 10; i++) {
            ObjectNode t = tasks.addObject().put("id", "s" + i).put("title", i == 0 ? LONG_TITLE : "Source " + i).put("tool", "echo");
            t.putObject("args").put("n", i);
            t.putArray("dependsOn").add("start");
        }
        for (int i = 0; i < 30; i++) {
            ObjectNode t = tasks.addObject().put("id", "m" + i).put("title", "Wait for batch " + i).put("wait", "PT1H");
            t.putArray("dependsOn").add("s" + (i % 10));
        }
        for (int i = 0; i < 9; i++) {
            ObjectNode t = tasks.addObject().put("id", "e" + i).put("title", "Report " + i).put("tool", "echo");
            t.putObject("args").put("n", i);
            t.putArray("dependsOn").add("m" + i).add("m" + (i + 10)).add("m" + (i + 20));
        }
        return plan;
    }

    @Test
    void aFiftyTaskPlanIsReadableWithZoomFitReadableLabelsAndACollapsedLayer() {
        String runId = api.startRun("fifty tasks", fiftyTasks()).path("id").asText();
        api.awaitTaskStatus(runId, "m0", "RUNNING");
        page.navigate("/runs/" + runId);
        assertThat(page.locator("#tasks [data-task-id]")).hasCount(50);
        assertThat(task("s9")).hasAttribute("data-status", "SUCCEEDED");
        page.waitForFunction("() => document.getElementById('graph').planGraph.cy.nodes().length > 0");

        // the layer of 30 waits is one node with its counts; the others are drawn one by one
        assertEquals(1 + 10 + 1 + 9, ((Number) graph("return cy.nodes().length;")).intValue());
        String layer = (String) graph("return cy.getElementById('layer:2').data('label');");
        assertTrue(layer.contains("30 tasks") && layer.contains("30 running"), layer);
        assertNull(graph("return g.position('m0');"), "a task of a collapsed layer has no node of its own");

        // readable: 11 px labels drawn at 9 px or more, and every label inside its node
        double zoom = ((Number) graph("return cy.zoom();")).doubleValue();
        assertTrue(zoom * 11 >= 9, "font drawn at " + zoom * 11 + " px");
        @SuppressWarnings("unchecked")
        List<String> overflowing = (List<String>) graph("return cy.nodes().filter(n => { const b = n.boundingBox({ includeNodes: false, includeLabels: true,"
                + " includeOverlays: false }); return b.w > n.width() + 1 || b.h > n.height() + 1; }).map(n => n.id());");
        assertEquals(List.of(), overflowing, "labels wider or taller than their node");
        String longLabel = (String) graph("return cy.getElementById('s0').data('label');");
        assertTrue(longLabel.contains("…") && !longLabel.contains("deliverable"), "a long title is cut: " + longLabel);
        assertThat(task("s0").locator(".task-title")).hasText(LONG_TITLE);
        tab.screenshot("run-graph-50");

        // hovering a node shows its full title
        @SuppressWarnings("unchecked")
        Map<String, Number> at = (Map<String, Number>) graph("const n = cy.getElementById('s0'); cy.center(n);"
                + " const r = document.getElementById('graph').getBoundingClientRect(); const p = n.renderedPosition();"
                + " return { x: r.left + p.x, y: r.top + p.y };");
        page.mouse().move(at.get("x").doubleValue(), at.get("y").doubleValue());
        assertThat(page.locator(".graph-tip")).isVisible();
        assertThat(page.locator(".graph-tip")).containsText(LONG_TITLE);

        // zoom buttons and fit
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Zoom in")).first().click();
        double zoomedIn = ((Number) graph("return cy.zoom();")).doubleValue();
        assertEquals(zoom * 1.25, zoomedIn, 0.01);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Zoom out")).first().click();
        assertEquals(zoom, ((Number) graph("return cy.zoom();")).doubleValue(), 0.01);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Fit").setExact(true)).first().click();
        assertEquals(true, graph("const e = cy.extent(); const b = cy.elements().boundingBox();"
                + " return b.x1 >= e.x1 - 1 && b.x2 <= e.x2 + 1 && b.y1 >= e.y1 - 1 && b.y2 <= e.y2 + 1;"), "fit shows every node");

        // selecting a task of the collapsed layer expands it into a compound node of its 30 tasks
        task("m5").click();
        page.waitForFunction("() => document.getElementById('graph').planGraph.position('m5') !== null");
        assertEquals(30, ((Number) graph("return cy.getElementById('layer:2').children().length;")).intValue());
        assertEquals(true, graph("return cy.getElementById('m5').selected();"));
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Collapse layers")).click();
        page.waitForFunction("() => document.getElementById('graph').planGraph.position('m5') === null");
        assertQuietPage();
        api.post("/api/runs/" + runId + "/cancel", Json.object());
    }

    @Test
    void theGanttShowsOneBarPerAttemptOfARetriedTaskItsRetryWaitAndAnApproval() {
        upstream.stubFor(get("/flaky").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withBody("busy")).willSetStateTo("up"));
        upstream.stubFor(get("/flaky").inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"ok\": true}")));
        String runId = api.startRun("gantt", """
                {"tasks": [
                  {"id": "fetch", "title": "Fetch, retried", "tool": "http.request", "args": {"method": "GET", "url": "%s"},
                   "retry": {"maxAttempts": 3, "backoff": "PT0.3S"}},
                  {"id": "send", "title": "Send it", "tool": "echo", "args": {"ok": true}, "dependsOn": ["fetch"], "approval": "required"}
                ]}""".formatted(url("/flaky"))).path("id").asText();
        api.awaitTaskStatus(runId, "send", "WAITING_APPROVAL");
        assertEquals(200, api.post("/api/runs/" + runId + "/tasks/send/approval", "{\"decision\": \"approve\"}").status());
        api.awaitRunStatus(runId, "SUCCEEDED");

        page.navigate("/runs/" + runId);
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        page.getByText("Timeline", new Page.GetByTextOptions().setExact(true)).click();
        Locator fetch = page.locator("#gantt .gantt-row[data-gantt-task=fetch]");
        Locator attempts = fetch.locator(".gantt-bar[data-kind=attempt]");
        assertThat(attempts).hasCount(2);
        assertThat(attempts.nth(0)).hasAttribute("data-outcome", "retried");
        assertThat(attempts.nth(0)).hasAttribute("data-attempt", "1");
        assertThat(attempts.nth(1)).hasAttribute("data-outcome", "succeeded");
        assertThat(attempts.nth(1)).hasAttribute("data-attempt", "2");
        assertThat(fetch.locator(".gantt-bar[data-kind=retry-wait]")).hasCount(1);
        Locator send = page.locator("#gantt .gantt-row[data-gantt-task=send]");
        assertThat(send.locator(".gantt-bar[data-kind=approval]")).hasAttribute("data-outcome", "approved");
        assertThat(send.locator(".gantt-bar[data-kind=attempt]")).hasAttribute("data-outcome", "succeeded");
        // bars sit in time order: the second attempt starts after the first
        double first = attempts.nth(0).boundingBox().x;
        double second = attempts.nth(1).boundingBox().x;
        assertTrue(second > first, first + " then " + second);
        assertTrue(attempts.nth(1).boundingBox().width > 0);
        tab.screenshot("run-gantt");

        // the flat list of events is one click away
        assertThat(page.locator("ol.timeline")).isHidden();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Event list")).click();
        assertThat(page.locator("ol.timeline")).isVisible();
        assertThat(page.locator("ol.timeline li").first()).containsText("RunCreated");
        assertEquals(api.events(runId, null, 1000).size(), page.locator("ol.timeline li").count());
        assertQuietPage();
    }

    /**
     * The model answers {@code content} to a call about the replanned goal when the scenario is in {@code state},
     * then moves it to {@code next}. Matching the goal keeps a late call for another test's run (its answer) from
     * taking this one's turn.
     */
    private static void answer(String state, String content, String next) {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing(REPLAN_GOAL)).inScenario("run").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(content, 400, 60)))
                .willSetStateTo(next));
    }

    static final String REPLAN_GOAL = "find the price of the widget";

    @Test
    void aReplanShowsWhatChangedFromThePlanBefore() {
        upstream.stubFor(get("/primary").willReturn(aResponse().withStatus(404).withBody("no such record")));
        upstream.stubFor(get("/mirror").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"price\": 42}")));
        answer(Scenario.STARTED, """
                {"tasks": [
                  {"id": "lookup", "title": "Note the item", "tool": "echo", "args": {"item": "widget"}},
                  {"id": "primary", "title": "Fetch the price", "tool": "http.request", "args": {"method": "GET", "url": "%s"}, "dependsOn": ["lookup"]},
                  {"id": "summary", "title": "Sum up", "tool": "echo", "args": {"price": "${primary.output.body.price}"}, "dependsOn": ["primary"]}
                ]}""".formatted(url("/primary")), "planned");
        // the new plan's own tasks (the planner keeps 'lookup', which succeeded, in front of them)
        answer("planned", """
                {"tasks": [
                  {"id": "mirror", "title": "Fetch the price from the mirror", "tool": "http.request",
                   "args": {"method": "GET", "url": "%s"}, "dependsOn": ["lookup"]},
                  {"id": "summary2", "title": "Sum up", "tool": "echo", "args": {"price": "${mirror.output.body.price}"}, "dependsOn": ["mirror"]}
                ]}""".formatted(url("/mirror")), "replanned");
        answer("replanned", "It costs 42.", "answered");
        String runId = api.post("/api/runs", "{\"goal\": \"" + REPLAN_GOAL + "\"}").json().path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");

        page.navigate("/runs/" + runId);
        Locator versions = page.locator("#plan-versions");
        assertThat(versions).isVisible();
        assertThat(page.locator("#plan-version")).hasValue("2");
        Locator diff = versions.locator(".plan-diff");
        assertThat(diff).hasAttribute("data-from", "1");
        assertThat(diff.locator("li.added[data-diff-task=mirror]")).containsText("Fetch the price from the mirror");
        assertThat(diff.locator("li.removed[data-diff-task=primary]")).containsText("Fetch the price");
        assertThat(diff.locator("li.added[data-diff-task=summary2]")).hasCount(1);
        assertThat(diff.locator("li.removed[data-diff-task=summary]")).hasCount(1);
        assertThat(diff.locator("[data-diff-task=lookup]")).hasCount(0); // kept as it was
        assertThat(diff).containsText("2 added, 2 removed, 0 changed, 1 unchanged");
        tab.screenshot("plan-diff");
        assertQuietPage();
    }

    @Test
    void thePlanApprovalFormShowsTheProposedPlanAsAGraphAndRedrawsItAsTheJsonIsEdited() {
        ObjectNode body = Json.object();
        body.put("goal", "greet after a look");
        body.set("plan", dev.baton.server.testing.TestTools.json("""
                {"tasks": [{"id": "greet", "title": "Greet", "tool": "echo", "args": {"text": "hello"}},
                           {"id": "log", "title": "Log it", "tool": "echo", "args": {"x": 1}, "dependsOn": ["greet"]}]}"""));
        body.putObject("options").put("planApproval", true);
        String runId = api.post("/api/runs", body).json().path("id").asText();
        page.navigate("/runs/" + runId);
        Locator preview = page.locator("#plan-preview");
        assertThat(preview.locator("canvas").first()).isVisible();
        page.waitForFunction("() => document.getElementById('plan-preview').planGraph.cy.nodes().length === 2");
        assertEquals(true, page.evaluate("() => document.getElementById('plan-preview').planGraph.cy.getElementById('log').data('label').startsWith('Log it')"));
        // the JSON waits behind a disclosure, below the graph
        assertThat(page.locator("#plan-edit")).isHidden();
        assertTrue(preview.boundingBox().y < page.getByText("Edit the plan as JSON").boundingBox().y, "the graph comes first");
        page.getByText("Edit the plan as JSON").click();
        page.locator("#plan-edit").fill("{\"tasks\": [");
        assertThat(page.locator(".approval [role=status]")).containsText("not a plan yet");
        page.locator("#plan-edit").fill("""
                {"tasks": [{"id": "greet", "title": "Greet", "tool": "echo", "args": {"text": "hello"}},
                           {"id": "log", "title": "Log it", "tool": "echo", "args": {"x": 2}, "dependsOn": ["greet"]},
                           {"id": "tell", "title": "Tell the team", "tool": "echo", "args": {"y": 2}, "dependsOn": ["greet"]}]}""");
        page.waitForFunction("() => document.getElementById('plan-preview').planGraph.cy.nodes().length === 3");
        assertThat(page.locator(".approval [role=status]")).hasText("");
        assertNotNull(page.evaluate("() => document.getElementById('plan-preview').planGraph.position('tell')"));
        tab.screenshot("plan-approval-preview");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve plan")).click();
        assertThat(task("tell")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.locator("#plan-preview")).hasCount(0);
        // the edited plan is version 2: its diff names the changed arguments and the added task
        Locator diff = page.locator("#plan-versions .plan-diff");
        assertThat(diff.locator("li.added[data-diff-task=tell]")).containsText("Tell the team");
        Locator changed = diff.locator("li.changed[data-diff-task=log]");
        assertThat(changed).containsText("arguments");
        assertThat(changed.locator("del")).containsText("\"x\": 1");
        assertThat(changed.locator("ins")).containsText("\"x\": 2");
        assertThat(diff).containsText("1 added, 0 removed, 1 changed, 1 unchanged");
        assertQuietPage();
    }

    @Test
    void anAgentsTranscriptIsAConversationWithItsToolCallAndTokens() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.toolCalls(300, 20, OpenAiStubs.call("call_1", "echo", "{\"note\": \"<b>looked</b> it up\"}"))))
                .willSetStateTo("answered"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("answered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.answer("The note says: looked it up.", 350, 15))));
        String runId = api.startRun("summarise a note", """
                {"tasks": [{"id": "think", "title": "Think it over", "agent": "assistant", "instruction": "Look up the note with the echo tool and summarise it."}]}""")
                .path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
        page.navigate("/runs/" + runId + "?task=think");
        Locator turns = page.locator("#detail ol.conversation > li");
        assertThat(turns).hasCount(3);
        assertThat(page.locator("#detail .transcript-total")).containsText("2 model turns, 1 tool call");
        assertThat(page.locator("#detail .transcript-total")).containsText("685 tokens");
        assertThat(turns.nth(0)).hasClass(java.util.regex.Pattern.compile(".*turn-model.*"));
        assertThat(turns.nth(0)).containsText("turn 1");
        Locator call = turns.nth(0).locator("details.tool-call");
        assertThat(call.locator("summary")).containsText("asks for echo");
        assertThat(call.locator("pre.args")).isHidden(); // collapsed until asked for
        call.locator("summary").click();
        assertThat(call.locator("pre.args")).isVisible();
        assertThat(call.locator("pre.args")).containsText("<b>looked</b> it up");
        assertThat(turns.nth(1)).hasClass(java.util.regex.Pattern.compile(".*turn-tool.*"));
        assertThat(turns.nth(1).locator("pre.output")).containsText("<b>looked</b> it up");
        assertThat(turns.nth(2).locator("pre.model-text")).hasText("The note says: looked it up.");
        assertThat(turns.nth(2).locator(".tokens")).hasText(" · 350 + 15 tokens");
        assertEquals(0, page.locator("#detail b").count(), "tool arguments and output are text, not HTML");
        // the raw events stay behind a disclosure
        assertThat(page.locator("#detail details.raw-events")).isVisible();
        assertThat(page.locator("#detail details.raw-events ol.transcript")).isHidden();
        tab.screenshot("agent-conversation");
        assertQuietPage();
    }
}
