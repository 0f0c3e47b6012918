package dev.baton.runtime.triage;

import java.util.Objects;
import java.util.Set;

import dev.baton.runtime.model.CallContext;
import dev.baton.triage.Classification;
import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.Prediction;
import dev.baton.triage.TicketClassifier;
import dev.baton.triage.TicketText;

/**
 * The embedding classifier answers what it is sure of (confidence at or above the threshold, or a
 * person's correction); the model is asked only about the rest; a person only about what the
 * model is still unsure of. So most tickets cost no tokens and no one's time.
 *
 * <p>One threshold decides review for every answer ({@link #needsReview}): a model answer that
 * the evidence supports (its category is among the classifier's top candidates or the retrieved
 * examples' categories) is reported at least at the threshold, so it is routed; one the evidence
 * does not support keeps the classifier's probability for that category, which is below the
 * threshold, so a person reviews it; an answer outside the categories, twice, gets 0.
 */
public final class CascadeClassifier implements TicketClassifier {

    private final EmbeddingClassifier classifier;
    private final ModelClassifier model;
    private final double threshold;

    /**
     * @param classifier the embedding classifier
     * @param model      the model, or null for none (then unsure tickets go straight to review)
     * @param threshold  the confidence from which an answer is routed without a person
     */
    public CascadeClassifier(EmbeddingClassifier classifier, ModelClassifier model, double threshold) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.model = model;
        if (threshold < 0 || threshold > 1) throw new IllegalArgumentException("threshold must be within 0..1");
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    /** Whether a person should confirm this answer before it is routed. */
    public boolean needsReview(Classification c) {
        return c.confidence() < threshold;
    }

    @Override
    public Set<String> categories() {
        return classifier.categories();
    }

    @Override
    public Classification classify(TicketText ticket) {
        return classify(ticket, CallContext.forRun("triage", "triage"));
    }

    /** Classifies for a tool call: the model's tokens (if it is asked) count as the run's own model usage. */
    @Override
    public Classification classify(TicketText ticket, dev.baton.tools.ToolContext context) {
        return classify(ticket, CallContext.forRun(context.runId(), "triage"));
    }

    /** Classifies, counting model tokens (if the model is asked) for the context's run. */
    public Classification classify(TicketText ticket, CallContext context) {
        Classification first = classifier.classify(ticket);
        if (model == null || "correction".equals(first.method()) || first.confidence() >= threshold) return first;
        ModelClassifier.Answer a = model.ask(ticket, context);
        if (!a.valid()) {
            return new Classification(first.category(), 0.0, first.alternatives(), "model", a.rationale(), first.ranking(), true);
        }
        double p = probability(first, a.category());
        boolean supported = p > 0 || a.examples().stream().anyMatch(e -> e.category().equals(a.category()));
        double confidence = supported ? Math.max(threshold, p) : p;
        return new Classification(a.category(), confidence, first.alternatives(), "model", a.rationale(), first.ranking(), false);
    }

    /** The classifier's probability for a category, 0 if it is not among its top candidates. */
    private static double probability(Classification c, String category) {
        if (c.category().equals(category)) return c.confidence();
        for (Prediction p : c.alternatives()) if (p.category().equals(category)) return p.confidence();
        return 0;
    }

    @Override
    public void learn(LabelledExample example) {
        classifier.learn(example);
    }

    @Override
    public void learn(TicketText ticket, String category) {
        classifier.learn(ticket, category);
    }
}
