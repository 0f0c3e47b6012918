package dev.baton.plan;

import java.util.Locale;
import java.util.Optional;

/** "Did you mean...?": the known name closest to a misspelt one, when it is close enough. */
final class Suggestions {

    private Suggestions() {
    }

    /** The closest of {@code known} to {@code name}, ignoring case, if a few edits away; the first wins a tie. */
    static Optional<String> closest(String name, Iterable<String> known) {
        String wanted = name.toLowerCase(Locale.ROOT);
        int allowed = wanted.length() <= 3 ? 1 : wanted.length() <= 6 ? 2 : 3;
        String best = null;
        int bestDistance = allowed + 1;
        for (String candidate : known) {
            if (candidate.equals(name)) continue;
            int distance = distance(wanted, candidate.toLowerCase(Locale.ROOT), bestDistance - 1);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code "; did you mean 'x'?"}, or an empty string. */
    static String didYouMean(String name, Iterable<String> known) {
        return closest(name, known).map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    /**
     * Edit distance with adjacent transpositions (optimal string alignment), or {@code max + 1}
     * as soon as it is certain to exceed {@code max}.
     */
    static int distance(String a, String b, int max) {
        if (Math.abs(a.length() - b.length()) > max) return max + 1;
        int[] before = new int[b.length() + 1];
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int value = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    value = Math.min(value, before[j - 2] + 1);
                }
                current[j] = value;
                rowMin = Math.min(rowMin, value);
            }
            if (rowMin > max) return max + 1;
            int[] recycled = before;
            before = previous;
            previous = current;
            current = recycled;
        }
        return Math.min(previous[b.length()], max + 1);
    }
}
