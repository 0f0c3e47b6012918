package dev.baton.plan.playbook;

import dev.baton.embedding.Embeddings;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.CosineSimilarity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Picks the playbook for a goal by meaning, with an embedding model (by default the in-process
 * {@link Embeddings#minilm()}), so that Baton can act on a goal without a chat model.
 *
 * <p>Each playbook is represented by several texts: its description and each of its goal
 * examples. They are embedded once, in one {@code embedAll} batch, when the matcher is built.
 * A goal's score against a playbook is the highest cosine similarity between the goal and any
 * of the playbook's texts, so a playbook with good goal examples is found from short, informal
 * goals as well as from ones that read like its description.
 *
 * <p>{@link #match} answers only when the best score reaches the threshold
 * ({@value #DEFAULT_THRESHOLD} by default). It was chosen from scores measured with the
 * quantized all-MiniLM-L6-v2 on the built-in playbooks (listed in {@code PlaybookMatcherTest}):
 * paraphrased goals a playbook serves scored 0.30 to 0.71, and always highest for the right
 * playbook; goals near the playbooks that none serves ("restart the web server") scored up to
 * 0.44; unrelated goals ("write a poem about the sea") at most 0.21. So 0.5 accepts about two
 * thirds of the served goals and none of the others: below it, a goal is better answered with
 * "this needs a model" than with the wrong plan. Raise it when a playbook does something hard
 * to undo; give playbooks several goal examples in their users' own words to raise their scores.
 * {@link #ranked} lists the closest playbooks regardless, for messages such as "the closest
 * playbooks were ...". Thread-safe when the model is (LangChain4j's ONNX models are).
 */
public final class PlaybookMatcher {

    /** The default least score of a match. */
    public static final double DEFAULT_THRESHOLD = 0.5;

    private record Entry(Playbook playbook, List<Embedding> embeddings) {
    }

    private final EmbeddingModel model;
    private final double threshold;
    private final List<Entry> entries;

    /** A matcher with the {@linkplain #DEFAULT_THRESHOLD default threshold}. */
    public PlaybookMatcher(EmbeddingModel model, PlaybookLibrary library) {
        this(model, library, DEFAULT_THRESHOLD);
    }

    /**
     * Embeds every playbook's texts now, in one batch.
     *
     * @param threshold the least cosine similarity {@link #match} accepts, from -1 to 1
     */
    public PlaybookMatcher(EmbeddingModel model, PlaybookLibrary library, double threshold) {
        this.model = Objects.requireNonNull(model, "model");
        Objects.requireNonNull(library, "library");
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be between -1 and 1 (a cosine similarity), was " + threshold);
        }
        this.threshold = threshold;
        this.entries = embed(model, library.all());
    }

    private static List<Entry> embed(EmbeddingModel model, List<Playbook> playbooks) {
        List<TextSegment> segments = new ArrayList<>();
        for (Playbook playbook : playbooks) {
            for (String text : playbook.matchTexts()) segments.add(TextSegment.from(text));
        }
        if (segments.isEmpty()) return List.of();
        List<Embedding> embeddings = model.embedAll(segments).content();
        if (embeddings.size() != segments.size()) {
            throw new IllegalStateException("the embedding model returned " + embeddings.size() + " embeddings for " + segments.size() + " texts");
        }
        List<Entry> entries = new ArrayList<>();
        int next = 0;
        for (Playbook playbook : playbooks) {
            int count = playbook.matchTexts().size();
            entries.add(new Entry(playbook, List.copyOf(embeddings.subList(next, next + count))));
            next += count;
        }
        return List.copyOf(entries);
    }

    /** The least score {@link #match} accepts. */
    public double threshold() {
        return threshold;
    }

    /**
     * The playbook closest to the goal, when its score reaches the threshold.
     *
     * @return empty for a blank goal, an empty library, or no playbook close enough
     */
    public Optional<Match> match(String goal) {
        List<Match> best = ranked(goal, 1);
        return best.isEmpty() || best.get(0).score() < threshold ? Optional.empty() : Optional.of(best.get(0));
    }

    /**
     * The {@code k} playbooks closest to the goal, closest first, whatever their scores (ties in
     * name order). Embeds the goal once.
     *
     * @return empty for a blank goal or an empty library
     */
    public List<Match> ranked(String goal, int k) {
        if (k < 0) throw new IllegalArgumentException("k must not be negative, was " + k);
        if (goal == null || goal.isBlank() || entries.isEmpty() || k == 0) return List.of();
        Embedding query = model.embed(goal.strip()).content();
        List<Match> matches = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            double best = -1;
            for (Embedding text : entry.embeddings()) best = Math.max(best, CosineSimilarity.between(query, text));
            matches.add(new Match(entry.playbook(), best));
        }
        matches.sort(Comparator.comparingDouble(Match::score).reversed().thenComparing(match -> match.playbook().name()));
        return List.copyOf(matches.subList(0, Math.min(k, matches.size())));
    }
}
