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

        assertTrue(store.delete("hook"));
        assertFalse(store.delete("hook"));
        assertEquals(1, store.all().size());
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
            assertEquals("r_1", all.get(0).state().lastRunId());
            assertNull(all.get(0).spec().event());
        }
    }

    @Test
    void postgres() throws Exception {
        try (PostgresTestDatabase db = PostgresTestDatabase.create(); Journal journal = Journals.open(db.url(), null)) {
            contract(TriggerStore.forJournal(journal));
        }
    }
}
