package dev.baton.server.console;

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

/**
 * The API's browsable page (/api/docs, Swagger UI from its WebJar) in a real Chromium: reached
 * from the console's nav, it draws the OpenAPI document's operations under the console's strict
 * CSP (no console errors).
 */
class ApiDocsConsoleTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @Test
    void theNavLeadsToThePageThatShowsTheContract() {
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/");
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("API")).click();
            page.waitForURL("**/api/docs");
            assertThat(page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("Baton HTTP API"))).isVisible();
            assertThat(page.locator("#operations-runs-createRun")).isVisible();
            assertThat(page.locator("#operations-triggers-triggerEvent")).isVisible();
            tab.screenshot("api-docs");
            assertEquals(List.of(), tab.errors, "console errors (a CSP violation would be one)");
        }
    }
}
