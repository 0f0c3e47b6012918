package dev.baton.runtime.journal;

import dev.baton.runtime.testing.PostgresTestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A notification is claimed by one sender before it is sent: of two senders that saw it due, one
 * takes it; a claim that was never followed by an outcome (its sender died) ends, and the message is
 * due again for another. On PostgreSQL, two outboxes (two nodes' pools) on one database.
 */
class NotificationOutboxClaimTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    static void claimsOnce(NotificationOutbox one, NotificationOutbox other) {
        assertTrue(one.add("r", "k1", "http://127.0.0.1/hook", "{}", T0));
        NotificationOutbox.Message seen = one.due(T0, 10).get(0);
        NotificationOutbox.Message seenByOther = other.due(T0, 10).get(0);
        assertTrue(one.claim(seen, T0.plusSeconds(30)));
        assertFalse(other.claim(seenByOther, T0.plusSeconds(30)), "the other sender saw it due too, but it is taken");
        assertTrue(other.due(T0.plusSeconds(29), 10).isEmpty(), "held while its claim lasts");

        // The sender died without an outcome: once the claim is over the message is due again, with its attempts as they were.
        List<NotificationOutbox.Message> again = other.due(T0.plusSeconds(30), 10);
        assertEquals(1, again.size());
        assertEquals(0, again.get(0).attempts());
        assertTrue(other.claim(again.get(0), T0.plusSeconds(60)));
        other.sent("r", "k1", 1, T0.plusSeconds(31));
        assertFalse(one.claim(again.get(0), T0.plusSeconds(90)), "a sent message is nobody's to claim");
        assertEquals(NotificationOutbox.SENT, one.find("r", "k1").orElseThrow().status());
    }

    @Test
    void memory() {
        NotificationOutbox outbox = new MemoryJournal().outbox();
        claimsOnce(outbox, outbox);
    }

    @Test
    void h2(@TempDir Path dir) {
        try (Journal journal = Journals.open("", dir)) {
            claimsOnce(journal.outbox(), journal.outbox());
        }
    }

    @Test
    void twoNodesOnPostgres() throws Exception {
        try (PostgresTestDatabase db = PostgresTestDatabase.create();
             Journal a = Journals.open(db.url(), null);
             Journal b = Journals.open(db.url(), null)) {
            claimsOnce(a.outbox(), b.outbox());

            // 200 messages, two senders racing through the same due list: each message is claimed by exactly one.
            Instant now = T0.plusSeconds(100);
            for (int i = 0; i < 200; i++) a.outbox().add("race", "k" + i, "http://127.0.0.1/hook", "{}", now);
            Map<String, String> claimedBy = new ConcurrentHashMap<>();
            List<String> twice = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> senders = new ArrayList<>();
                for (Journal j : List.of(a, b)) {
                    String name = j == a ? "a" : "b";
                    senders.add(pool.submit(() -> {
                        for (NotificationOutbox.Message m : j.outbox().due(now, 500)) {
                            if (!m.rule().equals("race")) continue;
                            if (j.outbox().claim(m, now.plusSeconds(30)) && claimedBy.putIfAbsent(m.eventKey(), name) != null) {
                                twice.add(m.eventKey());
                            }
                        }
                    }));
                }
                for (Future<?> f : senders) f.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertEquals(List.of(), twice, "claimed by both");
            assertEquals(200, claimedBy.size(), "every message claimed by one of them");
        }
    }
}
