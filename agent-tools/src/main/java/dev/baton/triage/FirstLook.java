package dev.baton.triage;

/**
 * When the cheap first look at a ticket (a nearest-neighbour vote on one small encoder) is trusted
 * alone: when its vote share for the winning category is at least {@link #threshold}. The other
 * encoders then never run for that ticket; below it, the whole recipe reads the ticket.
 *
 * <p>The threshold is chosen from out-of-fold predictions of the examples, where both the first look
 * and the whole recipe predicted every example without having seen it: the lowest share at which
 * answering the tickets at or above it by the first look alone costs at most
 * {@code maxAccuracyCost} of the overall accuracy (the first look's wrong answers among them, less
 * the whole recipe's, over all examples). The cost allowed is 0.0005 (five tickets in 10,000): on
 * BANKING77 it gives a share of about 0.89 (10,003 examples, 5 folds), reached by about three
 * examples in four. A tighter 0.0002 was tried and proved too noisy: one or two examples decide it,
 * and it gave 0.902 on the 10,003 examples but 0.992 on 8,085 of them.
 *
 * @param threshold the share from which the first look answers alone; above 1 for never
 */
record FirstLook(double threshold) {

    /** The overall accuracy the first look may cost, as a fraction: 0.0005 is 0.05 points. */
    static final double MAX_ACCURACY_COST = 0.0005;

    /** A first look that never answers alone. */
    static final FirstLook NEVER = new FirstLook(Double.POSITIVE_INFINITY);

    /** Whether the first look answers alone, given its probabilities. */
    boolean sure(double[] probabilities) {
        double top = 0;
        for (double p : probabilities) top = Math.max(top, p);
        return top >= threshold;
    }

    /**
     * The lowest threshold within the accuracy cost (see the class comment), {@link #NEVER} when none is.
     *
     * @param share          each example's out-of-fold first-look share for the category it chose
     * @param firstRight     whether that category was right
     * @param wholeRight     whether the whole recipe's out-of-fold answer was right
     * @param maxAccuracyCost the overall accuracy the first look may cost, as a fraction
     */
    static FirstLook choose(double[] share, boolean[] firstRight, boolean[] wholeRight, double maxAccuracyCost) {
        int n = share.length;
        if (firstRight.length != n || wholeRight.length != n) throw new IllegalArgumentException("lengths differ");
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(share[b], share[a]));
        double best = Double.POSITIVE_INFINITY;
        int cost = 0; // whole-right minus first-right among the examples at or above the share
        for (int r = 0; r < n; r++) {
            int i = order[r];
            cost += (wholeRight[i] ? 1 : 0) - (firstRight[i] ? 1 : 0);
            boolean boundary = r + 1 == n || share[order[r + 1]] < share[i];
            if (boundary && cost <= maxAccuracyCost * n) best = share[i];
        }
        return new FirstLook(best);
    }
}
