package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReviewThresholdTest {

    /** Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson score). */
    @ParameterizedTest(name = "{0} of {1}: lower bound {2}")
    @CsvSource({
            "81, 263, 0.2553",
            "15, 148, 0.0624",
            "0, 20, 0.0000",
            "1, 29, 0.0061",
    })
    void theLowerBoundIsNewcombesWilsonInterval(int k, int n, double expected) {
        assertEquals(expected, ReviewThreshold.wilsonLowerBound(k, n, 1.959964), 0.00005);
    }

    @Test
    void atZeroStandardErrorsTheBoundIsThePointValue() {
        assertEquals(0.75, ReviewThreshold.wilsonLowerBound(3, 4, 0), 0);
        assertEquals(1.0, ReviewThreshold.wilsonLowerBound(7, 7, 0), 0);
    }

    @Test
    void allRightStillHasABoundUnderOneThatRisesWithTheCount() {
        double ten = ReviewThreshold.wilsonLowerBound(10, 10, 1);
        double thousand = ReviewThreshold.wilsonLowerBound(1000, 1000, 1);
        assertEquals(10.0 / 11, ten, 1e-12); // n / (n + z²) when every trial succeeds
        assertEquals(1000.0 / 1001, thousand, 1e-12);
    }

    /**
     * Confidences 0.99 down to 0.01 in steps of 0.01; wrong at the listed ranks (0-based). Expected: the
     * threshold at the point value (z = 0) and with one standard error (z = 1).
     */
    @ParameterizedTest(name = "wrong at {0}, target {1}: point {2}, margin {3}")
    @CsvSource({
            // nothing wrong: everything is routed, with a margin too
            "'', 0.9, 0.01, 0.01",
            // eleven wrong, thinning out towards the top: 81 of the first 90 (down to 0.10) are right, exactly 0.9;
            // one standard error under 61 of 65 (down to 0.35) is 0.9 or more, and under any longer run it is not
            "'20 40 50 60 65 70 75 80 85 90 95', 0.9, 0.10, 0.35",
            "'30 50 60 70 75 80 85 88 91 94 97', 0.9, 0.06, 0.20",
            // the wrong answers sit at the top: no threshold reaches 0.95
            "'0 1 2 3 4 5 6 7 8 9', 0.95, 1.0, 1.0",
            // a target above 1: never
            "'', 1.01, 1.0, 1.0",
    })
    void aThresholdIsTheLowestWhoseAcceptedPrecisionReachesTheTarget(String wrong, double target, double point, double margin) {
        double[] confidence = new double[99];
        boolean[] correct = new boolean[99];
        for (int i = 0; i < 99; i++) {
            confidence[i] = (99 - i) / 100.0;
            correct[i] = true;
        }
        if (!wrong.isBlank()) for (String r : wrong.trim().split(" ")) correct[Integer.parseInt(r)] = false;
        assertEquals(point, ReviewThreshold.choose(confidence, correct, target, 0), 1e-12);
        assertEquals(margin, ReviewThreshold.choose(confidence, correct, target, 1), 1e-12);
    }

    @Test
    void tiedConfidencesAreAcceptedOrRefusedTogether() {
        // the first three tie at 0.9 and one of them is wrong: 2/3 at 0.9, so 0.9 cannot be the threshold
        // for a target of 0.8 even though the first two alone would reach it
        double[] confidence = {0.9, 0.9, 0.9, 0.5};
        boolean[] correct = {true, true, false, false};
        assertEquals(1.0, ReviewThreshold.choose(confidence, correct, 0.8, 0));
        assertEquals(0.9, ReviewThreshold.choose(confidence, correct, 0.6, 0));
    }

    @Test
    void unsortedOrMismatchedInputIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> ReviewThreshold.choose(new double[] {0.5, 0.9}, new boolean[] {true, true}, 0.9, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ReviewThreshold.choose(new double[] {0.9}, new boolean[] {true, true}, 0.9, 0));
        assertThrows(IllegalArgumentException.class, () -> ReviewThreshold.wilsonLowerBound(3, 2, 1));
    }
}
