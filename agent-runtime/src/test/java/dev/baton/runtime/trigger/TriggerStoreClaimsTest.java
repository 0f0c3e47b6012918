package dev.baton.runtime.trigger;

import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What several schedulers rely on, the same in every store: a claim is a compare-and-set of the next
 * time (to the millisecond), claimed times are held, renewed, let go of and taken over, progress
 * removes finished times and keeps the newest firing, and definition changes move the counter.
 */
class TriggerStoreClaimsTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private static final long NOW = T0.toEpochMilli();

    static void claims(TriggerStore store) throws Exception {
        long changes = store.changes();
        assertTrue(store.insert(new StoredTrigger(TriggerStoreTest.spec("s", false), false, new FiringState(T0, null, null))));
        assertTrue(store.changes() > changes, "an insert moves the counter");

        // a and b both saw T0 due: a's claim comes first; b learns the stored next time instead.
        Instant t1 = T0.plusSeconds(300);
        TriggerStore.ClaimResult a = store.claim(List.of(new TriggerStore.ClaimRequest("s", T0.plusNanos(123_456), t1, List.of(T0))),
                "a", NOW + 5000).get(0);
        assertTrue(a.won(), "the same time to the millisecond");
        TriggerStore.ClaimResult b = store.claim(List.of(new TriggerStore.ClaimRequest("s", T0, t1, List.of(T0))), "b", NOW + 5000).get(0);
        assertFalse(b.won());
        assertTrue(b.exists());
        assertEquals(t1, b.next());
        assertEquals(List.of(T0), state(store).pending());

        // two claims of one trigger in one batch: the second sees the first's next time
        Instant t2 = t1.plusSeconds(300);
        List<TriggerStore.ClaimResult> both = store.claim(List.of(new TriggerStore.ClaimRequest("s", t1, t2, List.of(t1)),
                new TriggerStore.ClaimRequest("s", t2, t2.plusSeconds(300), List.of(t2)),
                new TriggerStore.ClaimRequest("gone", T0, t1, List.of(T0))), "a", NOW + 5000);
        assertTrue(both.get(0).won());
        assertTrue(both.get(1).won());
        assertFalse(both.get(2).exists(), "no such trigger");
        assertEquals(List.of(T0, t1, t2), state(store).pending());

        // a renews what it holds; b takes nothing while a's claims hold, and T0 (which a forgot) is a's to take again
        assertEquals(Map.of("s", List.of(T0)), store.renewAndTakeOver("a", Map.of("s", Set.of(t1, t2)), NOW + 10_000, NOW));
        assertEquals(Map.of(), store.renewAndTakeOver("b", Map.of(), NOW + 20_000, NOW + 9_000));
        // a dies: once its claims lapse, b takes them over
        assertEquals(Map.of("s", List.of(T0, t1, t2)), store.renewAndTakeOver("b", Map.of(), NOW + 20_000, NOW + 10_001));
        // b finishes two, fires T0's run; a clean stop lets go of the third at once
        store.progress(Map.of("s", new TriggerStore.Progress(List.of(T0, t1), T0, "r_1")));
        store.progress(Map.of("s", new TriggerStore.Progress(List.of(), T0.minusSeconds(1), "r_0"))); // older: ignored
        FiringState s = state(store);
        assertEquals(List.of(t2), s.pending());
        assertEquals(T0, s.lastFiredAt());
        assertEquals("r_1", s.lastRunId());
        store.release("b");
        assertEquals(Map.of("s", List.of(t2)), store.renewAndTakeOver("c", Map.of(), NOW + 30_000, NOW));

        // a pause drops the given times only and moves the counter; a paused trigger is claimed by nobody
        changes = store.changes();
        assertTrue(store.pause("s", true, null, List.of(t2)));
        assertTrue(store.changes() > changes);
        assertEquals(List.of(), state(store).pending());
        TriggerStore.ClaimResult paused = store.claim(List.of(new TriggerStore.ClaimRequest("s", null, t1, List.of())), "a", NOW).get(0);
        assertFalse(paused.won());
        assertTrue(paused.paused());
        assertFalse(store.pause("nope", true, null, List.of()));
        changes = store.changes();
        assertTrue(store.delete("s"));
        assertTrue(store.changes() > changes, "a delete moves the counter");
    }

    private static FiringState state(TriggerStore store) {
        return store.all().stream().filter(t -> t.spec().name().equals("s")).findFirst().orElseThrow().state();
    }

    @Test
    void memory() throws Exception {
        claims(new MemoryTriggerStore());
    }

    @Test
    void h2(@TempDir Path dir) throws Exception {
        try (Journal journal = Journals.open("", dir)) {
            TriggerStore store = TriggerStore.forJournal(journal);
            assertFalse(store.shared(), "H2 is one process's");
            claims(store);
        }
    }

    @Test
    void postgres() throws Exception {
        try (PostgresTestDatabase db = PostgresTestDatabase.create(); Journal journal = Journals.open(db.url(), null)) {
            TriggerStore store = TriggerStore.forJournal(journal);
            assertTrue(store.shared(), "PostgreSQL is shared by the nodes");
            claims(store);
        }
    }
}
