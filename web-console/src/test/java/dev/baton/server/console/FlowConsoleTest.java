package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The console shows a run unwinding: each task's compensation as a badge and a
 * {@code data-compensation} status, a COMPENSATION_FAILED run with its "Retry compensation"
 * button, and an untrusted error text shown as text.
 */
class FlowConsoleTest {
    static final AtomicBoolean undoWorks = new AtomicBoolean(false);
    static final String NASTY = "<img src=x onerror=alert(1)> cannot undo";
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(TestServer::config, registry -> {
        registry.register(simple("test.create", (args, ctx) -> Json.object().put("id", ctx.taskId())));
        registry.register(simple("test.undo", (args, ctx) -> {
            if (args.path("id").asText().equals("second") && !undoWorks.get()) throw ToolException.permanent("locked", NASTY);
            return Json.object().put("undone", args.path("id").asText());
        }));
        registry.register(simple("test.broken", (args, ctx) -> {
            throw ToolException.permanent("broken", "always breaks");
        }));
    });
    static final Api api = servers.api();

    interface Body {
        JsonNode call(JsonNode args, ToolContext context) throws Exception;
    }

    static BatonTool simple(String name, Body body) {
        ToolDescriptor descriptor = ToolDescriptor.builder(name).description(name)
                .parameters(Json.object().put("type", "object")).build();
        return new BatonTool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) throws Exception {
                return body.call(args, context);
            }
        };
    }

    @Test
    void aRunUnwindingShowsItsCompensationsAndCanRetryAFailedOne() {
        String runId = api.startRun("undo in the console", """
                {"tasks": [
                  {"id": "first", "tool": "test.create", "args": {}, "compensate": {"tool": "test.undo", "args": {"id": "${first.output.id}"}}},
                  {"id": "second", "tool": "test.create", "args": {}, "dependsOn": ["first"],
                   "compensate": {"tool": "test.undo", "args": {"id": "${second.output.id}"}}},
                  {"id": "last", "tool": "test.broken", "args": {}, "dependsOn": ["second"]}
                ]}""").path("id").asText();
        api.awaitRunStatus(runId, "COMPENSATION_FAILED");
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/runs/" + runId);
            assertThat(page.locator("#view")).hasAttribute("data-run-status", "COMPENSATION_FAILED");
            Locator second = page.locator("[data-task-id=\"second\"]");
            assertThat(second).hasAttribute("data-compensation", "FAILED");
            assertThat(second.locator(".badge.undo")).hasText("undo FAILED");
            assertThat(page.locator("[data-task-id=\"first\"]")).hasAttribute("data-compensation", "PENDING");
            assertThat(page.locator("[data-task-id=\"last\"]")).not().hasAttribute("data-compensation", java.util.regex.Pattern.compile(".*"));
            second.click();
            assertThat(page.locator("pre.error", new Page.LocatorOptions().setHasText("locked: " + NASTY))).hasCount(1);
            assertThat(page.locator("img")).hasCount(0);
            tab.screenshot("compensation-failed");

            undoWorks.set(true);
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Retry compensation")).click();
            assertThat(page.locator("#view")).hasAttribute("data-run-status", "FAILED");
            assertThat(page.locator("[data-task-id=\"first\"]")).hasAttribute("data-compensation", "SUCCEEDED");
            assertThat(second).hasAttribute("data-compensation", "SUCCEEDED");
            assertEquals(List.of(), tab.dialogs, "untrusted text never runs as HTML");
            assertEquals(List.of(), tab.errors, "console errors");
        }
    }
}
