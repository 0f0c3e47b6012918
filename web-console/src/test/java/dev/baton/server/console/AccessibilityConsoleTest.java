package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.baton.json.Json;
import dev.baton.server.Config;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Axe;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.triage.TicketClassifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every page of the console checked by axe-core in a real headless Chromium, in light and in
 * dark mode (prefers-color-scheme), and at 390 px wide (a phone): no serious or critical
 * violation, no horizontal scroll, every navigation link reachable. One server with every page's
 * data seeded once, one browser; a failure names the page, the mode, the rule and the element.
 * A new page is one row in {@link #PAGES}.
 */
class AccessibilityConsoleTest {
    /**
     * The console's pages: a name, the address ({id} placeholders are the seeded data below), the
     * element that shows the view has rendered its data, where axe looks (empty: the whole
     * document), where it does not and which of its rules it skips; and the name of the page's
     * screenshot in every mode (docs/screenshots/NAME-light.png, -dark, -phone), null for none.
     */
    record Screen(String name, String path, String ready, List<String> include, List<String> exclude, List<String> rulesOff, String shot) {
        Screen(String name, String path, String ready) {
            this(name, path, ready, List.of(), List.of(), List.of(), null);
        }

        Screen screenshot(String as) {
            return new Screen(name, path, ready, include, exclude, rulesOff, as);
        }
    }

    static final List<Screen> PAGES = List.of(
            new Screen("new goal", "/", "#start-run"),
            new Screen("chat", "/?run={answeredRun}", "#chat li[data-kind=answer]").screenshot("chat"),
            new Screen("runs", "/runs", "table.runs tbody tr[data-status=FAILED]"),
            new Screen("run waiting for approval", "/runs/{approvalRun}?task=approve", "#detail .approval textarea").screenshot("run"),
            new Screen("failed run", "/runs/{failedRun}?task=break", "#detail pre.error"),
            new Screen("approvals", "/approvals", "ul.inbox li"),
            new Screen("tickets", "/tickets", "#review li[data-ticket-id]").screenshot("tickets"),
            new Screen("ticket detail", "/tickets/{ticketInReview}", "#ticket-detail ol.ranking li[data-category]"),
            new Screen("edit and retry", "/?retry={failedRun}", "#start-run"),
            new Screen("triggers", "/triggers", "tr[data-trigger=nightly]"),
            new Screen("tools", "/tools", "#tool-list table"),
            new Screen("dashboard", "/dashboard", "[data-metric=runs-started]"),
            // Swagger UI draws the whole page. Its colours are ours to set (api-docs/docs.css) and are
            // checked; its markup is not: each operation's toggle is a <button> holding the path's
            // copy button (nested-interactive), which only a change to Swagger UI can fix.
            new Screen("api docs", "/api/docs", "#servers[aria-label]", List.of(), List.of(), List.of("nested-interactive"), null));

    /** How a page is looked at: window size and colour scheme; the narrow mode also checks the layout. */
    enum Mode {
        LIGHT(1400, 900, ColorScheme.LIGHT), DARK(1400, 900, ColorScheme.DARK), PHONE(390, 844, ColorScheme.LIGHT);

        final int width;
        final int height;
        final ColorScheme scheme;

        Mode(int width, int height, ColorScheme scheme) {
            this.width = width;
            this.height = height;
            this.scheme = scheme;
        }

        String label() {
            return name().toLowerCase() + " " + width + "x" + height;
        }
    }

    /**
     * Every status badge the console draws, also those the seeded data does not reach (a
     * compensation, a paused trigger, a disconnected MCP server): each must be readable too.
     */
    static final List<String> BADGES = List.of("pending", "ready", "running", "planning", "replanning", "retry_wait", "waiting_approval",
            "awaiting_plan_approval", "succeeded", "failed", "rejected", "skipped", "cancelled", "compensating", "compensation_failed",
            "triaging", "awaiting_approval", "routed", "active", "paused");
    static final List<String> OTHER_BADGES = List.of("mcp-connected", "mcp-connecting", "mcp-disconnected", "flag-approval", "flag-idempotent");

    static final String PLAN_WITH_APPROVAL = """
            {"tasks": [
              {"id": "fetch", "title": "Fetch the report", "tool": "echo", "args": {"text": "report"}},
              {"id": "approve", "title": "Send the report", "tool": "echo", "args": {"to": "team@example.com"},
               "approval": "required", "dependsOn": ["fetch"]}
            ]}""";

    static Path fixtures;

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(AccessibilityConsoleTest::config, registry -> registry.register(new dev.baton.tools.BatonTool() {
        @Override
        public ToolDescriptor descriptor() {
            return ToolDescriptor.builder("test.broken").description("always fails").parameters(ToolDescriptor.emptyObjectSchema()).build();
        }

        @Override
        public JsonNode call(JsonNode args, dev.baton.tools.ToolContext context) throws Exception {
            throw ToolException.permanent("broken", "the service is down");
        }
    }));
    static final Api api = servers.api();
    static final Map<String, String> ids = new HashMap<>();
    static final Map<Mode, Browser.Tab> tabs = new HashMap<>();

    /**
     * The bundled classifier (its trained state comes from the jar: nothing to embed) and its
     * routing table with a review threshold no ticket reaches, so that tickets wait for review.
     */
    static Config config() throws Exception {
        fixtures = Files.createTempDirectory("baton-a11y-");
        ObjectNode routing;
        try (InputStream in = TicketClassifiers.class.getResourceAsStream("/dev/baton/triage/banking77/routing.json")) {
            routing = (ObjectNode) TestTools.json(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        routing.putObject("review").put("threshold", 0.999);
        Path routingFile = fixtures.resolve("routing.json");
        Files.writeString(routingFile, routing.toPrettyString());
        return TestServer.config().withTriage(new Config.TriageConfig(routingFile, null, null, fixtures.resolve("cache"), true));
    }

    @BeforeAll
    static void seed() {
        String approvalRun = api.startRun("Send the weekly report to the team", PLAN_WITH_APPROVAL).path("id").asText();
        String answeredRun = api.startRun("Say hello", "{\"tasks\": [{\"id\": \"hello\", \"tool\": \"echo\", \"args\": {\"text\": \"hello\"}}]}")
                .path("id").asText();
        String failedRun = api.startRun("Call the broken service", """
                {"tasks": [{"id": "break", "title": "Call the service", "tool": "test.broken", "args": {}},
                           {"id": "after", "tool": "echo", "args": {}, "dependsOn": ["break"]}]}""").path("id").asText();
        ids.put("approvalRun", approvalRun);
        ids.put("answeredRun", answeredRun);
        ids.put("failedRun", failedRun);
        ObjectNode trigger = Json.object();
        trigger.put("name", "nightly");
        trigger.put("goal", "write the nightly report");
        trigger.putObject("schedule").put("cron", "0 0 2 * * *").put("timeZone", "UTC");
        trigger.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"report\", \"tool\": \"echo\", \"args\": {}}]}"));
        Api.Response created = api.post("/api/triggers", trigger);
        assertEquals(201, created.status(), created.body());
        for (String subject : List.of("zorp blenk quav", "my card has not arrived yet", "why was I charged twice?")) {
            ObjectNode ticket = Json.object();
            ticket.put("subject", subject);
            ticket.put("body", "Hello, " + subject + " Thanks, Sam");
            ticket.put("externalId", "a11y-" + UUID.randomUUID());
            Api.Response posted = api.post("/api/tickets", ticket);
            assertEquals(202, posted.status(), posted.body());
        }
        api.awaitTaskStatus(approvalRun, "approve", "WAITING_APPROVAL");
        api.awaitRunStatus(answeredRun, "SUCCEEDED");
        api.awaitRunStatus(failedRun, "FAILED");
        // triaged (the classifier loads its encoders first); most wait for review, a sure one may be routed
        JsonNode tickets = Api.await(() -> api.get("/api/tickets").json().path("tickets"), list -> list.size() == 3
                && !statuses(list).contains("TRIAGING"), Duration.ofMinutes(3), "the three tickets triaged");
        assertTrue(statuses(tickets).contains("AWAITING_APPROVAL"), "a ticket waits for review: " + tickets);
        for (JsonNode t : tickets) if (t.path("status").asText().equals("AWAITING_APPROVAL")) ids.put("ticketInReview", t.path("id").asText());
    }

    static List<String> statuses(JsonNode tickets) {
        List<String> statuses = new ArrayList<>();
        for (JsonNode t : tickets) statuses.add(t.path("status").asText());
        return statuses;
    }

    @AfterAll
    static void closeTabs() {
        tabs.values().forEach(Browser.Tab::close);
    }

    static Browser.Tab tab(Mode mode) {
        return tabs.computeIfAbsent(mode, m -> {
            Browser.Tab tab = servers.browser().open(api.base());
            Axe.inject(tab.context);
            tab.page.setViewportSize(m.width, m.height);
            tab.page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(m.scheme));
            return tab;
        });
    }

    @TestFactory
    Stream<DynamicNode> everyPageInEveryMode() {
        List<DynamicNode> modes = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            List<DynamicTest> checks = new ArrayList<>();
            for (Screen screen : PAGES) checks.add(DynamicTest.dynamicTest(screen.name(), () -> check(mode, screen)));
            checks.add(DynamicTest.dynamicTest("every status badge", () -> badges(mode)));
            modes.add(DynamicContainer.dynamicContainer(mode.label(), checks));
        }
        return modes.stream();
    }

    static String address(Screen screen) {
        String path = screen.path();
        for (var id : ids.entrySet()) path = path.replace("{" + id.getKey() + "}", id.getValue());
        return path;
    }

    void check(Mode mode, Screen screen) {
        Browser.Tab tab = tab(mode);
        Page page = tab.page;
        String where = screen.name() + " (" + address(screen) + ", " + mode.label() + ")";
        tab.errors.clear();
        page.navigate(address(screen));
        page.locator(screen.ready()).first().waitFor(new Locator.WaitForOptions().setState(WaitForSelectorState.ATTACHED));
        List<String> problems = new ArrayList<>();
        if (page.locator("h1").count() == 0) problems.add(where + ": no <h1> (a screen reader's way into the view; it may be visually hidden)");
        List<Axe.Violation> violations = Axe.serious(page, screen.include(), screen.exclude(), screen.rulesOff());
        if (!violations.isEmpty()) problems.add(Axe.report(where, violations));
        if (mode == Mode.PHONE) problems.addAll(layout(page, where));
        if (!tab.errors.isEmpty()) problems.add(where + ": console errors " + tab.errors);
        if (screen.shot() != null) tab.screenshot(screen.shot() + "-" + (mode == Mode.PHONE ? "phone" : mode.scheme == ColorScheme.DARK ? "dark" : "light"));
        if (!problems.isEmpty()) fail(problems.size() + " problem(s)\n" + String.join("\n", problems));
    }

    /**
     * At phone width: nothing wider than the window (a table scrolls in its own box, the page does
     * not), and every navigation link inside the window and not covered, so a thumb can reach it.
     */
    static List<String> layout(Page page, String where) {
        List<String> problems = new ArrayList<>();
        int width = page.viewportSize().width;
        Number scrollWidth = (Number) page.evaluate("() => document.documentElement.scrollWidth");
        if (scrollWidth.intValue() > width + 1) {
            Object wide = page.evaluate("""
                    (width) => [...document.querySelectorAll('body *')]
                      .filter(e => e.getBoundingClientRect().right > width + 1)
                      // inside a box that scrolls (or clips) it widens nothing, unless positioned out of that box
                      .filter(e => { if (['absolute', 'fixed'].includes(getComputedStyle(e).position)) return true;
                          for (let p = e.parentElement; p; p = p.parentElement) {
                          const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return false; } return true; })
                      .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                        + ' right=' + Math.round(e.getBoundingClientRect().right))""", width);
            problems.add(where + ": the page is " + scrollWidth + " px wide in a " + width + " px window; widest: " + wide);
        }
        Object unreachable = page.evaluate("""
                (width) => [...document.querySelectorAll('header nav a')].filter(a => {
                  const r = a.getBoundingClientRect();
                  if (!r.width || !r.height || r.left < 0 || r.right > width || r.top < 0) return true;
                  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                  return !(hit && (hit === a || a.contains(hit)));
                }).map(a => a.textContent)""", width);
        if (!((List<?>) unreachable).isEmpty()) problems.add(where + ": navigation links out of reach: " + unreachable);
        // a table that scrolls in its own box (display: block) must still be a table to a screen reader
        int tables = page.locator("#view table:visible").count();
        int asTables = page.locator("#view").getByRole(AriaRole.TABLE).count();
        if (tables != asTables) problems.add(where + ": " + tables + " tables on the page, but " + asTables + " with the role table");
        return problems;
    }

    /** The plan graph takes the new scheme's colours when the system's changes, without a reload. */
    @Test
    void thePlanGraphFollowsAChangeOfColourScheme() {
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.LIGHT));
            page.navigate("/runs/" + ids.get("approvalRun"));
            // null until the view has drawn its graph (the page renders after its GET of the run)
            String edge = "() => { const g = document.getElementById('graph'); const cy = g && g.planGraph && g.planGraph.cy;"
                    + " return cy && cy.edges().length ? cy.edges()[0].style('line-color') : null; }";
            String variable = "() => getComputedStyle(document.documentElement).getPropertyValue('--graph-edge').trim()";
            page.waitForCondition(() -> page.evaluate(edge) != null);
            String light = (String) page.evaluate(edge);
            page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
            String darkVariable = (String) page.evaluate(variable);
            page.waitForCondition(() -> !light.equals(page.evaluate(edge)));
            String dark = (String) page.evaluate(edge);
            Object expected = page.evaluate("(c) => { const s = document.createElement('span'); s.style.color = c; document.body.append(s);"
                    + " const rgb = getComputedStyle(s).color; s.remove(); return rgb; }", darkVariable);
            assertEquals(expected.toString().replace(" ", ""), dark.replace(" ", ""), "the edges take --graph-edge of the dark scheme");
            assertEquals(List.of(), tab.errors, "console errors");
        }
    }

    /** Every status badge on the page's own background, checked by axe's colour-contrast rule. */
    void badges(Mode mode) {
        Page page = tab(mode).page;
        page.navigate("/runs");
        page.locator("table.runs").first().waitFor();
        page.evaluate("""
                ([statuses, others]) => {
                  const box = document.createElement('section');
                  box.id = 'badge-gallery';
                  box.className = 'card';
                  const add = (cls, text) => { const s = document.createElement('span'); s.className = 'badge ' + cls; s.textContent = text; box.append(s, ' '); };
                  statuses.forEach(s => add('status-' + s, s.toUpperCase()));
                  statuses.forEach(s => add('side status-' + s, 'undo ' + s.toUpperCase()));
                  others.forEach(c => add(c, c));
                  document.getElementById('view').append(box);
                }""", List.of(BADGES, OTHER_BADGES));
        List<Axe.Violation> violations = Axe.serious(page, List.of("#badge-gallery"), List.of(), List.of());
        if (!violations.isEmpty()) fail(Axe.report("status badges (" + mode.label() + ")", violations));
    }
}
