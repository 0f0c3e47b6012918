package dev.baton.embedding;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * The in-process embedding model Baton matches playbooks and classifies tickets with when no chat model is configured:
 * LangChain4j's packaged, quantized all-MiniLM-L6-v2 (384 dimensions, about 23 MB, runs on the
 * CPU through ONNX Runtime).
 *
 * <p>Constructing it loads the model and the native runtime, which takes a few seconds, so there
 * is one instance per JVM, created on first use; it is thread-safe. Call {@link #minilm()} at
 * start to pay that cost before the first goal arrives.
 */
public final class Embeddings {

    private Embeddings() {
    }

    /** Initialised by the JVM on first access to {@link #minilm()}, exactly once, without locks afterwards. */
    private static final class MiniLm {
        static final EmbeddingModel INSTANCE = new AllMiniLmL6V2QuantizedEmbeddingModel();
    }

    /** The shared quantized all-MiniLM-L6-v2 model, created on the first call (seconds), then returned at once. */
    public static EmbeddingModel minilm() {
        return MiniLm.INSTANCE;
    }
}
