package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ClaimHoldingServer;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.TestTools;
import dev.baton.server.testing.TriggerRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Schedules across a kill -9 of a real server process and a restart on the same H2 journal: a
 * firing that was under way happened exactly once (also one claimed whose run was not durable yet,
 * under catch-up skip), a firing queued by overlap comes back queued, and the firings missed while
 * the server was down follow each catch-up policy.
 */
class TriggerRecoveryTest {
    private static final Duration AWAIT = Duration.ofSeconds(40);
    private static final String PLAN = "{\"tasks\": [{\"id\": \"hold\", \"wait\": \"PT1.5S\"}, "
            + "{\"id\": \"say\", \"tool\": \"echo\", \"args\": {\"done\": true}, \"dependsOn\": [\"hold\"]}]}";

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("trigger-recovery");

    private ServerProcess start() {
        return start(Main.class);
    }

    private ServerProcess start(Class<?> mainClass) {
        return servers.start(null, List.of(), List.of(), mainClass);
    }

    private static ObjectNode every(String name, String interval, String catchUp, Integer limit) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "scheduled " + name);
        ObjectNode s = body.putObject("schedule");
        s.put("every", interval);
        s.put("catchUp", catchUp);
        if (limit != null) s.put("catchUpLimit", limit);
        body.set("plan", TestTools.json(PLAN));
        return body;
    }

    private static void create(Api api, ObjectNode body) {
        Api.Response r = api.post("/api/triggers", body);
        assertEquals(201, r.status(), r.body());
    }

    private static int started(Api api, String name) {
        return api.get("/api/triggers/" + name).json().path("firings").path("started").asInt();
    }

    private static void assertEachFiringOnce(List<JsonNode> runs) {
        Set<Instant> seen = new HashSet<>();
        for (JsonNode run : runs) assertTrue(seen.add(TriggerRuns.firing(run)), "fired twice at " + TriggerRuns.firing(run) + ": " + runs);
    }

    private static boolean catchUp(JsonNode run) {
        return run.path("options").path("trigger").path("catchUp").asBoolean(false);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFiringUnderWayWhenTheServerIsKilledHappensOnce() {
        ServerProcess first = start();
        create(first.api(), every("crashy", "PT2S", "latest", null));
        // The firing's run exists and is going (its wait task holds it): kill now.
        JsonNode firstRun = Api.await(() -> TriggerRuns.of(first.api(), "crashy"), runs -> !runs.isEmpty(), AWAIT, "a first firing").get(0);
        first.kill();
        Instant killedAfter = TriggerRuns.firing(firstRun);

        ServerProcess second = start();
        List<JsonNode> runs = Api.await(() -> TriggerRuns.of(second.api(), "crashy"),
                list -> list.stream().anyMatch(r -> TriggerRuns.firing(r).isAfter(killedAfter.plusSeconds(3))), AWAIT,
                "the schedule to go on after the restart");
        second.api().post("/api/triggers/crashy/pause", null);
        runs = TriggerRuns.of(second.api(), "crashy");
        assertEachFiringOnce(runs);
        assertEquals(1, runs.stream().filter(r -> TriggerRuns.firing(r).equals(killedAfter)).count(), runs.toString());
        // the run cut off by the kill finishes after the restart, as the journal left it
        second.api().awaitRunStatus(firstRun.path("id").asText(), "SUCCEEDED");
        JsonNode trigger = second.api().get("/api/triggers/crashy").json();
        assertTrue(!Instant.parse(trigger.path("lastFiredAt").asText()).isBefore(killedAfter.plusSeconds(4)), trigger.toString());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void missedFiringsFollowTheCatchUpPolicy() {
        ServerProcess first = start();
        create(first.api(), every("cu-skip", "PT1S", "skip", null));
        create(first.api(), every("cu-latest", "PT1S", "latest", null));
        create(first.api(), every("cu-all", "PT1S", "all", 3));
        for (String name : List.of("cu-skip", "cu-latest", "cu-all")) {
            Api.await(() -> started(first.api(), name), n -> n >= 1, AWAIT, name + " to fire");
        }
        first.kill();
        Instant killed = Instant.now();
        // Down for at least five firings of each schedule: a deliberate outage, not a wait for something to happen.
        Api.await(Instant::now, now -> now.isAfter(killed.plusMillis(5500)), Duration.ofSeconds(10), "the outage");
        ServerProcess second = start();
        for (String name : List.of("cu-skip", "cu-latest", "cu-all")) {
            Api.await(() -> TriggerRuns.of(second.api(), name), runs -> runs.stream()
                    .anyMatch(r -> !catchUp(r) && TriggerRuns.firing(r).isAfter(killed)), AWAIT, name + " to go on after the restart");
            second.api().post("/api/triggers/" + name + "/pause", null);
        }
        for (String name : List.of("cu-skip", "cu-latest", "cu-all")) {
            List<JsonNode> runs = TriggerRuns.of(second.api(), name);
            assertEachFiringOnce(runs);
            Instant lastBefore = runs.stream().filter(r -> !catchUp(r) && TriggerRuns.firing(r).isBefore(killed))
                    .map(TriggerRuns::firing).max(Comparator.naturalOrder()).orElseThrow();
            Instant firstAfter = runs.stream().filter(r -> !catchUp(r) && TriggerRuns.firing(r).isAfter(killed))
                    .map(TriggerRuns::firing).min(Comparator.naturalOrder()).orElseThrow();
            List<Instant> caughtUp = runs.stream().filter(TriggerRecoveryTest::catchUp).map(TriggerRuns::firing).sorted().toList();
            assertTrue(Duration.between(lastBefore, firstAfter).toSeconds() >= 5, name + ": " + lastBefore + " .. " + firstAfter);
            List<Instant> expected = switch (name) {
                case "cu-skip" -> List.of();
                case "cu-latest" -> List.of(firstAfter.minusSeconds(1));
                default -> List.of(firstAfter.minusSeconds(3), firstAfter.minusSeconds(2), firstAfter.minusSeconds(1));
            };
            assertEquals(expected, caughtUp, name + ": " + runs);
            // and nothing else fired in the outage
            long inOutage = runs.stream().filter(r -> TriggerRuns.firing(r).isAfter(lastBefore) && TriggerRuns.firing(r).isBefore(firstAfter)).count();
            assertEquals(expected.size(), inOutage, name);
        }
    }

    /** What {@link ClaimHoldingServer} logs once a firing's claim is saved. */
    private static final Pattern HELD = Pattern.compile("CLAIM HELD: the firing of trigger 'held' at (\\S+) is claimed");

    private static Set<Instant> claimedAndHeld(ServerProcess server) {
        Set<Instant> times = new TreeSet<>();
        try {
            Matcher m = HELD.matcher(Files.readString(server.log()));
            while (m.find()) times.add(Instant.parse(m.group(1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return times;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aClaimedFiringWhoseRunIsNotDurableYetFiresOnceAfterAKillEvenUnderCatchUpSkip() {
        // Its trigger store holds a save that claimed a firing for a minute once it has committed, before
        // the firing is submitted: killed within that minute, the server dies with the claim durable and no run for it.
        ServerProcess first = start(ClaimHoldingServer.class);
        create(first.api(), every("held", "PT2S", "skip", null));
        Api.await(() -> claimedAndHeld(first), times -> !times.isEmpty(), AWAIT, "a firing to be claimed");
        first.kill();
        Instant killed = Instant.now();
        // Read after the kill: every firing the dead server had claimed.
        Set<Instant> claimed = claimedAndHeld(first);
        Instant lastClaimed = ((TreeSet<Instant>) claimed).last();

        // Down long enough to miss firings, which catch-up skip must not fire.
        Api.await(Instant::now, now -> now.isAfter(killed.plusMillis(4500)), Duration.ofSeconds(10), "the outage");
        ServerProcess second = start();
        List<JsonNode> runs = Api.await(() -> TriggerRuns.of(second.api(), "held"),
                list -> list.stream().anyMatch(r -> TriggerRuns.firing(r).isAfter(killed)), AWAIT, "the schedule to go on after the restart");
        second.api().post("/api/triggers/held/pause", null);
        runs = TriggerRuns.of(second.api(), "held");
        assertEachFiringOnce(runs);
        for (Instant at : claimed) {
            List<JsonNode> ofIt = runs.stream().filter(r -> TriggerRuns.firing(r).equals(at)).toList();
            assertEquals(1, ofIt.size(), "the firing claimed at " + at + " ran exactly once: " + runs);
            assertFalse(catchUp(ofIt.get(0)), "a claimed firing is fired again, not caught up: " + ofIt.get(0));
            assertTrue(TriggerRuns.instant(ofIt.get(0), "createdAt").isAfter(killed), "its run was created after the restart");
        }
        // Catch-up skip: nothing between the last claimed time and the first firing of the restarted server.
        Instant firstAfter = runs.stream().map(TriggerRuns::firing).filter(t -> t.isAfter(lastClaimed)).min(Comparator.naturalOrder()).orElseThrow();
        assertTrue(Duration.between(lastClaimed, firstAfter).toSeconds() >= 4, "missed while down and skipped: " + lastClaimed + " .. " + firstAfter);
        assertTrue(runs.stream().noneMatch(TriggerRecoveryTest::catchUp), runs.toString());
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aQueuedFiringSurvivesAKillAndRunsOnceWhenTheRunningRunEnds() {
        ServerProcess first = start();
        ObjectNode body = every("queued", "PT2S", "skip", null);
        ((ObjectNode) body.path("schedule")).put("overlap", "queue");
        // The first run holds 20 s: long enough to outlive the kill and the restart.
        body.set("plan", TestTools.json("{\"tasks\": [{\"id\": \"hold\", \"wait\": \"PT20S\"}]}"));
        create(first.api(), body);
        // A firing is queued only after its claim is saved, so queued >= 1 means a durable claim.
        JsonNode before = Api.await(() -> first.api().get("/api/triggers/queued").json(), t -> t.path("queued").asInt() >= 1,
                AWAIT, "a firing to be queued behind the first run");
        String firstRunId = before.path("runningRunId").asText();
        Instant queuedAt = Instant.parse(before.path("nextFireAt").asText()); // the oldest queued time
        assertTrue(TriggerRuns.of(first.api(), "queued").stream().noneMatch(r -> TriggerRuns.firing(r).equals(queuedAt)),
                "no run for the queued firing before the kill");
        first.kill();
        Instant killed = Instant.now();
        ServerProcess second = start();
        // Back queued (the oldest in the queue) behind the first run, which the journal recovered and which still holds.
        JsonNode after = Api.await(() -> second.api().get("/api/triggers/queued").json(),
                t -> t.path("queued").asInt() >= 1 && queuedAt.toString().equals(t.path("nextFireAt").asText()),
                AWAIT, "the queued firing at " + queuedAt + " to come back queued");
        assertEquals(firstRunId, after.path("runningRunId").asText(), after.toString());
        JsonNode firstRun = second.api().awaitRunStatus(firstRunId, "SUCCEEDED");
        List<JsonNode> runs = Api.await(() -> TriggerRuns.of(second.api(), "queued"),
                list -> list.stream().anyMatch(r -> TriggerRuns.firing(r).equals(queuedAt)), AWAIT, "the queued firing to run");
        second.api().post("/api/triggers/queued/pause", null);
        runs = TriggerRuns.of(second.api(), "queued");
        assertEachFiringOnce(runs);
        JsonNode queuedRun = runs.stream().filter(r -> TriggerRuns.firing(r).equals(queuedAt)).findFirst().orElseThrow();
        assertFalse(catchUp(queuedRun), queuedRun.toString());
        assertFalse(TriggerRuns.instant(queuedRun, "createdAt").isBefore(TriggerRuns.instant(firstRun, "updatedAt")),
                "the queued firing ran when the first run had ended: " + firstRun.path("updatedAt") + " / " + queuedRun.path("createdAt"));
        assertTrue(killed.isBefore(TriggerRuns.instant(queuedRun, "createdAt")));
    }
}
