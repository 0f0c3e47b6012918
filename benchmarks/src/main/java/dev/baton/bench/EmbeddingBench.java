package dev.baton.bench;

import dev.baton.embedding.Embeddings;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.plan.playbook.PlaybookMatcher;
import dev.langchain4j.model.embedding.EmbeddingModel;

import java.util.Arrays;
import java.util.List;

/**
 * Part "embedding": what matching a goal against the playbooks costs in-process (the quantized
 * all-MiniLM-L6-v2 that serves runs posted with a goal and no model): building the model,
 * embedding the built-in playbooks once, then one goal at a time once the model is warm.
 * A figure, not a test (it was PlaybookMatcherTest.embeddingOneGoalTakesMilliseconds).
 */
final class EmbeddingBench {
    private static final List<String> GOALS = List.of(
            "is https://example.com up?",
            "can you see if our homepage is reachable",
            "what status code does https://api.example.com/health return",
            "post an announcement to the Discord webhook",
            "let the team know in chat that the build is broken",
            "remind me to stretch in an hour",
            "write a poem about the sea");

    private final Report report;
    private final int rounds = Options.integer("bench.embedding.rounds", 5);

    EmbeddingBench(Report report) {
        this.report = report;
    }

    void run() {
        report.section("Embedding a goal in-process (MiniLM-q), as the playbook matcher does");
        long start = System.nanoTime();
        EmbeddingModel model = Embeddings.minilm();
        long built = System.nanoTime();
        new PlaybookMatcher(model, PlaybookLibrary.builtin());
        long embedded = System.nanoTime();
        report.say("model construction %d ms; the built-in playbooks' texts in one embedAll %d ms",
                (built - start) / 1_000_000, (embedded - built) / 1_000_000);
        for (String goal : GOALS) model.embed(goal); // warm-up
        long[] nanos = new long[GOALS.size() * rounds];
        for (int i = 0; i < nanos.length; i++) {
            long t = System.nanoTime();
            model.embed(GOALS.get(i % GOALS.size()));
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        String figure = String.format(java.util.Locale.ROOT, "median %.1f ms, max %.1f ms", nanos[nanos.length / 2] / 1e6,
                nanos[nanos.length - 1] / 1e6);
        report.say("embedding one goal: %s over %d goals", figure, nanos.length);
        report.info("embedding one goal (MiniLM-q)", figure);
    }
}
