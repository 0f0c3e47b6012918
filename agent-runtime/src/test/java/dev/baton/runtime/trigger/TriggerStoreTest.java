package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.journal.MemoryJournal;
import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The three trigger stores keep the same things the same way: H2 (across a reopen), PostgreSQL and memory. */
class TriggerStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    /** The state the contract leaves "nightly" in: one firing pending. */
    private static final FiringState LAST = new FiringState(T0.plusSeconds(2100), T0.plusSeconds(900), "r_3", List.of(T0.plusSeconds(1800)));

    static TriggerSpec spec(String name, boolean event) throws Exception {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("goal", "g " + name);
        if (event) {
            ObjectNode e = body.putObject("event");
            e.put("secret", "0123456789abcdef-secret");
            e.putObject("inputMapping").put("id", "$.ticket[\"id\"]");
        } else {
            ObjectNode s = body.putObject("schedule");
            s.put("cron", "0 */5 * * * *");
            s.put("timeZone", "Europe/Berlin");
            s.put("catchUp", "all");
            s.put("catchUpLimit", 7);
            s.put("overlap", "queue");
        }
        body.set("plan", Json.parse("{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}"));
        body.putObject("input").put("x", 1);
        return TriggerSpec.parse(body, T0);
    }

    static void contract(TriggerStore store) throws Exception {
        TriggerSpec cron = spec("nightly", false);
        TriggerSpec hook = spec("hook", true);
        assertTrue(store.insert(new StoredTrigger(cron, false, new FiringState(T0.plusSeconds(300), null, null))));
        assertTrue(store.insert(new StoredTrigger(hook, false, new FiringState(null, null, null))));
        assertFalse(store.insert(new StoredTrigger(cron, true, new FiringState(null, null, null))), "a second 'nightly'");

        store.saveStates(Map.of("nightly", new FiringState(T0.plusSeconds(600), T0.plusSeconds(300), "r_1"),
                "deleted-meanwhile", new FiringState(T0, T0, "r_0")));
        assertTrue(store.setPaused("hook", true, new FiringState(null, T0, "r_2")));
        assertFalse(store.setPaused("nope", true, new FiringState(null, null, null)));

        List<StoredTrigger> all = store.all();
        assertEquals(List.of("hook", "nightly"), all.stream().map(t -> t.spec().name()).toList());
        StoredTrigger h = all.get(0);
        StoredTrigger n = all.get(1);
        assertTrue(h.paused());
        assertEquals(new FiringState(null, T0, "r_2"), h.state());
        assertEquals("0123456789abcdef-secret", h.spec().event().secret());
        assertEquals("$.ticket[\"id\"]", h.spec().event().inputMapping().get("id").toString());
        assertFalse(n.paused());
        assertEquals(new FiringState(T0.plusSeconds(600), T0.plusSeconds(300), "r_1"), n.state());
        assertEquals(cron.toJson(true), n.spec().toJson(true));
        assertEquals(T0, n.spec().createdAt());
        assertEquals(TriggerSpec.Overlap.QUEUE, n.spec().schedule().overlap());
        assertEquals(7, n.spec().schedule().catchUpLimit());

        // Pending firings: saved, replaced, kept in order, and cleared again.
        List<Instant> pending = List.of(T0.plusSeconds(900), T0.plusMillis(600_123), T0.plusSeconds(1200));
        store.saveStates(Map.of("nightly", new FiringState(T0.plusSeconds(1500), T0.plusSeconds(300), "r_1", pending)));
        FiringState saved = find(store, "nightly").state();
        assertEquals(List.of(T0.plusMillis(600_123), T0.plusSeconds(900), T0.plusSeconds(1200)), saved.pending(), "sorted, to the millisecond");
        assertEquals(T0.plusSeconds(1500), saved.nextFireAt());
        assertTrue(store.setPaused("nightly", true, new FiringState(null, T0.plusSeconds(300), "r_1", List.of(T0.plusSeconds(900)))));
        assertEquals(List.of(T0.plusSeconds(900)), find(store, "nightly").state().pending());
        assertTrue(store.setPaused("nightly", false, new FiringState(T0.plusSeconds(1800), T0.plusSeconds(900), "r_3")));
        assertEquals(new FiringState(T0.plusSeconds(1800), T0.plusSeconds(900), "r_3", List.of()), find(store, "nightly").state());
        TriggerSpec claimedAtBirth = spec("born-pending", false);
        assertTrue(store.insert(new StoredTrigger(claimedAtBirth, false, new FiringState(T0, null, null, List.of(T0.minusSeconds(1))))));
        assertEquals(List.of(T0.minusSeconds(1)), find(store, "born-pending").state().pending());
        assertTrue(store.delete("born-pending"));
        store.saveStates(Map.of("nightly", LAST));

        assertTrue(store.delete("hook"));
        assertFalse(store.delete("hook"));
        assertEquals(1, store.all().size());
    }

    private static StoredTrigger find(TriggerStore store, String name) {
        return store.all().stream().filter(t -> t.spec().name().equals(name)).findFirst().orElseThrow();
    }

    /** A trigger table from before {@code pending}: opening the journal adds the column, and its rows have nothing pending. */
    static void migratesATableWithoutPending(String url, Path dataDir) throws Exception {
        TriggerSpec cron = spec("old", false);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE baton_triggers (name VARCHAR(100) NOT NULL PRIMARY KEY, definition VARCHAR NOT NULL, "
                    + "paused BOOLEAN NOT NULL, next_fire_at_ms BIGINT, last_fired_at_ms BIGINT, last_run_id VARCHAR(255), "
                    + "created_at_ms BIGINT NOT NULL)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO baton_triggers VALUES ('old', ?, false, ?, NULL, 'r_9', ?)")) {
                ps.setString(1, cron.toJson(true).toString());
                ps.setLong(2, T0.toEpochMilli());
                ps.setLong(3, T0.toEpochMilli());
                ps.executeUpdate();
            }
        }
        for (int open = 0; open < 2; open++) { // the second open finds the column there already
            try (Journal journal = Journals.open(url, dataDir)) {
                TriggerStore store = TriggerStore.forJournal(journal);
                assertEquals(new FiringState(T0, null, "r_9", List.of()), find(store, "old").state());
                store.saveStates(Map.of("old", new FiringState(T0.plusSeconds(300), T0, "r_9", List.of(T0))));
                assertEquals(List.of(T0), find(store, "old").state().pending());
                store.saveStates(Map.of("old", new FiringState(T0, null, "r_9", List.of())));
            }
        }
    }

    @Test
    void memory() throws Exception {
        assertInstanceOf(MemoryTriggerStore.class, TriggerStore.forJournal(new MemoryJournal()));
        contract(new MemoryTriggerStore());
    }

    @Test
    void h2KeepsItAcrossAReopen(@TempDir Path dir) throws Exception {
        try (Journal journal = Journals.open("", dir)) {
            TriggerStore store = TriggerStore.forJournal(journal);
            assertInstanceOf(JdbcTriggerStore.class, store);
            contract(store);
        }
        try (Journal journal = Journals.open("", dir)) {
            List<StoredTrigger> all = TriggerStore.forJournal(journal).all();
            assertEquals(1, all.size());
            assertEquals(LAST, all.get(0).state(), "pending too survives the reopen");
            assertNull(all.get(0).spec().event());
        }
    }

    @Test
    void postgres() throws Exception {
        try (PostgresTestDatabase db = PostgresTestDatabase.create(); Journal journal = Journals.open(db.url(), null)) {
            contract(TriggerStore.forJournal(journal));
        }
    }

    @Test
    void h2AddsThePendingColumnToAnOlderTable(@TempDir Path dir) throws Exception {
        migratesATableWithoutPending("jdbc:h2:file:" + dir.resolve("old"), dir);
    }

    @Test
    void postgresAddsThePendingColumnToAnOlderTable() throws Exception {
        try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
            migratesATableWithoutPending(db.url(), null);
        }
    }

    @Test
    void pendingIsNeverNullAndAlwaysSorted() {
        assertEquals(List.of(), new FiringState(T0, null, null, null).pending());
        assertEquals(List.of(T0, T0.plusSeconds(1)), new FiringState(T0, null, null, List.of(T0.plusSeconds(1), T0)).pending());
    }
}
