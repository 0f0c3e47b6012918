package dev.baton.triage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;

/**
 * {@link TicketText.Pooling#NEAREST_EXAMPLE} outside the classifier, for measuring it: holds the
 * labelled examples' unit embeddings and picks, of a ticket's {@link TicketText.Chunks}, the text
 * whose embedding has the highest cosine similarity to any example. The examples' embeddings are
 * read from the classifier's cache when it has them (same model, same examples), else computed
 * and cached beside them.
 */
public final class ChunkSelector {

    private final EmbeddingModel model;
    private final float[][] examples;

    private ChunkSelector(EmbeddingModel model, float[][] examples) {
        this.model = model;
        this.examples = examples;
    }

    /** A selector over these examples, embedded with MiniLM (the classifier's encoder). */
    public static ChunkSelector minilm(List<LabelledExample> examples, Path cacheDir) {
        EmbeddingModel model = dev.baton.embedding.Embeddings.minilm();
        EmbeddingCache cache = new EmbeddingCache(cacheDir.resolve("triage"));
        // the classifier's cache key for these examples (EmbeddingClassifier: CACHE_VERSION "1")
        String key = EmbeddingCache.sha256("1", TicketClassifiers.MODEL_NAME, EmbeddingClassifier.keyOf(examples));
        float[][] m = cache.load("embeddings", key, EmbeddingCache::readMatrix)
                .filter(x -> x.length == examples.size())
                .orElseGet(() -> {
                    float[][] e = new float[examples.size()][];
                    for (int i = 0; i < e.length; i += 64) {
                        List<String> texts = new ArrayList<>();
                        for (int j = i; j < Math.min(e.length, i + 64); j++) texts.add(examples.get(j).text());
                        List<float[]> v = embed(model, texts);
                        for (int j = 0; j < v.size(); j++) e[i + j] = v.get(j);
                    }
                    cache.store("embeddings", key, out -> EmbeddingCache.writeMatrix(out, e));
                    return e;
                });
        return new ChunkSelector(model, m);
    }

    /** The chunk to classify: the only one, or the one most similar to an example. */
    public String select(TicketText.Chunks chunks) {
        if (chunks.texts().size() == 1) return chunks.texts().get(0);
        List<float[]> x = embed(model, chunks.texts());
        int best = 0;
        double bestSim = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < x.size(); c++) {
            double s = nearest(x.get(c));
            if (s > bestSim) {
                bestSim = s;
                best = c;
            }
        }
        return chunks.texts().get(best);
    }

    private double nearest(float[] x) {
        double best = Double.NEGATIVE_INFINITY;
        for (float[] e : examples) best = Math.max(best, SoftmaxRegression.dot(e, 0, x, x.length));
        return best;
    }

    private static List<float[]> embed(EmbeddingModel model, List<String> texts) {
        List<Embedding> embeddings = model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
        List<float[]> out = new ArrayList<>(embeddings.size());
        for (Embedding e : embeddings) {
            float[] v = e.vector();
            double norm = 0;
            for (float f : v) norm += f * f;
            float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
            float[] u = new float[v.length];
            for (int i = 0; i < v.length; i++) u[i] = v[i] * inv;
            out.add(u);
        }
        return out;
    }
}
