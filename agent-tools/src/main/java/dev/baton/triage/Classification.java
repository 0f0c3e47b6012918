package dev.baton.triage;

import java.util.ArrayList;
import java.util.List;

/**
 * A classifier's answer for one ticket.
 *
 * @param category          the chosen category, one of {@link TicketClassifier#categories()}
 * @param confidence        how sure it is (0..1); a calibrated probability for the embedding classifier
 * @param alternatives      the next most likely categories, most likely first (may be empty)
 * @param method            what decided: {@code "classifier"}, {@code "model"}, {@code "rule"} or {@code "correction"}
 * @param rationale         one sentence on why, or null
 * @param ranking           the embedding classifier's own most likely categories with its probabilities, most
 *                          likely first, whatever decided in the end (a model's answer keeps the classifier's
 *                          ranking, so a person reviewing it sees the ranked alternatives); empty when the
 *                          classifier was not asked (a rule, a person's correction)
 * @param outsideCategories whether a model answered outside the categories (twice): then {@code category} is only
 *                          a placeholder for a person to replace
 */
public record Classification(String category, double confidence, List<Prediction> alternatives, String method,
                             String rationale, List<Prediction> ranking, boolean outsideCategories) {

    public Classification {
        alternatives = alternatives == null ? List.of() : List.copyOf(alternatives);
        ranking = ranking == null ? List.of() : List.copyOf(ranking);
    }

    /** An answer whose ranking, for the embedding classifier's own answer, is its category then its alternatives. */
    public Classification(String category, double confidence, List<Prediction> alternatives, String method, String rationale) {
        this(category, confidence, alternatives, method, rationale,
                "classifier".equals(method) ? ranked(category, confidence, alternatives) : List.of(), false);
    }

    /** The category first, then the alternatives. */
    public static List<Prediction> ranked(String category, double confidence, List<Prediction> alternatives) {
        List<Prediction> out = new ArrayList<>();
        out.add(new Prediction(category, confidence));
        if (alternatives != null) out.addAll(alternatives);
        return out;
    }
}
