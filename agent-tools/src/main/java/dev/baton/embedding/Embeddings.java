package dev.baton.embedding;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;

/**
 * The in-process embedding models Baton runs on the CPU through ONNX Runtime, with no model call:
 * <ul>
 *   <li>{@link #minilm()}: LangChain4j's quantized all-MiniLM-L6-v2 (384 dimensions, 6 layers),
 *       which matches playbooks to goals and is the ticket classifier's first encoder;</li>
 *   <li>{@link #bge()}: the quantized bge-small-en-v1.5 (384 dimensions, 12 layers, about twice
 *       MiniLM's cost per text), the ticket classifier's second encoder.</li>
 * </ul>
 *
 * <p>Constructing one loads the model and the native runtime, which takes a second or more, so
 * there is one instance of each per JVM, created on first use; they are thread-safe. Both are
 * the models and tokenizers LangChain4j ships, in ONNX Runtime sessions of one thread that does not
 * spin (see {@link OnnxEmbeddingModel} for why; the system property {@code baton.embedding.threads}
 * gives each run more threads).
 */
public final class Embeddings {

    private Embeddings() {
    }

    /** Initialised by the JVM on first access to {@link #minilm()}, exactly once, without locks afterwards. */
    private static final class MiniLm {
        static final EmbeddingModel INSTANCE = new OnnxEmbeddingModel("minilm", AllMiniLmL6V2QuantizedEmbeddingModel.class,
                "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", PoolingMode.MEAN, 384,
                OnnxEmbeddingModel.intraOpThreads());
    }

    /** As {@link MiniLm}, for {@link #bge()}. */
    private static final class Bge {
        static final EmbeddingModel INSTANCE = new OnnxEmbeddingModel("bge", BgeSmallEnV15QuantizedEmbeddingModel.class,
                "bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json", PoolingMode.CLS, 384,
                OnnxEmbeddingModel.intraOpThreads());
    }

    /** The shared quantized all-MiniLM-L6-v2 model, created on the first call (seconds), then returned at once. */
    public static EmbeddingModel minilm() {
        return MiniLm.INSTANCE;
    }

    /** The shared quantized bge-small-en-v1.5 model, created on the first call (seconds), then returned at once. */
    public static EmbeddingModel bge() {
        return Bge.INSTANCE;
    }

    /** Both models' loading, once started by {@link #loadInBackground()}; guarded by the class. */
    private static CompletableFuture<Void> loading;
    /** Where the models are kept unpacked, null for nowhere (read from the jar at every start). */
    private static volatile Path modelCache;

    /** Where the models are kept unpacked (see {@link #keepUnpackedIn(Path)}); null for nowhere. */
    static Path modelCache() {
        return modelCache;
    }

    /**
     * Keeps the models and ONNX Runtime's native library unpacked in {@code folder} from now on (created when
     * needed), so that later starts need not inflate them from the jar again (about 0.35 s of CPU at every start);
     * the server's {@code main} sets it before anything loads a model. Null: read them from the jar.
     */
    public static void keepUnpackedIn(Path folder) {
        modelCache = folder;
    }

    /**
     * Starts loading both models now, each on a daemon thread of its own that also embeds a first text with it, so
     * that the two load side by side and beside whatever the caller does next (a server's start); the first
     * {@link #minilm()} or {@link #bge()} then waits only for what is left. Called again, returns the same future. It
     * completes when both are loaded and have embedded their first text, or exceptionally when one could not be (the
     * next {@code minilm()} or {@code bge()} throws then too).
     */
    public static synchronized CompletableFuture<Void> loadInBackground() {
        if (loading != null) return loading;
        loading = CompletableFuture.allOf(load("minilm", Embeddings::minilm), load("bge", Embeddings::bge));
        return loading;
    }

    private static CompletableFuture<Void> load(String name, Supplier<EmbeddingModel> model) {
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                // One text too: the first run of a session sets ONNX Runtime's kernels up and is compiled by the JIT,
                // which the first ticket would otherwise wait for.
                model.get().embed("warm up");
                loaded.complete(null);
            } catch (Throwable t) {
                loaded.completeExceptionally(t);
            }
        }, "baton-load-" + name);
        thread.setDaemon(true);
        thread.start();
        return loaded;
    }
}
