package dev.baton.triage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the ticket classifier is made of: a logistic regression over the concatenated embeddings of
 * some encoders (optionally with TF-IDF word features), a vote of the nearest examples by one
 * encoder's embedding, or the 1:1 average of both. {@link #DEFAULT} was chosen by 5-fold
 * cross-validation on BANKING77's training split (see {@code triage-eval --compare} and docs/tickets.md).
 *
 * @param name       how {@code triage-eval} and the logs call it
 * @param regression the encoders whose embeddings, concatenated in this order, the regression reads; empty for no regression
 * @param tfidf      whether the regression also reads TF-IDF word and word-pair features (needs the {@link Trainer#ADAM} trainer)
 * @param neighbours the encoder the nearest-neighbour vote compares with, or null for no vote
 * @param k          how many neighbours vote
 * @param vote       how a neighbour's similarity weighs its vote
 * @param trainer    how the regression is fitted
 * @param firstLook  an encoder whose nearest-neighbour vote looks at a ticket first, or null for none: a
 *                   ticket that vote is sure of (see {@link FirstLook}) is answered without the other encoders
 */
public record Recipe(String name, List<String> regression, boolean tfidf, String neighbours, int k, Vote vote,
                     Trainer trainer, String firstLook) {

    /** How a neighbour's cosine similarity {@code s} weighs its vote. */
    public enum Vote {
        /** {@code 1 / (1 - s)}: a near-duplicate outweighs everything, far ones count a little. */
        INVERSE_DISTANCE,
        /** {@code exp((s - s_nearest) / 0.05)}: the nearest few dominate (the earlier default). */
        SHARPENED
    }

    /** How the regression's weights are found. */
    public enum Trainer {
        /** Full-batch L-BFGS on the L2-regularised log-loss: converges, deterministic. */
        LBFGS,
        /** Mini-batch Adam for a fixed number of epochs; reads TF-IDF features too (the earlier default). */
        ADAM
    }

    public Recipe {
        regression = List.copyOf(regression);
        if (regression.isEmpty() && neighbours == null) throw new IllegalArgumentException(name + ": neither a regression nor a vote");
        if (tfidf && trainer != Trainer.ADAM) throw new IllegalArgumentException(name + ": TF-IDF features need the ADAM trainer");
        if (neighbours != null && k < 1) throw new IllegalArgumentException(name + ": k must be at least 1");
        if (new LinkedHashSet<>(regression).size() != regression.size()) {
            throw new IllegalArgumentException(name + ": an encoder is named twice in " + regression);
        }
        if (firstLook != null && neighbours == null) {
            throw new IllegalArgumentException(name + ": a first look needs the vote's settings (k, vote)");
        }
    }

    /** As the canonical constructor, without a first look. */
    public Recipe(String name, List<String> regression, boolean tfidf, String neighbours, int k, Vote vote,
                  Trainer trainer) {
        this(name, regression, tfidf, neighbours, k, vote, trainer, null);
    }

    /** Logistic regression on MiniLM ⊕ BGE, averaged 1:1 with a 10-NN vote on BGE weighted 1/(1 - cos). */
    public static final Recipe DEFAULT = new Recipe("lr-minilm-bge+knn-bge", List.of("minilm", "bge"), false, "bge", 10,
            Vote.INVERSE_DISTANCE, Trainer.LBFGS);

    /**
     * {@link #DEFAULT} with a first look: a 10-NN vote on MiniLM looks first, and the tickets it is sure of (about
     * three in four) skip BGE, which costs twice what MiniLM does. About 30% more tickets a second, for about 0.15
     * points of accuracy (see docs/tickets.md); not the default, because on BANKING77's test split its auto-routed
     * precision falls just under 0.98 (0.9797 against the default's 0.9820): its answers skip review by construction.
     */
    public static final Recipe FIRST_LOOK = new Recipe("minilm-first+lr-minilm-bge+knn-bge", List.of("minilm", "bge"), false,
            "bge", 10, Vote.INVERSE_DISTANCE, Trainer.LBFGS, "minilm");

    /** The recipes {@code triage-eval --compare} measures, the default first. */
    public static List<Recipe> presets() {
        return List.of(
                DEFAULT,
                FIRST_LOOK,
                new Recipe("lr-minilm-bge", List.of("minilm", "bge"), false, null, 0, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                new Recipe("lr-bge+knn-bge", List.of("bge"), false, "bge", 10, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                new Recipe("lr-minilm", List.of("minilm"), false, null, 0, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                new Recipe("lr-bge", List.of("bge"), false, null, 0, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                new Recipe("knn-bge", List.of(), false, "bge", 10, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                new Recipe("knn-minilm", List.of(), false, "minilm", 10, Vote.INVERSE_DISTANCE, Trainer.LBFGS),
                PREVIOUS);
    }

    /** Before issue 18: Adam on MiniLM and TF-IDF, averaged with a sharpened 10-NN vote on MiniLM. */
    public static final Recipe PREVIOUS = new Recipe("adam-minilm-tfidf+knn-minilm", List.of("minilm"), true, "minilm", 10,
            Vote.SHARPENED, Trainer.ADAM);

    /** The preset of this name; {@link IllegalArgumentException} listing the names otherwise. */
    public static Recipe named(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        if (wanted.equals("default")) return DEFAULT;
        for (Recipe r : presets()) if (r.name().equals(wanted)) return r;
        List<String> names = new ArrayList<>();
        for (Recipe r : presets()) names.add(r.name());
        throw new IllegalArgumentException("no classifier recipe '" + name + "'; known: default, " + String.join(", ", names));
    }

    /** Every encoder this recipe embeds tickets with: the first look's, the regression's, then the vote's. */
    public Set<String> encoders() {
        Set<String> out = new LinkedHashSet<>();
        if (firstLook != null) out.add(firstLook);
        out.addAll(regression);
        if (neighbours != null) out.add(neighbours);
        return out;
    }

    /**
     * The encoder that compares tickets with each other (corrections, similar examples): the first look's, so
     * a ticket it is sure of needs no other; else the vote's, else the regression's first.
     */
    public String similarityEncoder() {
        if (firstLook != null) return firstLook;
        return neighbours != null ? neighbours : regression.get(0);
    }

    /** Everything that changes the trained model, for cache keys. */
    String key() {
        return regression + "|" + tfidf + "|" + neighbours + "|" + k + "|" + vote + "|" + trainer + "|" + firstLook;
    }
}
