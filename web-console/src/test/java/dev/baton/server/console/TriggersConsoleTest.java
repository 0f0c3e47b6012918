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
    /** A plan whose runs all fail (the tool "boom" throws). */
    static final String FAILING_PLAN = "{\"tasks\": [{\"id\": \"explode\", \"tool\": \"boom\", \"args\": {}, \"retry\": {\"maxAttempts\": 1}}]}";
    /** How long the page may take to show a change: its 2 s poll, on a busy machine. */
    static final LocatorAssertions.HasTextOptions POLLED = new LocatorAssertions.HasTextOptions().setTimeout(20_000);

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(TestServer::config, registry -> registry.register(TestTools.failing("boom")));
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
            // never a next firing in the past: once its time has come it is "due now" until it fires
            assertThat(tick.locator("td.next time")).hasText(Pattern.compile("^(in [12] s|due now)$"));
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
            assertThat(tick.locator("td.next")).hasText("paused");
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
                assertEquals(0, page.locator("#new-trigger").count(), "nor the form that creates a trigger");
                assertEquals(List.of(), tab.errors, "console errors");
            }
        }
    }

    @Test
    void anOperatorCreatesAScheduleWithTheFormRunsItNowAndSeesItsFailedRunsCounted() {
        try (Browser.Tab tab = servers.browser().open(api.base())) {
            Page page = tab.page;
            page.navigate("/triggers");
            Locator form = page.locator("#trigger-form");
            page.locator("#new-trigger summary").click();
            assertThat(form).isVisible();
            page.getByLabel("Name").fill("doomed-daily");
            page.getByLabel("Goal").fill("a report that always fails");
            page.getByLabel("Plan (JSON)").fill(FAILING_PLAN);
            page.getByLabel("Time zone").fill("Europe/Berlin");

            // A bad expression: the parser's message as it is typed, and creating it creates nothing.
            Locator preview = page.locator("#trigger-preview");
            page.getByLabel("Cron expression").fill("0 61 * * * *");
            assertThat(preview.locator(".preview-error"))
                    .hasText("'schedule.cron' is not valid: the minute field '61' is out of range: values go from 0 to 59");
            assertThat(preview.locator("ol.next-times li")).hasCount(0);
            form.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Create trigger")).click();
            assertThat(form.locator(".form-error")).hasText("'schedule.cron' is not valid: the minute field '61' is out of range: values go from 0 to 59");
            assertEquals(404, api.get("/api/triggers/doomed-daily").status(), "a refused form creates nothing");
            assertThat(page.locator("tr[data-trigger=doomed-daily]")).hasCount(0);

            // A good one: its words and its next five times (weekdays at 09:00 in Berlin).
            page.getByLabel("Cron expression").fill("0 0 9 * * MON-FRI");
            assertThat(preview.locator(".words")).hasText("at 09:00 on weekdays (Europe/Berlin)");
            Locator times = preview.locator("ol.next-times li time");
            assertThat(times).hasCount(5);
            for (String at : times.all().stream().map(t -> t.getAttribute("datetime")).toList()) {
                java.time.ZonedDateTime berlin = java.time.Instant.parse(at).atZone(java.time.ZoneId.of("Europe/Berlin"));
                assertEquals(9, berlin.getHour(), at);
                assertTrue(berlin.getDayOfWeek().getValue() <= 5, at);
            }
            assertThat(preview.locator(".preview-error")).hasCount(0);
            tab.screenshot("triggers-create");
            form.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Create trigger")).click();
            assertThat(page.locator("#notice")).containsText("Created the trigger “doomed-daily”: at 09:00 on weekdays.");
            JsonNode created = trigger("doomed-daily");
            assertEquals("0 0 9 * * MON-FRI", created.path("schedule").path("cron").asText());
            assertEquals("Europe/Berlin", created.path("schedule").path("timeZone").asText());
            Locator row = page.locator("tr[data-trigger=doomed-daily]");
            assertThat(row.locator("td.timing .words")).hasText("at 09:00 on weekdays");
            assertThat(row.locator("td.timing code.cron")).hasText("0 0 9 * * MON-FRI");
            assertThat(row.locator("td.next time")).hasText(Pattern.compile("^in [0-9]+ (s|min|h|d)$"));

            // An interval previews in words too.
            page.getByLabel("Starts runs").selectOption("every");
            page.getByLabel("Every").fill("PT10S");
            assertThat(preview.locator(".words")).hasText("every 10 seconds");

            // Run now, twice: two runs of the trigger, both fail, and the row counts them as they ended.
            Locator runNow = row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Run now doomed-daily"));
            runNow.click();
            assertThat(page.locator("#notice")).containsText("of the trigger “doomed-daily”.");
            assertThat(row.locator("td.firings .started")).hasText("1", POLLED);
            runNow.click();
            assertThat(row.locator("td.firings .started")).hasText("2", POLLED);
            assertThat(row.locator("td.firings .failed")).hasText("2", POLLED);
            assertThat(row.locator("td.firings .failed")).hasClass(Pattern.compile("error"));
            assertThat(row.locator("td.firings .succeeded")).hasText("0");
            assertThat(row.locator("td.firings .running")).hasText("0");
            assertThat(row.locator("td.firings .unstarted")).hasText("0");
            List<JsonNode> runs = dev.baton.server.testing.TriggerRuns.of(api, "doomed-daily");
            assertEquals(2, runs.size(), runs.toString());
            for (JsonNode run : runs) {
                assertEquals("FAILED", run.path("status").asText(), run.toString());
                assertEquals("manual", run.path("options").path("trigger").path("kind").asText(), run.toString());
            }
            // the run's page says a person ran it now
            row.locator("td.last a.last-run").click();
            assertThat(page.locator(".trigger-origin")).containsText("started by trigger doomed-daily · run now by local");
            // Chromium logs the refusals of the bad expression (preview, create) as failed loads; nothing else may be logged.
            List<String> others = tab.errors.stream().filter(e -> !e.contains("responded with a status of 400")).toList();
            assertEquals(List.of(), others, "console errors (a CSP violation would be one)");
            assertTrue(tab.errors.size() >= 2, "the preview and the create were refused: " + tab.errors);
        } finally {
            api.send(api.request("/api/triggers/doomed-daily").DELETE());
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
