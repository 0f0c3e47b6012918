package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over real HTTP, what an operator needs of triggers (issue 16): the runs a trigger started counted as
 * they ended (a trigger whose every run fails says so), whether a firing is due, a schedule in words, a
 * preview of a schedule being written (its words and next five times, or the parser's message), and
 * "run now".
 */
class TriggerOperationsApiTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);
    private static final String ECHO_PLAN = "{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"text\": \"hi\"}}]}";
    private static final String FAILING_PLAN = "{\"tasks\": [{\"id\": \"explode\", \"tool\": \"boom\", \"args\": {}, \"retry\": {\"maxAttempts\": 1}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.with(TestServer::config, registry -> registry.register(TestTools.failing("boom")));
    static final Api api = servers.api();

    static ObjectNode trigger(String name, String plan) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "runs of " + name);
        body.set("plan", TestTools.json(plan));
        return body;
    }

    static JsonNode create(ObjectNode body) {
        Api.Response r = api.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
        return r.json();
    }

    static JsonNode get(String name) {
        Api.Response r = api.get("/api/triggers/" + name);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static JsonNode listed(String name) {
        for (JsonNode t : api.get("/api/triggers?view=summary").json()) if (t.path("name").asText().equals(name)) return t;
        throw new AssertionError("no trigger " + name + " in the list");
    }

    @Test
    void aTriggerWhoseRunsAllFailCountsThemFailed() {
        ObjectNode body = trigger("doomed", FAILING_PLAN);
        body.putObject("schedule").put("every", "PT1S");
        create(body);
        Api.await(() -> get("doomed"), t -> t.path("runs").path("failed").asInt() >= 3, AWAIT, "three runs of 'doomed' to fail");
        assertEquals(200, api.post("/api/triggers/doomed/pause", null).status());
        // Every run it started has ended (none running), and the journal holds exactly as many runs of it.
        JsonNode t = Api.await(() -> listed("doomed"), x -> x.path("runs").path("running").asInt() == 0
                && x.path("runs").path("started").asInt() == TriggerRuns.of(api, "doomed").size(), AWAIT, "the runs of 'doomed' to end");
        List<JsonNode> runs = TriggerRuns.of(api, "doomed");
        int n = runs.size();
        assertTrue(n >= 3, runs.toString());
        for (JsonNode run : runs) assertEquals("FAILED", run.path("status").asText(), run.toString());
        JsonNode counts = t.path("runs");
        assertEquals(n, counts.path("started").asInt(), t.toString());
        assertEquals(n, counts.path("failed").asInt(), "every run it started failed: " + t);
        assertEquals(0, counts.path("succeeded").asInt(), t.toString());
        assertEquals(0, counts.path("cancelled").asInt(), t.toString());
        // The firings themselves went well: each started its run. That count alone said "0 failed".
        assertEquals(n, t.path("firings").path("started").asInt(), t.toString());
        assertEquals(0, t.path("firings").path("failed").asInt(), t.toString());
        assertEquals("every second", t.path("description").asText());
        assertFalse(t.path("due").asBoolean(), "a paused trigger is not due: " + t);
        assertTrue(t.path("nextFireAt").isNull(), t.toString());

        // A trigger whose runs succeed says so too.
        ObjectNode fine = trigger("fine", ECHO_PLAN);
        fine.putObject("schedule").put("every", "PT1S");
        create(fine);
        Api.await(() -> get("fine"), x -> x.path("runs").path("succeeded").asInt() >= 2, AWAIT, "two runs of 'fine' to succeed");
        assertEquals(200, api.post("/api/triggers/fine/pause", null).status());
        JsonNode ok = Api.await(() -> get("fine"), x -> x.path("runs").path("running").asInt() == 0, AWAIT, "the runs of 'fine' to end");
        assertEquals(ok.path("runs").path("started").asInt(), ok.path("runs").path("succeeded").asInt(), ok.toString());
        assertEquals(0, ok.path("runs").path("failed").asInt(), ok.toString());
    }

    @Test
    void aFiringQueuedBehindARunIsDueNotInThePast() {
        ObjectNode body = trigger("queued", "{\"tasks\": [{\"id\": \"hold\", \"wait\": \"PT4S\"}]}");
        body.putObject("schedule").put("every", "PT1S").put("overlap", "queue");
        create(body);
        JsonNode t = Api.await(() -> get("queued"), x -> x.path("queued").asInt() >= 2, AWAIT, "firings to queue behind the first run");
        // nextFireAt is the oldest queued firing, whose time has passed: the trigger says it is due, and why (queued, running).
        assertTrue(t.path("due").asBoolean(), t.toString());
        assertFalse(Instant.parse(t.path("nextFireAt").asText()).isAfter(Instant.now()), t.toString());
        assertFalse(t.path("runningRunId").isNull(), t.toString());
        assertEquals(1, t.path("runs").path("running").asInt(), t.toString());
        assertEquals(200, api.post("/api/triggers/queued/pause", null).status());
        JsonNode paused = get("queued");
        assertFalse(paused.path("due").asBoolean(), paused.toString());
        assertEquals(0, paused.path("queued").asInt(), paused.toString());
        assertEquals(204, api.send(api.request("/api/triggers/queued").DELETE()).status());
    }

    @Test
    void aPreviewShowsTheWordsAndTheNextFiveTimesOrTheParsersMessage() {
        Api.Response weekdays = api.post("/api/triggers/preview", "{\"cron\": \"0 0 9 * * MON-FRI\", \"timeZone\": \"Europe/Berlin\"}");
        assertEquals(200, weekdays.status(), weekdays.body());
        assertEquals("at 09:00 on weekdays", weekdays.json().path("description").asText());
        assertEquals("Europe/Berlin", weekdays.json().path("timeZone").asText());
        List<Instant> times = times(weekdays.json());
        assertEquals(5, times.size(), weekdays.body());
        Instant before = Instant.now().minusSeconds(5);
        for (Instant at : times) {
            ZonedDateTime local = at.atZone(ZoneId.of("Europe/Berlin"));
            assertEquals(9, local.getHour(), at.toString());
            assertEquals(0, local.getMinute(), at.toString());
            assertFalse(local.getDayOfWeek() == DayOfWeek.SATURDAY || local.getDayOfWeek() == DayOfWeek.SUNDAY, at.toString());
            assertTrue(at.isAfter(before), "in order, from now: " + times);
            before = at;
        }

        Api.Response every = api.post("/api/triggers/preview", "{\"every\": \"PT10S\"}");
        assertEquals(200, every.status(), every.body());
        assertEquals("every 10 seconds", every.json().path("description").asText());
        assertTrue(every.json().path("timeZone").isMissingNode(), every.body());
        List<Instant> ticks = times(every.json());
        assertEquals(5, ticks.size());
        for (int i = 1; i < 5; i++) assertEquals(Duration.ofSeconds(10), Duration.between(ticks.get(i - 1), ticks.get(i)));

        int triggersBefore = api.get("/api/triggers").json().size();
        Api.Response bad = api.post("/api/triggers/preview", "{\"cron\": \"0 61 * * * *\"}");
        assertEquals(400, bad.status(), bad.body());
        assertEquals("trigger_invalid", bad.errorCode());
        assertEquals("'schedule.cron' is not valid: the minute field '61' is out of range: values go from 0 to 59", bad.errorMessage());
        assertEquals("schedule.cron", bad.json().path("error").path("details").path("field").asText());
        Api.Response fields = api.post("/api/triggers/preview", "{\"cron\": \"0 */5 * * *\"}");
        assertEquals(400, fields.status(), fields.body());
        assertTrue(fields.errorMessage().contains("a cron expression has 6 fields"), fields.body());
        Api.Response never = api.post("/api/triggers/preview", "{\"cron\": \"0 0 0 31 2 *\"}");
        assertEquals(400, never.status(), never.body());
        assertEquals("'schedule.cron' is not valid: it never fires", never.errorMessage());
        Api.Response zone = api.post("/api/triggers/preview", "{\"cron\": \"0 0 9 * * *\", \"timeZone\": \"Mars/Olympus\"}");
        assertEquals(400, zone.status(), zone.body());
        assertEquals("schedule.timeZone", zone.json().path("error").path("details").path("field").asText());
        assertEquals(400, api.post("/api/triggers/preview", "[]").status());
        assertEquals(triggersBefore, api.get("/api/triggers").json().size(), "a preview creates nothing");

        // A created trigger carries the same words.
        ObjectNode body = trigger("report", ECHO_PLAN);
        body.putObject("schedule").put("cron", "0 0 */2 * * *");
        JsonNode created = create(body);
        assertEquals("at minute 0 past every 2nd hour", created.path("description").asText());
        assertEquals("at minute 0 past every 2nd hour", listed("report").path("description").asText());
        assertEquals(204, api.send(api.request("/api/triggers/report").DELETE()).status());
    }

    @Test
    void runNowStartsOneRunAsAFiringOfTheTriggerAndCountsIt() {
        ObjectNode body = trigger("nightly", ECHO_PLAN);
        body.putObject("schedule").put("cron", "0 0 3 * * *");
        JsonNode created = create(body);
        Api.Response started = api.post("/api/triggers/nightly/run", null);
        assertEquals(202, started.status(), started.body());
        String runId = started.json().path("runId").asText();
        assertEquals("/api/runs/" + runId, started.header("Location"));
        JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
        JsonNode mark = run.path("options").path("trigger");
        assertEquals("nightly", mark.path("name").asText(), run.toString());
        assertEquals("manual", mark.path("kind").asText(), run.toString());
        assertEquals("local", mark.path("requestedBy").asText(), run.toString());
        JsonNode origin = api.events(runId, null, 1).get(0).path("data").path("origin");
        assertEquals("manual", origin.path("firing").path("kind").asText(), origin.toString());
        assertEquals(mark.path("requestedAt").asText(), origin.path("firing").path("at").asText());

        JsonNode t = Api.await(() -> get("nightly"), x -> x.path("runs").path("succeeded").asInt() == 1, AWAIT, "the run to be counted");
        assertEquals(1, t.path("runs").path("started").asInt(), t.toString());
        assertEquals(1, t.path("firings").path("started").asInt(), t.toString());
        assertEquals(runId, t.path("lastRunId").asText());
        assertEquals(created.path("nextFireAt"), t.path("nextFireAt"), "the schedule goes on as it was");

        // A paused trigger runs when a person asks (pausing stops its schedule), and stays paused.
        assertEquals(200, api.post("/api/triggers/nightly/pause", null).status());
        Api.Response again = api.post("/api/triggers/nightly/run", null);
        assertEquals(202, again.status(), again.body());
        api.awaitRunStatus(again.json().path("runId").asText(), "SUCCEEDED");
        JsonNode paused = Api.await(() -> get("nightly"), x -> x.path("runs").path("succeeded").asInt() == 2, AWAIT, "the second run");
        assertTrue(paused.path("paused").asBoolean(), paused.toString());

        Api.Response unknown = api.post("/api/triggers/no-such-trigger/run", null);
        assertEquals(404, unknown.status(), unknown.body());
        assertEquals("not_found", unknown.errorCode());
        assertEquals(204, api.send(api.request("/api/triggers/nightly").DELETE()).status());
    }

    private static List<Instant> times(JsonNode preview) {
        List<Instant> times = new ArrayList<>();
        for (JsonNode at : preview.path("next")) times.add(Instant.parse(at.asText()));
        return times;
    }
}
