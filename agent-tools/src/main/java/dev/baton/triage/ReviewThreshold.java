package dev.baton.triage;

/**
 * The confidence from which the classifier's answer is routed without a person: chosen from the
 * examples' out-of-fold predictions (each example predicted by a model that never saw it), never
 * from an evaluation split.
 *
 * <p>The lowest confidence at which the out-of-fold answers at or above it are right at the target
 * rate <em>with {@link #MARGIN} standard error to spare</em>: the lower end of their precision's
 * Wilson score interval reaches the target. The point value alone (precision exactly at the target
 * on the examples) lands on either side of the target on new tickets about as often, by the luck of
 * which examples were near the threshold: on 300 random 80/20 splits of BANKING77's out-of-fold
 * predictions it left the held-out precision under 0.98 in 51% of them, one standard error in 32%,
 * for 0.8 points more sent to review (docs/tickets.md, "The review threshold").
 */
final class ReviewThreshold {

    /** Standard errors of the out-of-fold precision kept in hand (the Wilson interval's z). */
    static final double MARGIN = 1.0;

    private ReviewThreshold() {
    }

    /**
     * The lowest confidence whose accepted examples' precision has a Wilson lower bound at {@code z} of at
     * least {@code target}; 1.0 when none has (route nothing alone below certainty).
     *
     * @param confidence each example's out-of-fold confidence, highest first
     * @param correct    whether that example's out-of-fold answer was right, in the same order
     * @param target     the precision the routed tickets should reach, e.g. 0.98
     * @param z          standard errors to spare; 0 for the point value
     */
    static double choose(double[] confidence, boolean[] correct, double target, double z) {
        if (confidence.length != correct.length) throw new IllegalArgumentException("lengths differ");
        double best = 1.0;
        int right = 0;
        for (int i = 0; i < confidence.length; i++) {
            if (i > 0 && confidence[i] > confidence[i - 1]) throw new IllegalArgumentException("confidences not highest first");
            if (correct[i]) right++;
            boolean boundary = i + 1 == confidence.length || confidence[i + 1] < confidence[i];
            if (boundary && wilsonLowerBound(right, i + 1, z) >= target) best = confidence[i];
        }
        return best;
    }

    /**
     * The lower end of the Wilson score interval for {@code k} successes in {@code n} trials
     * (Wilson 1927; Newcombe 1998, method 3); {@code k / n} itself at {@code z = 0}.
     */
    static double wilsonLowerBound(int k, int n, double z) {
        if (n <= 0 || k < 0 || k > n) throw new IllegalArgumentException(k + " of " + n);
        double p = (double) k / n;
        if (z == 0) return p;
        double z2 = z * z;
        double centre = p + z2 / (2.0 * n);
        double spread = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return Math.max(0, (centre - spread) / (1 + z2 / n));
    }
}
