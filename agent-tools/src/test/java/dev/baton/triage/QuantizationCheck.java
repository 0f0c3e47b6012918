package dev.baton.triage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.baton.triage.eval.TriageEval;
import dev.langchain4j.data.segment.TextSegment;

/**
 * What storing the examples' embeddings as int8 rows costs (issue 18): a classifier trained from
 * scratch (float32 embeddings in memory) against the same classifier restarted from its cache
 * (int8 embeddings, the same weights), trained on every other bundled example after holding out
 * 3% of each category (seed 42), which it classifies; and the cosine of the held-out tickets' embeddings to their int8 round trip. Minutes: it
 * embeds the examples once. Run from the repository root after {@code mvn -o -B -q -pl agent-tools
 * test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt}:
 * {@code java -cp agent-tools/target/test-classes:agent-tools/target/classes:$(cat agent-tools/target/classpath.txt) dev.baton.triage.QuantizationCheck}
 */
public final class QuantizationCheck {

    public static void main(String[] args) throws Exception {
        List<List<LabelledExample>> split = TriageEval.holdout(TriageFixtures.bundled(), 0.03, 42);
        List<LabelledExample> train = new ArrayList<>(); // every other remaining example: half the minutes of embedding
        for (int i = 0; i < split.get(0).size(); i += 2) train.add(split.get(0).get(i));
        List<LabelledExample> test = split.get(1);
        Path dir = Files.createTempDirectory("baton-quantization-");
        EmbeddingClassifier.Options options = EmbeddingClassifier.Options.defaults();
        List<Classification> fresh = new ArrayList<>();
        List<Classification> reloaded = new ArrayList<>();
        long started = System.nanoTime();
        try (EmbeddingClassifier c = new EmbeddingClassifier(new EmbeddingCache(dir, null), train, EmbeddingClassifier.keyOf(train),
                TicketClassifiers.encoders(), options)) {
            c.ready().get(60, TimeUnit.MINUTES);
            System.out.printf(Locale.ROOT, "trained on %d examples in %d s%n", train.size(), (System.nanoTime() - started) / 1_000_000_000);
            for (LabelledExample e : test) fresh.add(c.classify(new TicketText(null, e.text())));
        }
        long loadStart = System.nanoTime();
        try (EmbeddingClassifier c = new EmbeddingClassifier(new EmbeddingCache(dir, null), train, EmbeddingClassifier.keyOf(train),
                TicketClassifiers.encoders(), options)) {
            c.ready().get(5, TimeUnit.MINUTES);
            long loadMs = (System.nanoTime() - loadStart) / 1_000_000;
            if (c.examplesEmbedded() != 0 || c.trainings() != 0) throw new IllegalStateException("the cache was not used");
            System.out.printf(Locale.ROOT, "restarted from the int8 cache in %d ms%n", loadMs);
            for (LabelledExample e : test) reloaded.add(c.classify(new TicketText(null, e.text())));
        }
        int same = 0, rightFresh = 0, rightReloaded = 0;
        double maxDiff = 0, sumDiff = 0;
        for (int i = 0; i < test.size(); i++) {
            Classification a = fresh.get(i), b = reloaded.get(i);
            if (a.category().equals(b.category())) same++;
            if (a.category().equals(test.get(i).category())) rightFresh++;
            if (b.category().equals(test.get(i).category())) rightReloaded++;
            double d = Math.abs(a.confidence() - b.confidence());
            maxDiff = Math.max(maxDiff, d);
            sumDiff += d;
        }
        System.out.printf(Locale.ROOT, "%d held-out tickets: the same category %d times; accuracy float32 %.4f, int8 %.4f;"
                        + " confidence differs by %.5f on average, %.5f at most%n", test.size(), same,
                (double) rightFresh / test.size(), (double) rightReloaded / test.size(), sumDiff / test.size(), maxDiff);
        for (Encoder e : TicketClassifiers.encoders()) {
            float[][] m = e.model().embedAll(test.stream().map(x -> TextSegment.from(x.text())).toList()).content().stream()
                    .map(v -> v.vector()).toArray(float[][]::new);
            double worst = 1, sum = 0;
            for (float[] row : m) {
                byte[] q = new byte[row.length];
                double c = EmbeddingCacheTest.cosine(row, EmbeddingCache.dequantize(q, EmbeddingCache.quantize(row, q)));
                worst = Math.min(worst, c);
                sum += c;
            }
            System.out.printf(Locale.ROOT, "%s: cosine of %d held-out embeddings to their int8 round trip: min %.6f, mean %.6f%n",
                    e.name(), m.length, worst, sum / m.length);
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                System.out.printf(Locale.ROOT, "  %s %d bytes%n", p.getFileName(), Files.size(p));
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
