package dev.baton.plan;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SuggestionsTest {

    @Test
    void distanceCountsEditsAndTranspositions() {
        assertEquals(0, Suggestions.distance("abc", "abc", 3));
        assertEquals(1, Suggestions.distance("clasify", "classify", 3));
        assertEquals(1, Suggestions.distance("lookpu", "lookup", 3));
        assertEquals(3, Suggestions.distance("kitten", "sitting", 5));
        assertEquals(3, Suggestions.distance("kitten", "sitting", 2), "stops at max + 1");
    }

    @Test
    void closestIsCaseInsensitiveAndBounded() {
        List<String> known = List.of("classify", "customer", "route", "cool-off");
        assertEquals(Optional.of("classify"), Suggestions.closest("clasify", known));
        assertEquals(Optional.of("route"), Suggestions.closest("Route", known));
        assertEquals(Optional.of("customer"), Suggestions.closest("custmer", known));
        assertEquals(Optional.empty(), Suggestions.closest("deliver", known));
        assertEquals(Optional.empty(), Suggestions.closest("ab", List.of("xy")), "short names allow one edit only");
    }

    @Test
    void firstOfEquallyCloseNamesWins() {
        assertEquals(Optional.of("cat"), Suggestions.closest("bat", List.of("cat", "hat")));
    }
}
