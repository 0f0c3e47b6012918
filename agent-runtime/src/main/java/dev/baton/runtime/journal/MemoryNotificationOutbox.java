package dev.baton.runtime.journal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The outbox of {@link MemoryJournal}: the same rules, nothing survives the process. */
final class MemoryNotificationOutbox implements NotificationOutbox {
    private final Map<String, Message> messages = new LinkedHashMap<>();

    private static String key(String rule, String eventKey) {
        return rule + '\u0000' + eventKey;
    }

    @Override
    public synchronized boolean add(String rule, String eventKey, String url, String body, Instant now) {
        return messages.putIfAbsent(key(rule, eventKey), new Message(rule, eventKey, url, body, PENDING, 0, now, now, null, null)) == null;
    }

    @Override
    public synchronized List<Message> due(Instant now, int limit) {
        List<Message> out = new ArrayList<>();
        for (Message m : messages.values()) if (m.status().equals(PENDING) && !m.nextAt().isAfter(now)) out.add(m);
        out.sort(Comparator.comparing(Message::nextAt).thenComparing(Message::createdAt));
        return out.size() > limit ? new ArrayList<>(out.subList(0, Math.max(1, limit))) : out;
    }

    @Override
    public synchronized boolean claim(Message seen, Instant until) {
        Message m = messages.get(key(seen.rule(), seen.eventKey()));
        if (m == null || !m.status().equals(PENDING) || !m.nextAt().equals(seen.nextAt()) || m.attempts() != seen.attempts()) return false;
        messages.put(key(m.rule(), m.eventKey()), new Message(m.rule(), m.eventKey(), m.url(), m.body(), m.status(), m.attempts(),
                m.createdAt(), until, m.sentAt(), m.lastError()));
        return true;
    }

    @Override
    public synchronized int dueNow(Instant now) {
        int made = 0;
        for (Map.Entry<String, Message> e : messages.entrySet()) {
            Message m = e.getValue();
            if (!m.status().equals(PENDING) || !m.nextAt().isAfter(now)) continue;
            e.setValue(new Message(m.rule(), m.eventKey(), m.url(), m.body(), m.status(), m.attempts(), m.createdAt(), now, m.sentAt(),
                    m.lastError()));
            made++;
        }
        return made;
    }

    @Override
    public synchronized Optional<Message> find(String rule, String eventKey) {
        return Optional.ofNullable(messages.get(key(rule, eventKey)));
    }

    @Override
    public synchronized void sent(String rule, String eventKey, int attempts, Instant at) {
        messages.computeIfPresent(key(rule, eventKey), (k, m) -> new Message(m.rule(), m.eventKey(), m.url(), m.body(), SENT, attempts,
                m.createdAt(), m.nextAt(), at, null));
    }

    @Override
    public synchronized void retryLater(String rule, String eventKey, int attempts, Instant nextAt, String error) {
        messages.computeIfPresent(key(rule, eventKey), (k, m) -> new Message(m.rule(), m.eventKey(), m.url(), m.body(), m.status(), attempts,
                m.createdAt(), nextAt, null, error));
    }

    @Override
    public synchronized void failed(String rule, String eventKey, int attempts, String error) {
        messages.computeIfPresent(key(rule, eventKey), (k, m) -> new Message(m.rule(), m.eventKey(), m.url(), m.body(), FAILED, attempts,
                m.createdAt(), m.nextAt(), null, error));
    }

    @Override
    public synchronized Map<String, Long> counts() {
        Map<String, Long> counts = new HashMap<>();
        for (Message m : messages.values()) counts.merge(m.status(), 1L, Long::sum);
        return counts;
    }
}
