package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's /triggers page in a real headless Chromium against a real server: the empty
 * state, triggers created through the API appearing by the page's polling with their kinds,
 * a schedule's firings counted live and its last run reachable (the run view names the
 * trigger), pause/resume/delete from the page as the API sees them, and untrusted text (a
 * trigger's goal and its input-mapping fields) shown as text.
 */
class TriggersConsoleTest {
    /** Markup in the free-text fields of a trigger: it must show as text and never run. */
    static final String HOSTILE = "<img src=x onerror=\"window.pwned=1\">deploy <b>now</b>";
    static final String ECHO_PLAN = "{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"text\": \"hi\"}}]}";
    /** How long the page may take to show a change: its 2 s poll, on a busy machine. */
    static final LocatorAssertions.HasTextOptions POLLED = new LocatorAssertions.HasTextOptions().setTimeout(20_000);

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @Test
    void triggersAreListedLiveAndPausedResumedAndDeletedFromThePage() {
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/");
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Triggers")).click();
            page.waitForURL("**/triggers");
            assertThat(page.locator("nav a[data-nav=triggers]")).hasAttribute("aria-current", "page");

            // No triggers yet: the page says how to make one.
            Locator emptyState = page.locator("#trigger-list .empty");
            assertThat(emptyState).containsText("No triggers yet");
            assertThat(emptyState.locator("pre.example")).containsText("curl -s " + api.base() + "/api/triggers");
            assertThat(emptyState).containsText("docs/triggers.md");

            // Markup cannot be a trigger's name (the API refuses it); it can be its goal or a mapped field.
            ObjectNode badName = schedule("<img src=x>", "PT1S");
            assertEquals("trigger_invalid", api.post("/api/triggers", badName).errorCode());

            create(schedule("tick", "PT1S"));
            ObjectNode event = Json.object();
            event.put("name", "on-push");
            event.put("goal", HOSTILE);
            event.putObject("event").putObject("inputMapping").put(HOSTILE, "$.ref");
            event.set("plan", TestTools.json(ECHO_PLAN));
            create(event);

            // Created elsewhere: the rows appear with the next poll, by name, with their kinds.
            Locator tick = page.locator("tr[data-trigger=tick]");
            Locator onPush = page.locator("tr[data-trigger=on-push]");
            assertThat(tick).hasCount(1, new LocatorAssertions.HasCountOptions().setTimeout(20_000));
            assertThat(page.locator("#trigger-list tbody tr")).hasCount(2);
            assertThat(page.locator("#trigger-list tbody tr").first()).hasAttribute("data-trigger", "on-push");
            assertThat(tick).hasAttribute("data-kind", "schedule");
            assertThat(tick.locator("td.timing .spec")).hasText("every 1 s");
            assertThat(tick.locator("td.state")).hasText("active");
            assertThat(tick.locator("td.name")).containsText("plan of 1 task"); // from the list's summary view
            assertThat(onPush).hasAttribute("data-kind", "event");
            assertThat(onPush.locator("td.timing .spec")).hasText("event");
            assertThat(onPush.locator("td.next")).hasText("on each event");
            assertThat(onPush.locator("td.last")).hasText("never");

            // Untrusted text is text: the goal and the mapped field show verbatim, nothing is injected.
            assertThat(onPush.locator("td.name .goal")).hasText(HOSTILE);
            assertThat(onPush.locator("td.timing")).containsText("maps " + HOSTILE);
            assertEquals(0, page.locator("#view img, #view b").count(), "a trigger's text is never HTML");
            assertEquals(Boolean.TRUE, page.evaluate("() => window.pwned === undefined"));

            // The schedule fires every second: its count grows and its next firing is moments away.
            assertThat(tick.locator("td.firings .started")).hasText(Pattern.compile("^[1-9][0-9]*$"), POLLED);
            assertThat(tick.locator("td.next time")).hasText(Pattern.compile("^(in [12] s|[0-9] s ago)$"));
            assertThat(tick.locator("td.next .abs")).not().isEmpty();
            Locator lastRun = tick.locator("td.last a.last-run");
            assertThat(lastRun).hasAttribute("href", Pattern.compile("^/runs/.+"));
            tab.screenshot("triggers");

            // Its last run's page says which trigger started it, and links back.
            String runId = lastRun.textContent();
            lastRun.click();
            page.waitForURL("**/runs/" + runId);
            Locator origin = page.locator(".trigger-origin");
            assertThat(origin).containsText("started by trigger tick");
            assertThat(origin).containsText("scheduled at " + api.run(runId).path("options").path("trigger").path("scheduledAt").asText());
            origin.locator("a.trigger-name").click();
            page.waitForURL("**/triggers");

            // Pause from the page: the API says paused, the row says so, and the button turns to Resume.
            tick.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Pause tick")).click();
            assertThat(tick.locator("td.state")).hasText("paused");
            assertThat(tick).hasAttribute("data-paused", "true");
            assertTrue(trigger("tick").path("paused").asBoolean(), "the API says the trigger is paused");
            assertThat(tick.locator("td.next")).hasText("—");
            // a poll later (the relative time of the last firing moved on) it still says paused:
            // no flip back from a list fetched before the pause
            String lastAge = tick.locator("td.last time").textContent();
            assertThat(tick.locator("td.last time")).not().hasText(lastAge, POLLED);
            assertThat(tick.locator("td.state")).hasText("paused");

            tick.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Resume tick")).click();
            assertThat(tick.locator("td.state")).hasText("active");
            assertEquals(false, trigger("tick").path("paused").asBoolean(), "the API says the trigger is active again");

            // Delete asks first: Cancel keeps the trigger, OK deletes it and its row goes.
            tick.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Delete")).click();
            page.waitForCondition(() -> !tab.dialogs.isEmpty());
            assertEquals(List.of("confirm: Delete the trigger “tick”? Runs it started go on."), tab.dialogs);
            assertEquals(200, api.get("/api/triggers/tick").status(), "a cancelled delete deletes nothing");
            assertThat(tick).hasCount(1);
            tab.acceptDialogs = true;
            tick.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Delete")).click();
            assertThat(tick).hasCount(0);
            assertEquals(404, api.get("/api/triggers/tick").status());
            assertThat(page.locator("#notice")).containsText("Deleted the trigger “tick”.");
            // and it stays gone after the next polls
            assertThat(page.locator("#trigger-list tbody tr")).hasCount(1);
            assertThat(onPush).hasCount(1);

            assertEquals(List.of(), tab.errors, "console errors (a CSP violation would be one)");
        }
    }

    @Test
    void aRunAnEventStartedNamesItsTriggerAndEvent() {
        ObjectNode event = Json.object();
        event.put("name", "hook");
        event.put("goal", "handle a hook");
        event.putObject("event");
        event.set("plan", TestTools.json(ECHO_PLAN));
        create(event);
        String eventId = "<b>evt</b>-1";
        Api.Response posted = api.send(api.request("/api/triggers/hook/events").header("Content-Type", "application/json")
                .header("X-Baton-Event-Id", eventId).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"ref\": \"main\"}")));
        assertEquals(202, posted.status(), posted.body());
        String runId = posted.json().path("runId").asText();

        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/runs/" + runId);
            Locator origin = page.locator(".trigger-origin");
            assertThat(origin).containsText("started by trigger hook");
            assertThat(origin.locator("code.event-id")).hasText(eventId);
            assertEquals(0, page.locator(".trigger-origin b").count(), "an event id is text");
            assertThat(origin.locator("a.trigger-name")).hasAttribute("href", "/triggers");
            // so does the run's conversation, under its first message
            page.navigate("/?run=" + runId);
            Locator chatOrigin = page.locator("#chat li[data-kind=goal] .trigger-origin");
            assertThat(chatOrigin).containsText("started by trigger hook");
            assertThat(chatOrigin.locator("code.event-id")).hasText(eventId);
            assertEquals(0, page.locator("#chat b").count(), "an event id is text in the chat too");

            // the triggers page shows the event's firing and links to its run
            page.navigate("/triggers");
            Locator hook = page.locator("tr[data-trigger=hook]");
            assertThat(hook.locator("td.firings .started")).hasText("1");
            assertThat(hook.locator("td.last a.last-run")).hasText(runId);

            // a run nobody's trigger started says nothing of triggers
            String plain = api.startRun("by hand", ECHO_PLAN).path("id").asText();
            page.navigate("/runs/" + plain);
            assertThat(page.locator("h1.goal")).hasText("by hand");
            assertThat(page.locator(".trigger-origin")).isHidden();
            page.navigate("/?run=" + plain);
            assertThat(page.locator("#chat li[data-kind=goal]")).hasText("by hand");
            assertThat(page.locator("#chat .trigger-origin")).hasCount(0);
            assertEquals(List.of(), tab.errors, "console errors");
        } finally {
            api.send(api.request("/api/triggers/hook").DELETE());
        }
    }

    @Test
    void aViewerSeesTheTriggersButNoButtons() {
        try (TestServer secured = TestServer.start(TestServer.config().withTokens(Tokens.all()), registry -> {
        })) {
            Api admin = secured.api().as(Tokens.ADMIN);
            Api.Response created = admin.post("/api/triggers", schedule("nightly", "P1D"));
            assertEquals(201, created.status(), created.body());
            try (Browser.Tab tab = servers.browser().open(admin.base())) {
                tab.context.addInitScript("sessionStorage.setItem('baton.token', " + Json.write(Tokens.VIEWER) + ")");
                Page page = tab.page;
                page.navigate("/triggers");
                Locator nightly = page.locator("tr[data-trigger=nightly]");
                assertThat(nightly.locator("td.timing .spec")).hasText("every 1 d");
                assertThat(nightly.locator("td.next time")).hasText(Pattern.compile("^in (23|24) h$"));
                assertThat(page.locator("#view")).containsText("Pausing, resuming and deleting need the operator role.");
                assertEquals(0, page.locator("#view button").count(), "a viewer gets no buttons");
                assertEquals(List.of(), tab.errors, "console errors");
            }
        }
    }

    static ObjectNode schedule(String name, String every) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "scheduled " + name);
        body.putObject("schedule").put("every", every);
        body.set("plan", TestTools.json(ECHO_PLAN));
        return body;
    }

    static void create(ObjectNode body) {
        Api.Response r = api.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
    }

    static JsonNode trigger(String name) {
        Api.Response r = api.get("/api/triggers/" + name);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }
}
