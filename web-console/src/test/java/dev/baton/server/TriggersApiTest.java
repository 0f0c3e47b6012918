package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import dev.baton.server.testing.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Triggers over real HTTP against a real server with an H2 journal: schedules fire at their
 * times and follow their overlap policy; events need a good signature, are deduplicated by
 * their id and map the payload into the input; bad definitions are refused naming the field.
 */
class TriggersApiTest {
    private static final String SECRET = "s3cret-s3cret-s3cret";
    private static final Duration AWAIT = Duration.ofSeconds(30);
    private static final String QUICK_PLAN = "{\"tasks\": [{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"n\": \"${input.n}\"}}]}";

    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    static ObjectNode schedule(String name, String every, String overlap, String plan) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "scheduled " + name);
        ObjectNode s = body.putObject("schedule");
        s.put("every", every);
        if (overlap != null) s.put("overlap", overlap);
        body.set("plan", TestTools.json(plan));
        body.putObject("input").put("n", 1);
        return body;
    }

    static JsonNode create(ObjectNode body) {
        Api.Response r = api.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
        assertEquals("/api/triggers/" + body.path("name").asText(), r.header("Location"));
        return r.json();
    }

    static JsonNode trigger(String name) {
        Api.Response r = api.get("/api/triggers/" + name);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static JsonNode awaitTrigger(String name, java.util.function.Predicate<JsonNode> condition) {
        return Api.await(() -> trigger(name), condition, AWAIT, "trigger " + name);
    }

    @Test
    void aScheduleFiresAtItsTimes() {
        JsonNode created = create(schedule("tick", "PT1S", null, QUICK_PLAN));
        assertEquals("schedule", created.path("kind").asText());
        assertFalse(created.path("paused").asBoolean());
        Instant firstDue = TriggerRuns.instant(created, "nextFireAt");
        Instant createdAt = TriggerRuns.instant(created, "createdAt");
        assertTrue(!firstDue.isBefore(createdAt) && firstDue.isBefore(createdAt.plusSeconds(2)), created.toString());

        awaitTrigger("tick", t -> t.path("firings").path("started").asInt() >= 3);
        api.post("/api/triggers/tick/pause", null);
        List<JsonNode> runs = TriggerRuns.of(api, "tick");
        assertTrue(runs.size() >= 3, runs.toString());
        for (int i = 0; i < runs.size(); i++) {
            JsonNode run = runs.get(i);
            Instant at = TriggerRuns.firing(run);
            // one second apart, from the anchor, never early, each once
            assertEquals(firstDue.plusSeconds(i), at, "firing " + i);
            assertFalse(TriggerRuns.instant(run, "createdAt").isBefore(at), run.toString());
            assertEquals("schedule", run.path("options").path("trigger").path("kind").asText());
            assertEquals(1, run.path("input").path("n").asInt());
        }
        JsonNode done = api.awaitRunStatus(runs.get(0).path("id").asText(), "SUCCEEDED");
        assertEquals(1, Api.task(done, "say").path("output").path("n").asInt(), done.toString());
        JsonNode after = trigger("tick");
        assertNotNull(after.path("lastRunId").textValue());
        assertEquals(after.path("lastFiredAt").asText(), TriggerRuns.firing(runs.get(runs.size() - 1)).toString());
        assertEquals(204, api.send(api.request("/api/triggers/tick").DELETE()).status());
        assertEquals(404, api.get("/api/triggers/tick").status());
    }

    @Test
    void aPausedTriggerDoesNotFireAndResumes() {
        create(schedule("paused-one", "PT1S", null, QUICK_PLAN));
        JsonNode paused = api.post("/api/triggers/paused-one/pause", null).json();
        assertTrue(paused.path("paused").asBoolean(), paused.toString());
        assertTrue(paused.path("nextFireAt").isNull(), paused.toString());
        long before = paused.path("firings").path("started").asLong();
        // Another schedule firing three times proves that time passed.
        create(schedule("witness", "PT1S", null, QUICK_PLAN));
        awaitTrigger("witness", t -> t.path("firings").path("started").asInt() >= 3);
        assertEquals(before, trigger("paused-one").path("firings").path("started").asLong());
        assertTrue(api.get("/api/triggers").json().findValuesAsText("name").containsAll(List.of("paused-one", "witness")));
        // the summary view: the same triggers and state, the plan counted instead of sent, no input
        JsonNode full = null;
        for (JsonNode t : api.get("/api/triggers?view=full").json()) if (t.path("name").asText().equals("paused-one")) full = t;
        JsonNode summary = null;
        for (JsonNode t : api.get("/api/triggers?view=summary").json()) if (t.path("name").asText().equals("paused-one")) summary = t;
        assertNotNull(full);
        assertNotNull(summary);
        assertTrue(full.has("plan") && full.has("input"), full.toString());
        assertFalse(summary.has("plan") || summary.has("input"), summary.toString());
        assertEquals(full.path("plan").path("tasks").size(), summary.path("planTasks").asInt(), summary.toString());
        assertEquals(full.path("paused"), summary.path("paused"));
        assertEquals(full.path("schedule"), summary.path("schedule"));
        Api.Response bad = api.get("/api/triggers?view=brief");
        assertEquals(400, bad.status(), bad.body());
        assertTrue(bad.errorMessage().contains("'summary' or 'full'"), bad.body());
        JsonNode resumed = api.post("/api/triggers/paused-one/resume", null).json();
        assertFalse(resumed.path("paused").asBoolean());
        awaitTrigger("paused-one", t -> t.path("firings").path("started").asLong() > before);
        api.post("/api/triggers/paused-one/pause", null);
        api.post("/api/triggers/witness/pause", null);
    }

    private static final String SLOW_PLAN = "{\"tasks\": [{\"id\": \"hold\", \"wait\": \"PT2.5S\"}]}";

    /** Pairs of runs, in firing order, that were going at the same time. */
    private static int overlaps(List<JsonNode> runs) {
        int n = 0;
        for (int i = 1; i < runs.size(); i++) {
            JsonNode prev = runs.get(i - 1);
            Instant prevEnd = TriggerRuns.instant(prev, "updatedAt");
            boolean prevDone = Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(prev.path("status").asText());
            if (!prevDone || TriggerRuns.instant(runs.get(i), "createdAt").isBefore(prevEnd)) n++;
        }
        return n;
    }

    @Test
    void overlapSkipDropsFiringsWhileTheRunGoes() {
        create(schedule("skipper", "PT1S", "skip", SLOW_PLAN));
        JsonNode t = awaitTrigger("skipper", x -> x.path("firings").path("started").asInt() >= 2 && x.path("firings").path("skipped").asInt() >= 2);
        api.post("/api/triggers/skipper/pause", null);
        List<JsonNode> runs = TriggerRuns.of(api, "skipper");
        assertEquals(0, overlaps(runs), runs.toString());
        // a 2.5 s run every second: the times in between were dropped, not made up later
        Instant first = TriggerRuns.firing(runs.get(0));
        Instant second = TriggerRuns.firing(runs.get(1));
        assertTrue(Duration.between(first, second).toSeconds() >= 3, first + " then " + second);
        assertEquals(0, t.path("queued").asInt());
    }

    @Test
    void overlapQueueRunsEveryFiringOneAfterAnother() {
        create(schedule("queuer", "PT1S", "queue", SLOW_PLAN));
        awaitTrigger("queuer", x -> x.path("queued").asInt() >= 1);
        awaitTrigger("queuer", x -> x.path("firings").path("started").asInt() >= 3);
        api.post("/api/triggers/queuer/pause", null);
        List<JsonNode> runs = TriggerRuns.of(api, "queuer");
        for (JsonNode run : runs) api.awaitRunStatus(run.path("id").asText(), "SUCCEEDED");
        runs = TriggerRuns.of(api, "queuer");
        assertEquals(0, overlaps(runs), runs.toString());
        // nothing dropped: consecutive seconds, although each started only when the one before had ended
        for (int i = 1; i < runs.size(); i++) {
            assertEquals(TriggerRuns.firing(runs.get(0)).plusSeconds(i), TriggerRuns.firing(runs.get(i)), runs.toString());
        }
        assertEquals(0, trigger("queuer").path("firings").path("skipped").asInt());
    }

    @Test
    void overlapAllowRunsSideBySide() {
        create(schedule("allower", "PT1S", "allow", SLOW_PLAN));
        awaitTrigger("allower", x -> x.path("firings").path("started").asInt() >= 3);
        api.post("/api/triggers/allower/pause", null);
        List<JsonNode> runs = TriggerRuns.of(api, "allower");
        assertTrue(overlaps(runs) >= 1, runs.toString());
    }

    // ------------------------------------------------------------------ events

    /** An event with an {@code X-Baton-Event-Id} (for triggers without a secret) or signed headers, or neither. */
    static Api.Response postEvent(String trigger, String body, String eventId, Webhooks.Signed signed) {
        HttpRequest.Builder b = Webhooks.request(api, trigger, body, signed);
        if (eventId != null) b.header("X-Baton-Event-Id", eventId);
        return api.send(b);
    }

    static Webhooks.Signed sign(String id, String body) {
        return Webhooks.sign(SECRET, id, body);
    }

    @Test
    void anEventWithAGoodSignatureStartsOneRunWithTheMappedInput() {
        ObjectNode body = Json.object();
        body.put("name", "on-ticket");
        body.put("goal", "handle a ticket event");
        ObjectNode event = body.putObject("event");
        event.put("secret", SECRET);
        event.putObject("inputMapping").put("n", "$.ticket.priority").put("tag", "$.ticket.tags[1]").put("missing", "$.nope");
        body.set("plan", TestTools.json(QUICK_PLAN));
        body.putObject("input").put("source", "webhook");
        JsonNode created = create(body);
        assertEquals("event", created.path("kind").asText());
        assertTrue(created.path("event").path("hasSecret").asBoolean());
        assertFalse(created.toString().contains(SECRET), "the secret is never shown: " + created);

        String payload = "{\"ticket\": {\"priority\": 2, \"tags\": [\"a\", \"vip\"]}}";
        Api.Response first = postEvent("on-ticket", payload, null, sign("evt-1", payload));
        assertEquals(202, first.status(), first.body());
        String runId = first.json().path("runId").asText();
        JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
        assertEquals(2, run.path("input").path("n").asInt(), run.toString());
        assertEquals("vip", run.path("input").path("tag").asText());
        assertEquals("webhook", run.path("input").path("source").asText());
        assertFalse(run.path("input").has("missing"));
        assertEquals("evt-1", run.path("options").path("trigger").path("eventId").asText());

        // delivered again (the sender retries): the same run, nothing new started
        Api.Response again = postEvent("on-ticket", payload, null, sign("evt-1", payload));
        assertEquals(200, again.status(), again.body());
        assertEquals(runId, again.json().path("runId").asText());
        assertTrue(again.json().path("duplicate").asBoolean());
        // the id that deduplicates is the signed one: X-Baton-Event-Id does not count for a signed trigger
        assertEquals(200, postEvent("on-ticket", payload, "something-else", sign("evt-1", payload)).status());

        // bad, missing and old-style signatures: 401, nothing started (the local caller must sign too)
        String other = "{\"ticket\": {\"priority\": 1}}";
        Api.Response forged = postEvent("on-ticket", other, null, sign("evt-2", payload)); // the signature of another body
        assertEquals(401, forged.status(), forged.body());
        assertEquals("bad_signature", forged.errorCode());
        assertEquals(401, postEvent("on-ticket", other, "evt-3", null).status());
        Api.Response legacy = api.send(api.request("/api/triggers/on-ticket/events").POST(HttpRequest.BodyPublishers.ofString(other))
                .header("Content-Type", "application/json").header("X-Baton-Signature", "sha256=" + "0".repeat(64)));
        assertEquals(401, legacy.status(), legacy.body());
        assertTrue(legacy.errorMessage().contains("X-Baton-Signature") && legacy.errorMessage().contains("no longer accepted"), legacy.body());
        assertEquals(401, postEvent("on-ticket", other, null, Webhooks.sign("a-different-secret!", "evt-5", other)).status());
        List<JsonNode> runs = TriggerRuns.of(api, "on-ticket");
        assertEquals(1, runs.size(), runs.toString());

        // a new id starts a new run; the trigger shows the newest
        Api.Response second = postEvent("on-ticket", other, null, sign("evt-6", other));
        assertEquals(202, second.status(), second.body());
        assertEquals(second.json().path("runId").asText(), trigger("on-ticket").path("lastRunId").asText());
        assertEquals(2, TriggerRuns.of(api, "on-ticket").size());

        // signed but not JSON: 400, nothing started
        String notJson = "{\"ticket\": ";
        assertEquals(400, postEvent("on-ticket", notJson, null, sign("evt-7", notJson)).status());
        // paused: 409
        api.post("/api/triggers/on-ticket/pause", null);
        assertEquals(409, postEvent("on-ticket", other, null, sign("evt-8", other)).status());
        assertEquals(2, TriggerRuns.of(api, "on-ticket").size());
    }

    @Test
    void eventsWithoutAMappingGetThePayloadAsInputEvent() {
        ObjectNode body = Json.object();
        body.put("name", "raw-events");
        body.put("goal", "raw");
        body.putObject("event");
        body.set("plan", TestTools.json(QUICK_PLAN));
        create(body);
        Api.Response r = postEvent("raw-events", "[1, 2, 3]", null, null); // the local caller needs no signature
        assertEquals(202, r.status(), r.body());
        JsonNode run = api.run(r.json().path("runId").asText());
        assertEquals(3, run.path("input").path("event").size(), run.toString());
        assertEquals(404, postEvent("no-such-trigger", "{}", null, null).status());
    }

    @Test
    void aTriggerMayRunAStoredPlaybook() {
        ObjectNode body = Json.object();
        body.put("name", "reminders");
        body.put("goal", "remind me");
        body.putObject("event").putObject("inputMapping").put("message", "$.text");
        body.put("playbook", "delayed-reminder");
        create(body);
        Api.Response r = postEvent("reminders", "{\"text\": \"water the plants\"}", "r-1", null);
        assertEquals(202, r.status(), r.body());
        JsonNode run = api.awaitTaskStatus(r.json().path("runId").asText(), "later", "RUNNING");
        assertEquals("water the plants", run.path("input").path("message").asText());
        assertEquals("delayed-reminder", run.path("options").path("trigger").path("playbook").asText());
        assertEquals("${input.message}", Api.task(run, "remind").path("args").path("reminder").asText(), run.toString());
        api.post("/api/runs/" + run.path("id").asText() + "/cancel", null);
    }

    // ------------------------------------------------------------------ validation

    private static void assertInvalid(String json, int status, String code, String field) {
        Api.Response r = api.post("/api/triggers", json);
        assertEquals(status, r.status(), json + " -> " + r.body());
        assertEquals(code, r.errorCode(), r.body());
        if (field != null) assertEquals(field, r.json().path("error").path("details").path("field").asText(), r.body());
    }

    @Test
    void badDefinitionsAreRefusedNamingTheField() {
        String plan = QUICK_PLAN;
        assertInvalid("{\"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "name");
        assertInvalid("{\"name\": \"a b\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "name");
        assertInvalid("{\"name\": \"v1\", \"schedule\": {\"every\": \"PT1S\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "goal");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\"}, \"event\": {}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "event");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {}, \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule.cron");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"cron\": \"* * * * *\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule.cron");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"cron\": \"0 0 25 * * *\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule.cron");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"cron\": \"0 0 0 * * *\", \"timeZone\": \"Mars/Olympus\"}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "schedule.timeZone");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"10s\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule.every");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT0.5S\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "schedule.every");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\", \"catchUp\": \"some\"}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "schedule.catchUp");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\", \"overlap\": \"never\"}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "schedule.overlap");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\", \"catchUpLimit\": 0}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "schedule.catchUpLimit");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"schedule\": {\"every\": \"PT1S\", \"jitter\": 1}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "schedule.jitter");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {\"secret\": \"short\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "event.secret");
        // a whsec_ secret is a base64 key (Standard Webhooks): one that is not base64, or too short a key, is refused
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {\"secret\": \"whsec_not-base64-at-all!\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "event.secret");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {\"secret\": \"whsec_c2hvcnQga2V5IQ==\"}, \"plan\": " + plan + "}", 400, "trigger_invalid", "event.secret");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {\"inputMapping\": {\"x\": \"ticket.id\"}}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "event.inputMapping.x");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {\"inputMapping\": {\"x\": \"$.a[?(@.b)]\"}}, \"plan\": " + plan + "}",
                400, "trigger_invalid", "event.inputMapping.x");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {}}", 400, "trigger_invalid", "plan");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {}, \"plan\": " + plan + ", \"playbook\": \"x\"}", 400, "trigger_invalid", "playbook");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {}, \"plan\": " + plan + ", \"input\": [1]}", 400, "trigger_invalid", "input");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {}, \"playbook\": \"no-such-playbook\"}", 422, "unknown_playbook", "playbook");
        assertInvalid("{\"name\": \"v1\", \"goal\": \"g\", \"event\": {}, \"plan\": {\"tasks\": [{\"id\": \"a\", \"tool\": \"no.such.tool\"}]}}",
                400, "plan_invalid", null);
        assertInvalid("{\"name\": \"v1\"", 400, "bad_request", null);
        // nothing was created by any of them
        assertEquals(404, api.get("/api/triggers/v1").status());

        create(schedule("taken", "PT1H", null, plan));
        assertInvalid(Json.write(schedule("taken", "PT1H", null, plan)), 409, "trigger_exists", null);
        assertEquals(404, api.post("/api/triggers/nope/pause", null).status());
        assertEquals(404, api.send(api.request("/api/triggers/nope").DELETE()).status());
        assertEquals(422, postEvent("taken", "{}", "x", null).status());
    }

    @Test
    void aCronScheduleShowsItsNextTimeInItsZone() {
        ObjectNode body = schedule("nightly", "PT1S", null, QUICK_PLAN);
        ObjectNode s = body.putObject("schedule");
        s.put("cron", "0 30 2 * * *");
        s.put("timeZone", "Europe/Berlin");
        JsonNode created = create(body);
        Instant next = TriggerRuns.instant(created, "nextFireAt");
        var local = next.atZone(java.time.ZoneId.of("Europe/Berlin"));
        assertTrue(next.isAfter(Instant.now()) && next.isBefore(Instant.now().plus(Duration.ofHours(25))), created.toString());
        assertTrue(local.getMinute() == 30 && (local.getHour() == 2 || local.getHour() == 3), local.toString());
        assertEquals("Europe/Berlin", created.path("schedule").path("timeZone").asText());
        assertEquals("skip", created.path("schedule").path("catchUp").asText());
        assertEquals("allow", created.path("schedule").path("overlap").asText());
    }

    /** Unique ids in a list of runs. */
    static Set<String> ids(List<JsonNode> runs) {
        Set<String> ids = new HashSet<>();
        runs.forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }
}
