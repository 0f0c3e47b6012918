package dev.baton.runtime.journal;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The journal's interfaces, one per job, promise only what every journal does: no default method
 * that throws in place of a journal that lacks the job. The one default, {@link RunLog#ping()},
 * answers for a log with no database to lose.
 */
class JournalInterfacesTest {

    @Test
    void theOnlyDefaultMethodIsAPingThatAnswers() {
        Set<String> defaults = new TreeSet<>();
        for (Class<?> part : List.of(Journal.class, RunLog.class, RunIndex.class, TicketIndex.class, NotificationOutbox.class)) {
            for (Method m : part.getDeclaredMethods()) {
                if (m.isDefault()) defaults.add(part.getSimpleName() + "." + m.getName());
            }
        }
        assertEquals(Set.of("RunLog.ping"), defaults);
        try (MemoryJournal memory = new MemoryJournal()) {
            memory.ping(); // answers: nothing to lose
        }
    }

}
