package dev.baton.triage.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.baton.triage.LabelledExample;
import dev.baton.triage.TriageFixtures;

class LongTicketsTest {

    private static final List<LabelledExample> EXAMPLES = TriageFixtures.slice(0, 5);

    @Test
    void everyRequestIsInItsBodyVerbatimWithItsCategory() {
        List<LongTickets.LongTicket> tickets = LongTickets.of(EXAMPLES, 7);
        assertEquals(EXAMPLES.size(), tickets.size());
        for (int i = 0; i < tickets.size(); i++) {
            LongTickets.LongTicket t = tickets.get(i);
            assertEquals(EXAMPLES.get(i).text(), t.query());
            assertEquals(EXAMPLES.get(i).category(), t.category());
            assertTrue(t.ticket().body().contains(t.query()), () -> "the request is in the body: " + t);
        }
    }

    @Test
    void lengthsAreInRangeAndVaried() {
        List<LongTickets.LongTicket> tickets = LongTickets.of(EXAMPLES, 7);
        var stats = tickets.stream().mapToInt(t -> t.ticket().joined().length()).summaryStatistics();
        assertTrue(stats.getMin() >= LongTickets.MIN_CHARS, "shortest " + stats.getMin());
        assertTrue(stats.getMax() <= LongTickets.MAX_CHARS, "longest " + stats.getMax());
        assertTrue(stats.getMax() > 2_500 && stats.getMin() < 1_000, "short and long ones: " + stats);
    }

    @Test
    void positionsAndQuotesVary() {
        List<LongTickets.LongTicket> tickets = LongTickets.of(EXAMPLES, 7);
        assertEquals(EnumSet.allOf(LongTickets.Position.class),
                tickets.stream().map(LongTickets.LongTicket::position).collect(Collectors.toCollection(() -> EnumSet.noneOf(LongTickets.Position.class))));
        assertEquals(EnumSet.allOf(LongTickets.Quote.class),
                tickets.stream().map(LongTickets.LongTicket::quote).collect(Collectors.toCollection(() -> EnumSet.noneOf(LongTickets.Quote.class))));
        for (LongTickets.LongTicket t : tickets) {
            String body = t.ticket().body();
            int at = body.indexOf(t.query());
            // where the request is: START has no filler paragraph before it, END none after it (before the sign-off)
            if (t.position() == LongTickets.Position.END) assertTrue(at > body.length() / 4 || body.length() < 600, t::toString);
        }
        Set<String> subjects = tickets.stream().map(t -> t.ticket().subject()).collect(Collectors.toSet());
        assertTrue(subjects.size() > 10, "subjects vary: " + subjects);
        assertTrue(subjects.contains(""), "some tickets have no subject");
    }

    @Test
    void anOtherCategoryQuoteQuotesAnotherCategorysExample() {
        for (LongTickets.LongTicket t : LongTickets.of(EXAMPLES, 7)) {
            if (t.quote() != LongTickets.Quote.OTHER_CATEGORY) continue;
            String body = t.ticket().body();
            boolean quotesOther = EXAMPLES.stream().anyMatch(e -> !e.category().equals(t.category())
                    && body.contains(e.text()));
            assertTrue(quotesOther, t::toString);
        }
    }

    @Test
    void theSameSeedGivesTheSameTicketsAnotherSeedOthers() {
        assertEquals(LongTickets.of(EXAMPLES, 7), LongTickets.of(EXAMPLES, 7));
        assertNotEquals(LongTickets.of(EXAMPLES, 7), LongTickets.of(EXAMPLES, 8));
    }

    @Test
    void oneCategoryIsRefused() {
        List<LabelledExample> one = List.of(new LabelledExample("a", "x"), new LabelledExample("b", "x"));
        assertThrows(IllegalArgumentException.class, () -> LongTickets.of(one, 1));
    }
}
