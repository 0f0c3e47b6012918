package dev.baton.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;

/**
 * One of LangChain4j's bundled ONNX sentence encoders, loaded from the resources of its jar into an
 * ONNX Runtime session with settings for a server that runs several encoders and other work at once.
 *
 * <p>LangChain4j's model classes build their session with ONNX Runtime's defaults: an intra-op
 * pool of one thread per core whose threads spin while they wait for work. With two encoders on a
 * shared machine, the pools of both sessions spin against each other and against the server:
 * measured on 2 cores, that cost MiniLM 11.5 ms and BGE 20.8 ms of CPU per ticket against 7.0 ms and
 * 10.2 ms with one thread per run and no spinning (load average about 20; see docs/tickets.md).
 * Parallelism comes instead from {@code embedAll}, which runs its texts on an executor with a thread
 * per core, and from the classifier's encoders, which work on a ticket at the same time.
 *
 * <p>Tokenizing, long texts (split into 510-token windows and averaged) and pooling are
 * LangChain4j's, so the vectors are those its own model classes give.
 */
final class OnnxEmbeddingModel extends AbstractInProcessEmbeddingModel {

    private final OnnxBertBiEncoder encoder;
    private final int dimension;

    /**
     * @param name              a short name for its threads, e.g. {@code "bge"}
     * @param anchor            a class of the jar holding the resources (not initialised: LangChain4j's
     *                          model classes load their own session when they are)
     * @param modelResource     the ONNX file, at the root of that jar
     * @param tokenizerResource the tokenizer.json, at the root of that jar
     * @param pooling           how the token vectors become one
     * @param dimension         the vectors' length
     * @param intraOpThreads    ONNX Runtime threads per run (1 unless the property below says otherwise)
     */
    OnnxEmbeddingModel(String name, Class<?> anchor, String modelResource, String tokenizerResource, PoolingMode pooling, int dimension,
                       int intraOpThreads) {
        super(executor(name));
        this.dimension = dimension;
        ClassLoader loader = anchor.getClassLoader();
        // Kept unpacked (see Unpacked) when the server's main says where: ONNX Runtime's native library (before
        // anything of ONNX Runtime loads it, SessionOptions included), and the model.
        Path unpacked = Embeddings.modelCache();
        if (unpacked != null) Unpacked.onnxRuntimeNatives(unpacked);
        try (InputStream model = open(loader, modelResource); InputStream tokenizer = open(loader, tokenizerResource);
             OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            // Threads that spin waiting for the next run burn the CPU the other encoder and the server need.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            OrtEnvironment environment = OrtEnvironment.getEnvironment();
            Path file = unpacked == null ? null : Unpacked.file(loader, modelResource, unpacked);
            OrtSession session = file != null ? environment.createSession(file.toString(), options)
                    : environment.createSession(model.readAllBytes(), options);
            this.encoder = new OnnxBertBiEncoder(environment, session, tokenizer, pooling);
        } catch (IOException | OrtException e) {
            throw new IllegalStateException("could not load the embedding model " + modelResource + ": " + e.getMessage(), e);
        }
    }

    /** ONNX Runtime threads per run: the system property {@code baton.embedding.threads}, 1 by default. */
    static int intraOpThreads() {
        return Math.max(1, Integer.getInteger("baton.embedding.threads", 1));
    }

    private static InputStream open(ClassLoader loader, String resource) throws IOException {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) throw new IOException("no resource " + resource + " on the class path");
        return in;
    }

    /**
     * As LangChain4j's default, a thread per core for {@code embedAll}, but daemon threads named after
     * the model, which end after a minute idle rather than a second (a thread is cheaper to keep than to start).
     */
    private static ExecutorService executor(String name) {
        int n = Runtime.getRuntime().availableProcessors();
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "embed-" + name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    @Override
    protected OnnxBertBiEncoder model() {
        return encoder;
    }

    @Override
    protected Integer knownDimension() {
        return dimension;
    }
}
