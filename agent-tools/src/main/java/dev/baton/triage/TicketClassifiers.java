package dev.baton.triage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.baton.embedding.Embeddings;

/** Builds the ticket classifiers Baton ships. */
public final class TicketClassifiers {

    /** The bundled BANKING77 training examples (CC BY 4.0, see {@code banking77/LICENSE} beside it). */
    public static final String BUNDLED_EXAMPLES = "/dev/baton/triage/banking77/train.csv";

    /** The encoders the recipes may name: quantized MiniLM as {@code minilm}, quantized BGE-small as {@code bge}. */
    public static List<Encoder> encoders() {
        return List.of(new Encoder("minilm", Embeddings.minilm()), new Encoder("bge", Embeddings.bge()));
    }

    private TicketClassifiers() {
    }

    /**
     * The in-process embedding classifier over a {@code text,category} CSV. Reads and checks the
     * file now (a malformed one throws {@link IllegalArgumentException} naming the line); embeds
     * and trains in the background (see {@link EmbeddingClassifier#ready()}).
     *
     * @param examplesCsv the examples, null for the bundled BANKING77 training set
     * @param cacheDir    where embeddings and weights are cached, null for {@code ~/.cache/baton}
     */
    public static EmbeddingClassifier embedded(Path examplesCsv, Path cacheDir) {
        return embedded(examplesCsv, cacheDir, EmbeddingClassifier.Options.defaults());
    }

    /** As {@link #embedded(Path, Path)}, with settings. */
    public static EmbeddingClassifier embedded(Path examplesCsv, Path cacheDir, EmbeddingClassifier.Options options) {
        byte[] content;
        String source;
        try {
            if (examplesCsv == null) {
                try (InputStream in = TicketClassifiers.class.getResourceAsStream(BUNDLED_EXAMPLES)) {
                    if (in == null) throw new IllegalStateException("the bundled examples are missing: " + BUNDLED_EXAMPLES);
                    content = in.readAllBytes();
                }
                source = "bundled BANKING77 examples";
            } else {
                content = Files.readAllBytes(examplesCsv);
                source = examplesCsv.toString();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ticket examples " + examplesCsv + ": " + e.getMessage(), e);
        }
        List<LabelledExample> examples = ExamplesCsv.parse(ExamplesCsv.decode(content, source), source);
        Path dir = (cacheDir != null ? cacheDir : defaultCacheDir()).resolve("triage");
        return new EmbeddingClassifier(examples, EmbeddingCache.sha256(content), encoders(), dir, options);
    }

    /** The classifier for examples already in memory (the evaluation's training part). */
    public static EmbeddingClassifier embedded(List<LabelledExample> examples, Path cacheDir,
                                               EmbeddingClassifier.Options options) {
        Path dir = (cacheDir != null ? cacheDir : defaultCacheDir()).resolve("triage");
        return new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), encoders(), dir, options);
    }

    /** {@code ~/.cache/baton}. */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "baton");
    }
}
