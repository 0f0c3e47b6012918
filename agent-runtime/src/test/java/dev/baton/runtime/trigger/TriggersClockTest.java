package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The triggers read one clock, the one they are given: new schedules, resumed ones, the times missed
 * while down, an event's arrival and a webhook's timestamp all count from it. The clock here is
 * fixed years away from the system's, so that a read of the system clock anywhere shows.
 */
class TriggersClockTest {
    private static final Instant T = Instant.parse("2031-03-01T08:00:00Z");
    private static final Clock CLOCK = Clock.fixed(T, ZoneOffset.UTC);
    private static final String PLAN = "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}";

    private final Vertx vertx = Vertx.vertx();
    private final MemoryJournal journal = new MemoryJournal();
    private Orchestrator orchestrator;
    private Triggers triggers;

    @BeforeEach
    void start() throws Exception {
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.none());
        orchestrator = Orchestrator.start(vertx, journal, tools, OrchestratorOptions.defaults()).await(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        if (triggers != null) triggers.close();
        orchestrator.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static ObjectNode schedule(String name, String field, String value) throws Exception {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "fire " + name);
        body.putObject("schedule").put(field, value);
        body.set("plan", Json.parse(PLAN));
        return body;
    }

    @Test
    void newAndResumedSchedulesCountFromTheClock() throws Exception {
        triggers = Triggers.start(vertx, orchestrator, new MemoryTriggerStore(), null, CLOCK).await(10, TimeUnit.SECONDS);
        ObjectNode noon = triggers.create(schedule("noon", "cron", "0 0 12 * * *")).await(10, TimeUnit.SECONDS);
        assertEquals("2031-03-01T12:00:00Z", noon.path("nextFireAt").asText(), noon.toString());
        // an interval is anchored at its creation, by the clock
        ObjectNode hourly = triggers.create(schedule("hourly", "every", "PT1H")).await(10, TimeUnit.SECONDS);
        assertEquals("2031-03-01T09:00:00Z", hourly.path("nextFireAt").asText(), hourly.toString());

        triggers.pause("noon").await(10, TimeUnit.SECONDS);
        ObjectNode resumed = triggers.resume("noon").await(10, TimeUnit.SECONDS);
        assertEquals("2031-03-01T12:00:00Z", resumed.path("nextFireAt").asText(), resumed.toString());
    }

    @Test
    void theFiringsMissedWhileDownAreTheOnesBeforeTheClocksNow() throws Exception {
        // Stored five minutes before T and not fired since: at T, 07:55 to 08:00 were missed; catch-up all (3) fires the newest three.
        ObjectNode body = schedule("minutely", "every", "PT1M");
        ((ObjectNode) body.path("schedule")).put("catchUp", "all").put("catchUpLimit", 3);
        Instant stored = T.minus(Duration.ofMinutes(5));
        MemoryTriggerStore store = new MemoryTriggerStore();
        store.insert(new StoredTrigger(TriggerSpec.parse(body, stored), false, new FiringState(stored, null, null)));

        triggers = Triggers.start(vertx, orchestrator, store, null, CLOCK).await(10, TimeUnit.SECONDS);
        JsonNode state = await(() -> triggers.get("minutely").toCompletionStage().toCompletableFuture().join(),
                t -> t.path("firings").path("started").asInt() >= 3, "three catch-up firings");
        assertEquals(3, state.path("firings").path("started").asInt(), state.toString());
        assertEquals(T.toString(), state.path("lastFiredAt").asText(), state.toString());
        assertEquals(T.plus(Duration.ofMinutes(1)).toString(), state.path("nextFireAt").asText(), state.toString());
        Set<String> keys = journal.runs(new RunQuery(null, 100, null)).runs().stream().map(RunRecord::idempotencyKey)
                .collect(Collectors.toSet());
        assertEquals(Set.of("trigger:minutely@2031-03-01T07:58:00Z", "trigger:minutely@2031-03-01T07:59:00Z",
                "trigger:minutely@2031-03-01T08:00:00Z"), keys);
    }

    @Test
    void anEventArrivesAndAWebhookTimestampIsFreshByTheClock() throws Exception {
        triggers = Triggers.start(vertx, orchestrator, new MemoryTriggerStore(), null, CLOCK).await(10, TimeUnit.SECONDS);
        ObjectNode body = Json.object();
        body.put("name", "hook");
        body.put("goal", "on event");
        body.putObject("event");
        body.set("plan", Json.parse(PLAN));
        triggers.create(body).await(10, TimeUnit.SECONDS);
        triggers.event("hook", "{\"x\": 1}".getBytes(StandardCharsets.UTF_8), new Signatures.Headers(null, null, null, false),
                "ev-1", Triggers.Sender.OPERATOR).await(10, TimeUnit.SECONDS);
        JsonNode hook = triggers.get("hook").await(10, TimeUnit.SECONDS);
        assertEquals(T.toString(), hook.path("lastFiredAt").asText(), hook.toString());

        Signatures signatures = triggers.signatures();
        assertDoesNotThrow(() -> signatures.check(new Signatures.Headers("e", Long.toString(T.getEpochSecond()), "v1,x", false)));
        String systemNow = Long.toString(Instant.now().getEpochSecond());
        assertThrows(BadSignature.class, () -> signatures.check(new Signatures.Headers("e", systemNow, "v1,x", false)));
    }

    private static <T> T await(Supplier<T> read, java.util.function.Predicate<T> done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        T value = read.get();
        while (!done.test(value)) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + "; last: " + value);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            value = read.get();
        }
        return value;
    }
}
