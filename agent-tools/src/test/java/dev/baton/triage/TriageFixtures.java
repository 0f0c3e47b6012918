package dev.baton.triage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.baton.embedding.Embeddings;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;

/**
 * Small slices of the bundled BANKING77 examples, so tests train in seconds, and one shared
 * classifier over them per test JVM (its embeddings are cached under {@code target/}).
 */
public final class TriageFixtures {

    private static List<LabelledExample> all;
    private static EmbeddingClassifier shared;
    private static CountingEmbedder sharedEmbedder;

    private TriageFixtures() {
    }

    /** Every bundled example, in file order. */
    public static synchronized List<LabelledExample> bundled() {
        if (all == null) {
            try (InputStream in = TriageFixtures.class.getResourceAsStream(TicketClassifiers.BUNDLED_EXAMPLES)) {
                all = ExamplesCsv.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bundled");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return all;
    }

    /** Examples number {@code from} to {@code from + perCategory - 1} of each category. */
    public static List<LabelledExample> slice(int from, int perCategory) {
        Map<String, AtomicInteger> seen = new HashMap<>();
        List<LabelledExample> out = new ArrayList<>();
        for (LabelledExample e : bundled()) {
            int i = seen.computeIfAbsent(e.category(), c -> new AtomicInteger()).getAndIncrement();
            if (i >= from && i < from + perCategory) out.add(e);
        }
        return out;
    }

    /** Test settings: three folds, fewer epochs. */
    public static EmbeddingClassifier.Options options() {
        return EmbeddingClassifier.Options.defaults().withFolds(3);
    }

    public static Path cacheDir() {
        return Path.of("target", "triage-test-cache");
    }

    /** A classifier trained on 15 examples of each category, shared by the tests of this JVM. */
    public static synchronized EmbeddingClassifier shared() {
        if (shared == null) {
            sharedEmbedder = new CountingEmbedder(Embeddings.minilm());
            List<LabelledExample> examples = slice(0, 15);
            shared = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), encoders(sharedEmbedder),
                    cacheDir(), options());
            shared.ready().join();
        }
        return shared;
    }

    /** The shipped encoders, with {@code minilm} replaced by the given one (a counting or slow MiniLM). */
    public static List<Encoder> encoders(EmbeddingModel minilm) {
        return List.of(new Encoder("minilm", minilm), new Encoder("bge", Embeddings.bge()));
    }

    /** The shared classifier's MiniLM embedder, counting its calls. */
    public static synchronized CountingEmbedder sharedEmbedder() {
        shared();
        return sharedEmbedder;
    }

    /** Counts {@code embedAll} calls and texts, so tests can tell batching and cache hits apart. */
    public static class CountingEmbedder implements EmbeddingModel {
        private final EmbeddingModel delegate;
        public final AtomicLong calls = new AtomicLong();
        public final AtomicLong texts = new AtomicLong();

        public CountingEmbedder(EmbeddingModel delegate) {
            this.delegate = delegate;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            calls.incrementAndGet();
            texts.addAndGet(segments.size());
            return delegate.embedAll(segments);
        }

        @Override
        public int dimension() {
            return delegate.dimension();
        }
    }
}
