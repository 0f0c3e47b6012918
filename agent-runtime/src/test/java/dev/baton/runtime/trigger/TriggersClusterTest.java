package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.runtime.testing.PostgresTestDatabase;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several nodes (each its own Vert.x, journal pool, orchestrator and scheduler) on one fresh
 * PostgreSQL database, as servers sharing {@code BATON_DB_URL} are: a schedule every second fires
 * each due time on one node only, goes on firing when a node stops, and a trigger created through
 * one node fires on another. Before issue 13 every node fired every due time (the run's idempotency
 * key made the repeats replays, each still reported as a firing) and a node never saw a trigger
 * created through another one.
 */
class TriggersClusterTest {
    private static final Duration AWAIT = Duration.ofSeconds(40);

    private PostgresTestDatabase db;
    /** Lets a hung node's held claim go, at the end. */
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    private final List<Node> nodes = new ArrayList<>();

    /** One server's worth of what fires triggers; its firings as it reports them. */
    private final class Node implements AutoCloseable {
        final String name;
        final Vertx vertx = Vertx.vertx();
        final Journal journal = Journals.open(db.url(), null);
        final Orchestrator orchestrator;
        final Triggers triggers;
        final ConcurrentLinkedQueue<Triggers.Firing> firings = new ConcurrentLinkedQueue<>();
        boolean closed;

        Node(String name) throws Exception {
            this(name, store -> store);
        }

        Node(String name, java.util.function.UnaryOperator<TriggerStore> store) throws Exception {
            this.name = name;
            orchestrator = Orchestrator.start(vertx, journal, OrchestratorHarness.builtinTools(), OrchestratorOptions.defaults())
                    .await(30, TimeUnit.SECONDS);
            triggers = Triggers.start(vertx, orchestrator, store.apply(TriggerStore.forJournal(journal)), null,
                            orchestrator.options().clock())
                    .await(30, TimeUnit.SECONDS);
            triggers.onFiring(firings::add);
            nodes.add(this);
        }

        @Override
        public void close() throws Exception {
            if (closed) return;
            closed = true;
            triggers.close();
            orchestrator.close();
            vertx.close().await(10, TimeUnit.SECONDS);
            journal.close();
        }
    }

    @BeforeEach
    void database() {
        db = PostgresTestDatabase.create();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (Node n : nodes) n.close();
        if (db != null) db.close();
    }

    private static ObjectNode everySecond(String name) throws Exception {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "fire " + name);
        body.putObject("schedule").put("every", "PT1S");
        body.set("plan", Json.parse("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        return body;
    }

    /** Every firing any node reported, by scheduled time, with the nodes that reported it. */
    private Map<Instant, List<String>> firedBy() {
        Map<Instant, List<String>> by = new TreeMap<>();
        for (Node n : nodes) {
            for (Triggers.Firing f : n.firings) by.computeIfAbsent(Instant.ofEpochMilli(f.scheduledAtMs()), t -> new ArrayList<>()).add(n.name);
        }
        return by;
    }

    /** A future's value, for a condition that a test waits on. */
    private static <T> T now(io.vertx.core.Future<T> future) {
        return future.toCompletionStage().toCompletableFuture().join();
    }

    private int fired() {
        return firedBy().size();
    }

    /** The runs the trigger started, by the scheduled time in their idempotency key. */
    private Map<Instant, Long> runsByTime(String trigger) {
        String prefix = "trigger:" + trigger + "@";
        Node live = nodes.stream().filter(n -> !n.closed).findFirst().orElseThrow();
        return live.journal.runs(new RunQuery(null, 500, null)).runs().stream()
                .map(RunRecord::idempotencyKey)
                .filter(k -> k != null && k.startsWith(prefix))
                .collect(Collectors.groupingBy(k -> Instant.parse(k.substring(prefix.length())).truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                        TreeMap::new, Collectors.counting()));
    }

    /**
     * Each time fired by one node, and no time skipped between the first and the last but one
     * (the newest may still be on its way on some node).
     */
    private void assertEachDueTimeOnce(Map<Instant, List<String>> by) {
        for (Map.Entry<Instant, List<String>> e : by.entrySet()) {
            assertEquals(1, e.getValue().size(), "the time " + e.getKey() + " fired on " + e.getValue() + "; all: " + by);
        }
        List<Instant> times = new ArrayList<>(by.keySet());
        for (int i = 1; i < times.size() - 1; i++) {
            assertEquals(Duration.ofSeconds(1), Duration.between(times.get(i - 1), times.get(i)), "a due time was skipped: " + by);
        }
    }

    /**
     * No node attempted a firing that another node made: such a second attempt ends as a replay or, when the
     * two submits race, as a run the journal refuses (its idempotency key is unique), counted as a failed firing.
     */
    private void assertNoSecondAttempts() {
        long failed = 0;
        for (Node n : nodes) if (!n.closed) failed += now(n.triggers.totals()).failed();
        assertEquals(0, failed, "firings that failed on some node (a second attempt of a time another node fired)");
    }

    @Test
    void threeNodesFireEachDueTimeOnce() throws Exception {
        Node a = new Node("a");
        a.triggers.create(everySecond("tick")).await(10, TimeUnit.SECONDS);
        // b and c find it at their start (so that even a scheduler without reloads would have it)
        new Node("b");
        new Node("c");
        Await.until("five firings", AWAIT, this::fired, n -> n >= 5);
        Map<Instant, List<String>> by = firedBy();
        assertEachDueTimeOnce(by);
        // A figure, not an assertion: from a due time to its run durable, claim included, across the three nodes.
        List<Long> lateness = nodes.stream().flatMap(n -> n.firings.stream()).map(f -> f.durableAtMs() - f.scheduledAtMs()).sorted().toList();
        System.out.println("due time to run durable on 3 nodes (ms, sorted): " + lateness);
        Map<Instant, Long> runs = runsByTime("tick");
        for (Instant at : by.keySet()) assertEquals(1L, runs.get(at), "runs of " + at + ": " + runs);
        assertNoSecondAttempts();
    }

    @Test
    void whenANodeStopsTheOthersFireEveryDueTimeOnce() throws Exception {
        Node a = new Node("a");
        Node b = new Node("b");
        a.triggers.create(everySecond("tock")).await(10, TimeUnit.SECONDS);
        Await.until("three firings", AWAIT, this::fired, n -> n >= 3);
        a.close();
        Instant stopped = Instant.now();
        Await.until("four firings after a stopped", AWAIT,
                () -> b.firings.stream().filter(f -> f.scheduledAtMs() > stopped.toEpochMilli()).count(), n -> n >= 4);
        Map<Instant, List<String>> by = firedBy();
        assertEachDueTimeOnce(by);
        Map<Instant, Long> runs = runsByTime("tock");
        for (Instant at : by.keySet()) assertEquals(1L, runs.get(at), "runs of " + at + ": " + runs);
        assertNoSecondAttempts();
    }

    @Test
    void aTriggerCreatedThroughOneNodeFiresOnAnotherOnceItStopped() throws Exception {
        Node a = new Node("a");
        Node b = new Node("b");
        a.triggers.create(everySecond("handed-over")).await(10, TimeUnit.SECONDS);
        a.close();
        Await.until("b to fire what was created on a", AWAIT, () -> b.firings.size(), n -> n >= 2);
        // and b shows it, as a did
        assertEquals("handed-over", b.triggers.get("handed-over").await(10, TimeUnit.SECONDS).path("name").asText());
    }

    @Test
    void pausingAndDeletingThroughOneNodeStopsEveryNode() throws Exception {
        Node a = new Node("a");
        Node b = new Node("b");
        a.triggers.create(everySecond("stop-me")).await(10, TimeUnit.SECONDS);
        // Answered through b at once, not only after b's next look.
        assertEquals("stop-me", b.triggers.get("stop-me").await(10, TimeUnit.SECONDS).path("name").asText());
        a.triggers.pause("stop-me").await(10, TimeUnit.SECONDS);
        assertTrue(b.triggers.get("stop-me").await(10, TimeUnit.SECONDS).path("paused").asBoolean(), "b answers with a's pause");
        int before = fired();
        b.triggers.resume("stop-me").await(10, TimeUnit.SECONDS);
        Await.until("a firing after b resumed it", AWAIT, this::fired, n -> n > before);
        b.triggers.delete("stop-me").await(10, TimeUnit.SECONDS);
        assertEquals(0, a.triggers.list(true).await(10, TimeUnit.SECONDS).size(), "a answers with b's delete");
        int afterDelete = fired();
        // and neither node fires it any more (two more due times pass)
        Instant later = Instant.now().plusMillis(2500);
        Await.until("two more due times", AWAIT, Instant::now, t -> t.isAfter(later));
        assertTrue(fired() <= afterDelete + 1, "fired after the delete: " + firedBy()); // one may have been under way
        assertTrue(runsByTime("stop-me").values().stream().allMatch(n -> n == 1), runsByTime("stop-me").toString());
    }

    @Test
    void aNodeHungAfterClaimingLeavesTheFiringToAnotherOnceItsClaimLapses() throws Exception {
        List<Instant> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        // a's store hangs (like a process stopped dead) once a claim of its has committed: the firing is claimed, not started,
        // and a renews nothing from then on.
        Node a = new Node("a", store -> new HangingStore(store, held, release));
        Node b = new Node("b");
        a.triggers.create(everySecond("orphan")).await(10, TimeUnit.SECONDS);
        Await.until("a to claim a firing and hang", AWAIT, held::size, n -> n >= 1);
        Instant orphan = held.get(0).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        Await.until("b to fire the time a claimed (after a's claim lapsed)", AWAIT,
                () -> b.firings.stream().anyMatch(f -> f.scheduledAtMs() == orphan.toEpochMilli()), fired -> fired);
        Await.until("b to fire three more times", AWAIT,
                () -> b.firings.stream().filter(f -> f.scheduledAtMs() > orphan.toEpochMilli()).count(), n -> n >= 3);
        Map<Instant, List<String>> by = firedBy();
        assertEachDueTimeOnce(by);
        assertEquals(List.of("b"), by.get(orphan), by.toString());
        Map<Instant, Long> runs = runsByTime("orphan");
        for (Instant at : by.keySet()) assertEquals(1L, runs.get(at), "runs of " + at + ": " + runs);
    }

    /** A store that hangs after the first claim that won, until released. */
    private static final class HangingStore implements TriggerStore {
        private final TriggerStore store;
        private final List<Instant> held;
        private final java.util.concurrent.CountDownLatch release;

        HangingStore(TriggerStore store, List<Instant> held, java.util.concurrent.CountDownLatch release) {
            this.store = store;
            this.held = held;
            this.release = release;
        }

        @Override
        public List<ClaimResult> claim(List<ClaimRequest> requests, String node, long untilMs) {
            List<ClaimResult> results = store.claim(requests, node, untilMs);
            for (int i = 0; i < requests.size(); i++) if (results.get(i).won()) held.addAll(requests.get(i).times());
            if (!held.isEmpty()) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return results;
        }

        @Override public List<StoredTrigger> all() { return store.all(); }
        @Override public boolean insert(StoredTrigger trigger) { return store.insert(trigger); }
        @Override public boolean setPaused(String name, boolean paused, FiringState state) { return store.setPaused(name, paused, state); }
        @Override public boolean delete(String name) { return store.delete(name); }
        @Override public void saveStates(Map<String, FiringState> states) { store.saveStates(states); }
        @Override public boolean shared() { return store.shared(); }
        @Override public long changes() { return store.changes(); }
        @Override public void progress(Map<String, Progress> progress) { store.progress(progress); }
        @Override public boolean pause(String name, boolean paused, Instant next, java.util.Collection<Instant> dropped) {
            return store.pause(name, paused, next, dropped);
        }
        @Override public Map<String, List<Instant>> renewAndTakeOver(String node, Map<String, java.util.Set<Instant>> held, long untilMs,
                                                                     long nowMs) {
            return store.renewAndTakeOver(node, held, untilMs, nowMs);
        }
        @Override public void release(String node) { store.release(node); }
    }
}
