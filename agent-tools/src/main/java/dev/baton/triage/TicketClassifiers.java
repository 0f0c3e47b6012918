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
        Examples examples;
        try {
            examples = Examples.read(examplesCsv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ticket examples " + examplesCsv + ": " + e.getMessage(), e);
        }
        return embedded(examples, cacheDir, options);
    }

    /** As {@link #embedded(Path, Path, EmbeddingClassifier.Options)}, for examples already read (a server reads and checks them once, at start). */
    public static EmbeddingClassifier embedded(Examples examples, Path cacheDir, EmbeddingClassifier.Options options) {
        Path dir = (cacheDir != null ? cacheDir : defaultCacheDir()).resolve("triage");
        return new EmbeddingClassifier(examples.examples(), examples.key(), encoders(), dir, options);
    }

    /**
     * Labelled examples as read from a {@code text,category} CSV, with the SHA-256 of the file's bytes, which names
     * their cache entries (and matches the bundled state's for the bundled file).
     *
     * @param examples the examples, in the file's order
     * @param key      the SHA-256 of the file's bytes
     * @param source   the file, or "bundled BANKING77 examples"
     */
    public record Examples(List<LabelledExample> examples, String key, String source) {

        /**
         * Reads and checks a CSV, or the bundled examples when {@code examplesCsv} is null.
         *
         * @throws IOException              if the file cannot be read
         * @throws IllegalArgumentException if it is malformed (naming the line) or not UTF-8
         */
        public static Examples read(Path examplesCsv) throws IOException {
            byte[] content;
            String source;
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
            return new Examples(ExamplesCsv.parse(ExamplesCsv.decode(content, source), source), EmbeddingCache.sha256(content), source);
        }
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
