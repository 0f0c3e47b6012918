package dev.baton.triage;

import java.util.List;

/**
 * A classifier's answer for one ticket.
 *
 * @param category     the chosen category, one of {@link TicketClassifier#categories()}
 * @param confidence   how sure it is (0..1); a calibrated probability for the embedding classifier
 * @param alternatives the next most likely categories, most likely first (may be empty)
 * @param method       what decided: {@code "classifier"}, {@code "model"}, {@code "rule"} or {@code "correction"}
 * @param rationale    one sentence on why, or null
 */
public record Classification(String category, double confidence, List<Prediction> alternatives, String method,
                             String rationale) {

    public Classification {
        alternatives = alternatives == null ? List.of() : List.copyOf(alternatives);
    }
}
