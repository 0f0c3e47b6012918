package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lists an operator and an approver work from, in a real headless Chromium against a real
 * server: /runs live (a run created after the page loaded appears, its status follows), searched
 * by goal, filtered by status, paged past 100 with the address as the state (reload and Back
 * keep it), and a run that waits for people shown as such; /approvals with each item's goal, a
 * deadline that counts down, the count in the heading, and bulk approval of the selected items with
 * one comment, where an item someone else decided first says so and the others are decided.
 */
class ListsConsoleTest {
    static final String ECHO = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @Test
    void theRunsListIsLiveSearchablePagedAndShowsRunsWaitingForPeople() {
        List<String> fillers = new ArrayList<>();
        for (int i = 0; i < 102; i++) fillers.add(api.startRun("filler " + i, ECHO).path("id").asText());
        awaitListed(fillers.get(fillers.size() - 1));
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/runs");
            Locator rows = page.locator("#runs-list tbody tr");
            assertThat(rows).hasCount(100);
            assertThat(row(page, fillers.get(0))).hasCount(0);

            // paged past 100: the older page holds the first runs, and its address says so
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Older runs →")).click();
            page.waitForURL(Pattern.compile(".*/runs\\?cursor=.*"));
            assertThat(row(page, fillers.get(0))).hasCount(1);
            assertThat(row(page, fillers.get(1))).hasCount(1);
            assertThat(row(page, fillers.get(101))).hasCount(0);
            page.goBack();
            assertThat(row(page, fillers.get(101))).hasCount(1);
            assertThat(rows).hasCount(100);

            // live: a run created after the page loaded appears, and its status follows
            String fresh = api.startRun("A fresh run after the page loaded", ECHO).path("id").asText();
            assertThat(row(page, fresh)).hasAttribute("data-status", "SUCCEEDED");
            assertThat(rows.first()).hasAttribute("data-run-id", fresh);

            // waiting for people: RUNNING in the API, shown as waiting with how many approvals
            String gated = api.startRun("Pay two suppliers", """
                    {"tasks": [
                      {"id": "pay-a", "title": "Pay supplier A", "tool": "echo", "args": {}, "approval": "required"},
                      {"id": "pay-b", "title": "Pay supplier B", "tool": "echo", "args": {}, "approval": "required"}
                    ]}""").path("id").asText();
            try {
                Locator waiting = row(page, gated);
                assertThat(waiting.locator(".run-waiting")).hasText("WAITING FOR APPROVAL (2)");
                assertThat(waiting).hasAttribute("data-status", "RUNNING");
                assertThat(waiting).hasAttribute("data-waiting", "2");
                assertThat(page.locator(".runs-summary")).containsText("1 waiting for approval");
                tab.screenshot("runs-list");

                // search by goal: the list narrows as one types; the address keeps it (reload, Back)
                page.getByLabel("Search goals").fill("FRESH run");
                assertThat(rows).hasCount(1);
                assertThat(rows.first()).hasAttribute("data-run-id", fresh);
                page.waitForURL(Pattern.compile(".*/runs\\?goal=FRESH\\+run$"));
                page.reload();
                assertThat(page.getByLabel("Search goals")).hasValue("FRESH run");
                assertThat(rows).hasCount(1);
                page.getByLabel("Search goals").fill("no such goal");
                assertThat(page.locator(".runs-empty")).hasText("No run matches.");
                page.goBack();
                assertThat(page.getByLabel("Search goals")).hasValue("FRESH run");
                assertThat(rows).hasCount(1);
                page.goBack();
                assertThat(page.getByLabel("Search goals")).hasValue("");
                assertThat(rows).hasCount(100);

                // filter by status, with the search too
                page.getByLabel("Status").selectOption("RUNNING");
                assertThat(page.locator("#runs-list tbody tr:not([data-status=RUNNING])")).hasCount(0);
                assertThat(row(page, gated)).hasCount(1);
                assertThat(row(page, fresh)).hasCount(0);
                page.getByLabel("Search goals").fill("filler");
                assertThat(page.locator(".runs-empty")).hasText("No run matches.");
                assertTrue(page.url().contains("status=RUNNING") && page.url().contains("goal=filler"), page.url());

                // a decision changes the row without a reload
                page.getByLabel("Search goals").fill("");
                assertThat(waiting.locator(".run-waiting")).hasText("WAITING FOR APPROVAL (2)");
                assertEquals(200, api.post("/api/runs/" + gated + "/tasks/pay-a/approval", "{\"decision\": \"approve\"}").status());
                assertThat(waiting.locator(".run-waiting")).hasText("WAITING FOR APPROVAL (1)");
            } finally {
                api.post("/api/runs/" + gated + "/cancel", Map.of());
            }
            assertEquals(List.of(), tab.errors, "console errors");
        }
    }

    @Test
    void theApprovalsInboxShowsGoalsAndDeadlinesAndDecidesSelectedItemsWithOneComment() {
        String gate = """
                {"tasks": [{"id": "send", "title": "Send the %s", "tool": "echo", "args": {"to": "x"},
                            "approval": {"timeout": "PT3H"}}]}""";
        String invoice = api.startRun("Mail the invoice to ACME", gate.formatted("invoice")).path("id").asText();
        String reminder = api.startRun("Mail the reminder to Initech", gate.formatted("reminder")).path("id").asText();
        String contested = api.startRun("Mail the refund to Hooli", gate.formatted("refund")).path("id").asText();
        String later = api.startRun("Mail the contract to Umbrella", gate.formatted("contract")).path("id").asText(); // not selected
        for (String runId : List.of(invoice, reminder, contested, later)) awaitInbox(runId);
        int waiting = api.get("/api/approvals").json().size();
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            decideInBulk(tab, waiting, invoice, reminder, contested);
            assertThat(item(tab.page, later)).containsText("Mail the contract to Umbrella");
        } finally {
            for (String runId : List.of(invoice, reminder, contested, later)) api.post("/api/runs/" + runId + "/cancel", Map.of());
        }
    }

    private void decideInBulk(Browser.Tab tab, int waiting, String invoice, String reminder, String contested) {
        Page page = tab.page;
        page.navigate("/approvals");
        assertThat(page.locator("h1 .approvals-count")).hasAttribute("data-count", String.valueOf(waiting));
        assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setLevel(1))).hasText("Approvals (" + waiting + ")");

        Locator item = item(page, invoice);
        Locator goal = item.getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("Mail the invoice to ACME"));
        assertThat(goal).hasAttribute("href", "/runs/" + invoice + "?task=send");
        // in three hours (2 h 59 min and some seconds by now): "expires in 3 h", the exact time in its title
        Locator deadline = item.locator(".deadline");
        assertThat(deadline).hasText("expires in 3 h");
        String expiresAt = api.get("/api/approvals").json().findValues("expiresAt").stream().map(JsonNode::asText)
                .filter(deadline.getAttribute("data-expires-at")::equals).findFirst().orElseThrow();
        assertTrue(Instant.parse(expiresAt).isAfter(Instant.now().plus(Duration.ofMinutes(170))), expiresAt);
        assertTrue(deadline.getAttribute("title").endsWith("(" + expiresAt + ")"), deadline.getAttribute("title"));

        for (String runId : List.of(invoice, reminder, contested)) {
            item(page, runId).locator("input.select-approval").check();
        }
        assertThat(page.locator(".bulk-bar")).containsText("3 selected");
        page.getByLabel("Comment for the selected").fill("checked, all three");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Approve selected")).click();
        Locator confirm = page.getByRole(AriaRole.ALERTDIALOG);
        assertThat(confirm).containsText("Approve 3 tasks with the comment “checked, all three”?");
        tab.screenshot("approvals-bulk-confirm");
        // while the person reads the confirmation, someone else decides one of the three
        assertEquals(200, api.post("/api/runs/" + contested + "/tasks/send/approval", "{\"decision\": \"reject\"}").status());
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Approve 3 tasks")).click();

        Locator results = page.locator(".bulk-results");
        assertThat(results.locator("[data-result-for=\"" + invoice + "/send\"]")).hasAttribute("data-result", "ok");
        assertThat(results.locator("[data-result-for=\"" + reminder + "/send\"]")).hasAttribute("data-result", "ok");
        Locator refused = results.locator("[data-result-for=\"" + contested + "/send\"]");
        assertThat(refused).hasAttribute("data-result", "failed");
        assertThat(refused).containsText("no longer waits");
        assertThat(results.locator(".bulk-summary")).hasText("2 of 3 approved; 1 not decided (see why below)");
        assertThat(item(page, invoice)).hasCount(0);
        assertThat(page.locator("h1 .approvals-count")).hasAttribute("data-count", String.valueOf(waiting - 3),
                new LocatorAssertions.HasAttributeOptions().setTimeout(Browser.ASSERTION_TIMEOUT_MS));
        tab.screenshot("approvals-bulk");

        for (String runId : List.of(invoice, reminder)) {
            JsonNode approval = Api.task(api.awaitRunStatus(runId, "SUCCEEDED"), "send").path("approval");
            assertEquals("APPROVED", approval.path("status").asText());
            assertEquals("checked, all three", approval.path("comment").asText());
        }
        assertEquals("REJECTED", Api.task(api.run(contested), "send").path("approval").path("status").asText(),
                "the decision made first stands");
        // the browser logs the refused decision's 409 itself; nothing else went wrong
        assertEquals(List.of("Failed to load resource: the server responded with a status of 409 (Conflict)"), tab.errors, "console errors");
        assertEquals(List.of(), tab.dialogs, "no browser dialogs: the confirmation is on the page");
    }

    private static Locator row(Page page, String runId) {
        return page.locator("#runs-list tr[data-run-id=\"" + runId + "\"]");
    }

    private static Locator item(Page page, String runId) {
        return page.locator("ul.inbox > li[data-run-id=\"" + runId + "\"]");
    }

    /** Waits until the runs list (the journal's view, a moment behind the run) holds the run. */
    private static void awaitListed(String runId) {
        Api.await(() -> api.get("/api/runs?limit=5").json().toString(), body -> body.contains(runId), Duration.ofSeconds(20), "run listed");
    }

    private static void awaitInbox(String runId) {
        Api.await(() -> api.get("/api/approvals").json().toString(), body -> body.contains(runId), Duration.ofSeconds(20), "in the inbox");
    }
}
