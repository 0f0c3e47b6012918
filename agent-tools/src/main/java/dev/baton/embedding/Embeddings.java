package dev.baton.embedding;

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
}
