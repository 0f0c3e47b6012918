package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The first look's rule as a table: out-of-fold shares and rightness in, the threshold out. */
class FirstLookTest {

    /** Rows: share, first look right (1/0), whole recipe right (1/0); then the cost allowed and the threshold expected. */
    static Stream<Arguments> cases() {
        return Stream.of(
                // both always right: the first look answers everything, down to its lowest share
                Arguments.of(new double[] {0.9, 0.7, 0.5}, "111", "111", 0.0, 0.5),
                // the first look is wrong only at its lowest share, where the whole recipe is right
                Arguments.of(new double[] {0.9, 0.7, 0.5}, "110", "111", 0.0, 0.7),
                // ... unless a third of the accuracy may go
                Arguments.of(new double[] {0.9, 0.7, 0.5}, "110", "111", 0.34, 0.5),
                // wrong at the top where the whole recipe is right: never within a zero cost...
                Arguments.of(new double[] {0.99, 0.8, 0.6}, "011", "111", 0.0, Double.POSITIVE_INFINITY),
                // ... but a first look right below that makes up for it (the cost counts over all above)
                Arguments.of(new double[] {0.99, 0.8, 0.6}, "011", "110", 0.0, 0.6),
                // both wrong on a row costs nothing: the whole recipe would not have done better
                Arguments.of(new double[] {0.95, 0.9}, "10", "10", 0.0, 0.9),
                // equal shares go together: the threshold never splits them
                Arguments.of(new double[] {0.9, 0.8, 0.8}, "101", "111", 0.0, 0.9),
                // nothing to learn from: never
                Arguments.of(new double[] {}, "", "", 0.01, Double.POSITIVE_INFINITY));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void choosesTheLowestShareWithinTheAccuracyCost(double[] share, String first, String whole, double cost, double expected) {
        assertEquals(expected, FirstLook.choose(share, bits(first), bits(whole), cost).threshold());
    }

    @Test
    void theOrderOfTheExamplesDoesNotMatter() {
        double[] share = {0.5, 0.9, 0.7};
        assertEquals(0.7, FirstLook.choose(share, bits("011"), bits("111"), 0.0).threshold());
    }

    @Test
    void sureMeansTheTopProbabilityReachesTheThreshold() {
        FirstLook look = new FirstLook(0.9);
        assertTrue(look.sure(new double[] {0.05, 0.9, 0.05}));
        assertFalse(look.sure(new double[] {0.2, 0.89, 0.01}));
        assertFalse(FirstLook.NEVER.sure(new double[] {1.0}));
    }

    @Test
    void refusesArraysOfDifferentLengths() {
        assertThrows(IllegalArgumentException.class, () -> FirstLook.choose(new double[] {0.5}, bits("1"), bits("10"), 0));
    }

    private static boolean[] bits(String s) {
        boolean[] out = new boolean[s.length()];
        for (int i = 0; i < out.length; i++) out[i] = s.charAt(i) == '1';
        return out;
    }
}
