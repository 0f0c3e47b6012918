package dev.baton.server.console;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in a real Chromium: reached from the nav, it shows the tools by time, the
 * waiting approvals (their untrusted titles as text), and rates that move as runs finish,
 * under the console's strict CSP (no console errors).
 */
class DashboardTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    private void echoRuns(int n) {
        for (int i = 0; i < n; i++) {
            String id = api.startRun("dash " + i, "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
            api.awaitRunStatus(id, "SUCCEEDED");
        }
    }

    @Test
    void theDashboardShowsWhereTimeGoesAndWhoIsNeededLive() {
        echoRuns(2);
        String hostile = "<img src=x onerror=\"window.pwned=1\">Approve <b>me</b>";
        String waiting = api.startRun("needs a person", """
                {"tasks": [{"id": "sign", "title": %s, "tool": "echo", "args": {}, "approval": "required"}]}"""
                .formatted(com.fasterxml.jackson.databind.node.TextNode.valueOf(hostile).toString())).path("id").asText();
        api.awaitTaskStatus(waiting, "sign", "WAITING_APPROVAL");

        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/");
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Dashboard")).click();
            page.waitForURL("**/dashboard");
            assertThat(page.locator("nav a[data-nav=dashboard]")).hasAttribute("aria-current", "page");
            assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Where time goes"))).isVisible();

            Locator echo = page.locator("tr[data-call=\"tool:echo\"]");
            assertThat(echo).hasCount(1);
            Locator approval = page.locator("tr[data-approval=\"" + waiting + "/sign\"]");
            assertThat(approval).hasCount(1);
            assertThat(approval.locator("td").nth(1)).hasText(hostile);
            assertEquals(0, page.locator("#view img").count(), "a title is text, never HTML");
            assertTrue(page.evaluate("() => window.pwned === undefined").equals(Boolean.TRUE));
            assertThat(approval.locator("a")).hasAttribute("href", "/runs/" + waiting + "?task=sign");
            assertThat(page.locator("[data-metric=approvals-waiting] .tile-value")).hasText("1");
            // GET /api/cluster: on H2 the server is a single node, epoch 0.
            assertThat(page.locator("tr[data-node=\"0\"] td").first()).containsText("(this node)");
            assertThat(page.getByText("A single node: its journal is not shared")).isVisible();

            // Live: the echo count grows with new runs, and the rates show after the second poll.
            String countBefore = echo.locator("td").nth(2).textContent();
            echoRuns(3);
            assertThat(echo.locator("td").nth(2)).hasText(String.valueOf(Integer.parseInt(countBefore) + 3),
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasTextOptions().setTimeout(10_000));
            assertThat(page.locator("[data-metric=runs-per-minute] .tile-value")).not().hasText("—");
            assertThat(page.locator("[data-metric=task-error-rate] .tile-value")).hasText("0.0 %",
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasTextOptions().setTimeout(10_000));

            // Deciding the approval empties the "people" table on the next poll.
            api.post("/api/runs/" + waiting + "/tasks/sign/approval", "{\"decision\": \"approve\"}");
            assertThat(approval).hasCount(0, new com.microsoft.playwright.assertions.LocatorAssertions.HasCountOptions().setTimeout(10_000));
            assertThat(page.getByText("Nobody is needed: no approval is waiting.")).isVisible();
            tab.screenshot("dashboard");
            assertEquals(List.of(), tab.errors, "console errors (a CSP violation would be one)");
        }
    }
}
