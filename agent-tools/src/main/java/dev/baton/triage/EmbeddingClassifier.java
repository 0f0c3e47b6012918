package dev.baton.triage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;

/**
 * Classifies tickets without a chat model. The labelled examples are embedded in-process by the
 * {@link Encoder encoders} a {@link Recipe} names; by default ({@link Recipe#DEFAULT}, chosen by
 * cross-validation) a logistic regression over MiniLM ⊕ BGE embeddings, averaged with a vote of the
 * 10 nearest examples by BGE, gives each category a probability, calibrated by temperature scaling
 * on k-fold out-of-fold predictions of the examples. The same out-of-fold predictions give
 * {@link #suggestedThreshold(double)}.
 *
 * <p>Threads: training runs on a background thread at construction and after
 * {@link #learn corrections}; each trained model is published with one volatile write, so
 * {@link #classify} never waits for retraining (only, bounded, for the very first model).
 * Each encoder has a thread that embeds every ticket waiting for it in one {@code embedAll} call,
 * and the encoders work on a ticket at the same time. A correction takes effect at once: the same
 * or a near-identical text is answered with the corrected category (method {@code "correction"},
 * confidence 1) before retraining folds it in. {@link #progress()} says how far the first training is.
 *
 * <p>Embeddings and trained weights are cached on disk, named by a SHA-256 of the examples and
 * the settings, so a restart neither re-embeds nor retrains.
 */
public final class EmbeddingClassifier implements TicketClassifier, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingClassifier.class);
    private static final int EMBED_BATCH = 64;
    /**
     * How many of a long ticket's chunks, the most like a labelled example by the recipe's first encoder, are read
     * again by every encoder ({@link TicketText#candidates}, which adds the chunks holding them).
     */
    static final int CANDIDATE_CHUNKS = 5;
    /**
     * How much a candidate chunk's confidence (the recipe's top probability for it) adds to its likeness to a
     * labelled example when the classifier picks the chunk to read: a sentence of chatter can sit near some example
     * yet leave the classifier unsure between categories, where the request does not.
     */
    static final double CONFIDENCE_WEIGHT = 0.05;
    /**
     * How much less a candidate chunk may score than the best one and still be read instead, when it holds that
     * one ({@link TicketText#chosen}). The three settings were chosen together on {@code LongTicketEval}'s held-out
     * requests as emails; see docs/tickets.md.
     */
    static final double WIDER_CHUNK_REACH = 0.03;
    /**
     * The least likeness to a labelled example, by the recipe's first encoder, of a short ticket's subject that reads
     * like a request, so that the ticket is read whole rather than by its body alone ({@link TicketText.Pooling#SUBJECT_IF_REQUEST}).
     * Chosen on the 20% of BANKING77's training split held out (seed 42) with the other 80% as examples, each request
     * given a generic subject ("Help", "Question about my account", ...) and, separately, another request of its
     * category as the subject: 0.7 for MiniLM read the generic ones as well as no subject (0.9294 against 0.9209
     * whole) and lost 0.25 points where the subject helps (0.9825 against 0.9850 whole). About 2% of held-out
     * requests are less like an example than that; BGE's 0.85 is the same share, not chosen separately. An encoder
     * not named here reads the whole ticket.
     */
    static final Map<String, Double> SUBJECT_FLOOR = Map.of("minilm", 0.7, "bge", 0.85);
    /** How many subjects' embeddings are kept. */
    private static final int SUBJECT_CACHE = 4_096;
    private static final String CACHE_VERSION = "2";

    /**
     * Settings.
     *
     * @param recipe               what the classifier is made of
     * @param epochs               Adam's training epochs ({@link Recipe.Trainer#ADAM} only)
     * @param learningRate         Adam's initial step ({@link Recipe.Trainer#ADAM} only)
     * @param l2                   Adam's weight decay ({@link Recipe.Trainer#ADAM} only; L-BFGS uses {@link #regression()})
     * @param sparseWeight         scale of the TF-IDF features against the standardised embedding (Adam only)
     * @param folds                cross-validation folds for calibration and the suggested threshold
     * @param correctionSimilarity cosine similarity from which a text counts as near-identical to a correction
     * @param readyTimeout         how long {@link #classify} waits for the first model
     * @param retrainDelay         corrections arriving within this delay are folded in by one retraining
     */
    public record Options(Recipe recipe, int epochs, double learningRate, double l2, double sparseWeight, int folds,
                          double correctionSimilarity, Duration readyTimeout, Duration retrainDelay) {

        /** The defaults, chosen by measurement on BANKING77 (see docs/tickets.md). */
        public static Options defaults() {
            return new Options(Recipe.DEFAULT, 10, 0.002, 3e-4, 2.0, 5, 0.95, Duration.ofMinutes(10), Duration.ofSeconds(1));
        }

        public Options withRecipe(Recipe r) {
            return new Options(r, epochs, learningRate, l2, sparseWeight, folds, correctionSimilarity, readyTimeout,
                    retrainDelay);
        }

        public Options withFolds(int f) {
            return new Options(recipe, epochs, learningRate, l2, sparseWeight, f, correctionSimilarity, readyTimeout,
                    retrainDelay);
        }

        public Options withTraining(int epochs, double learningRate, double l2, double sparseWeight) {
            return new Options(recipe, epochs, learningRate, l2, sparseWeight, folds, correctionSimilarity, readyTimeout,
                    retrainDelay);
        }

        public Options withReadyTimeout(Duration d) {
            return new Options(recipe, epochs, learningRate, l2, sparseWeight, folds, correctionSimilarity, d,
                    retrainDelay);
        }

        SoftmaxRegression.Params params() {
            return new SoftmaxRegression.Params(epochs, 64, learningRate, l2, sparseWeight, 42);
        }

        /** The L-BFGS regression's settings ({@link Recipe.Trainer#LBFGS}): the defaults chosen by measurement. */
        LogisticRegression.Settings regression() {
            return LogisticRegression.Settings.warmStarted();
        }

        String key() {
            LogisticRegression.Settings r = regression();
            // threads are left out: the fit is the same whatever the threads
            String training = recipe.trainer() == Recipe.Trainer.ADAM
                    ? epochs + "|" + learningRate + "|" + l2 + "|" + sparseWeight
                    : r.l2() + "|" + r.maxIterations() + "|" + r.startIterations() + "|" + r.warmIterations() + "|" + r.tolerance()
                    + "|" + r.history() + "|" + r.standardise();
            String firstLook = recipe.firstLook() == null ? "" : "|first look within " + FirstLook.MAX_ACCURACY_COST;
            return recipe.key() + "|" + training + "|" + folds + firstLook;
        }
    }

    /**
     * How far the first training is.
     *
     * @param phase          what it is doing
     * @param embedded       example embeddings computed so far (one per example and encoder; cached ones are not counted)
     * @param toEmbed        example embeddings to compute in all (0 when all came from the cache)
     * @param foldsTrained   cross-validation folds fitted so far, then the final model as one more
     * @param folds          cross-validation folds plus the final model
     * @param elapsed        since the classifier was created
     * @param remaining      an estimate of the time left, from the rates measured so far; null until there is one
     */
    public record Progress(Phase phase, long embedded, long toEmbed, int foldsTrained, int folds, Duration elapsed,
                           Duration remaining) {

        /** The steps of the first training. */
        public enum Phase { LOADING, EMBEDDING, TRAINING, READY, FAILED }
    }

    /** One trained model and everything {@link #classify} needs from it. Immutable. */
    private record Trained(List<LabelledExample> examples, Map<String, float[][]> embeddings, List<String> categories,
                           Map<String, Integer> categoryIndex, TfIdf tfidf, LinearModel model,
                           double temperature, Calibration calibration, FirstLook firstLook) {
    }

    /** Out-of-fold confidences and whether each was right, sorted by confidence, most confident first. */
    private record Calibration(double temperature, double[] confidence, boolean[] correct, double accuracy) {
    }

    private record Correction(String category, Map<String, float[]> embedding, String text) {
    }

    private record EmbedRequest(String text, CompletableFuture<float[]> result) {
    }

    /** One encoder and the thread that embeds the tickets waiting for it, together. */
    private final class EncoderLane {
        final Encoder encoder;
        final BlockingQueue<EmbedRequest> queue = new LinkedBlockingQueue<>();
        final Thread thread;

        EncoderLane(Encoder encoder) {
            this.encoder = encoder;
            this.thread = daemon(this::loop, "triage-embed-" + encoder.name());
        }

        CompletableFuture<float[]> submit(String text) {
            CompletableFuture<float[]> f = new CompletableFuture<>();
            queue.add(new EmbedRequest(text, f));
            if (closed) failWaiting();
            return f;
        }

        /** Takes every request waiting and embeds them in one call: tickets that arrive together share the cost. */
        private void loop() {
            List<EmbedRequest> batch = new ArrayList<>();
            while (!closed) {
                try {
                    batch.add(queue.take());
                } catch (InterruptedException e) {
                    break;
                }
                queue.drainTo(batch, EMBED_BATCH - 1);
                try {
                    List<float[]> vectors = embedTexts(encoder, batch.stream().map(EmbedRequest::text).toList());
                    for (int i = 0; i < batch.size(); i++) batch.get(i).result().complete(vectors.get(i));
                } catch (Throwable t) {
                    for (EmbedRequest r : batch) r.result().completeExceptionally(t);
                }
                batch.clear();
            }
            failWaiting();
        }

        void failWaiting() {
            EmbedRequest r;
            while ((r = queue.poll()) != null) r.result().completeExceptionally(new IllegalStateException("closed"));
        }
    }

    private final Map<String, EncoderLane> lanes = new LinkedHashMap<>();
    private final Cache<String, float[]> subjectVectors = Caffeine.newBuilder().maximumSize(SUBJECT_CACHE).build();
    private final Options options;
    private final Recipe recipe;
    private final EmbeddingCache cache;
    private final String examplesKey;
    private final List<LabelledExample> baseExamples;
    private final Set<String> categories = ConcurrentHashMap.newKeySet();
    private final Map<String, Correction> corrections = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final ExecutorService trainer;
    private final AtomicBoolean retrainPending = new AtomicBoolean();
    private final AtomicLong examplesEmbedded = new AtomicLong();
    private final AtomicLong trainings = new AtomicLong();
    private final AtomicLong classified = new AtomicLong();
    private final AtomicLong answeredAtFirstLook = new AtomicLong();
    private final long createdNanos = System.nanoTime();
    private volatile Progress.Phase phase = Progress.Phase.LOADING;
    private volatile long toEmbed;
    private volatile long embeddingStartedNanos;
    private volatile int foldsTrained;
    private volatile long trainingStartedNanos;
    private volatile Trained current;
    private final Map<String, TiledRows> tiledRows = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Starts embedding and training in the background; returns at once.
     *
     * @param examples    the labelled examples (at least one category with at least one example)
     * @param examplesKey a SHA-256 of the examples' source (for a file, of its bytes), naming the cache entries
     * @param encoders    the encoders, at least those the recipe names
     * @param cacheDir    where embeddings and weights are kept, null for nowhere
     */
    public EmbeddingClassifier(List<LabelledExample> examples, String examplesKey, List<Encoder> encoders,
                               Path cacheDir, Options options) {
        this(new EmbeddingCache(cacheDir), examples, examplesKey, encoders, options);
    }

    /** As the public constructor, with the cache given (e.g. without the bundled layer, for {@link Pretrain}). */
    EmbeddingClassifier(EmbeddingCache cache, List<LabelledExample> examples, String examplesKey, List<Encoder> encoders,
                        Options options) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no labelled examples");
        this.baseExamples = List.copyOf(examples);
        this.examplesKey = examplesKey;
        this.options = options;
        this.recipe = options.recipe();
        Map<String, Encoder> byName = new HashMap<>();
        for (Encoder e : encoders) byName.put(e.name(), e);
        for (String name : recipe.encoders()) {
            Encoder e = byName.get(name);
            if (e == null) throw new IllegalArgumentException("the recipe " + recipe.name() + " needs the encoder '" + name
                    + "'; given: " + byName.keySet());
            lanes.put(name, new EncoderLane(e));
        }
        this.cache = cache;
        for (LabelledExample e : baseExamples) categories.add(e.category());
        this.trainer = Executors.newSingleThreadExecutor(r -> daemon(r, "triage-train"));
        for (EncoderLane lane : lanes.values()) lane.thread.start();
        trainer.execute(() -> {
            try {
                current = trainInitial();
                phase = Progress.Phase.READY;
                ready.complete(null);
                LOG.info("Ticket classifier ready: {} examples, {} categories, recipe {}, temperature {}",
                        baseExamples.size(), current.categories().size(), recipe.name(),
                        String.format(Locale.ROOT, "%.3f", current.temperature()));
            } catch (Throwable t) {
                phase = Progress.Phase.FAILED;
                if (!closed) LOG.error("The ticket classifier could not be trained", t);
                ready.completeExceptionally(t);
            }
        });
    }

    /** A SHA-256 key for examples given as a list (the eval's training part): of their CSV form. */
    public static String keyOf(List<LabelledExample> examples) {
        return EmbeddingCache.sha256(ExamplesCsv.format(examples));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** How far the first training is; READY once {@link #ready()} completed. */
    public Progress progress() {
        long now = System.nanoTime();
        Progress.Phase p = phase;
        long embedded = examplesEmbedded.get();
        long total = toEmbed;
        int folds = Math.max(2, options.folds()) + 1;
        int trained = foldsTrained;
        Duration remaining = null;
        if (p == Progress.Phase.EMBEDDING && embedded > 0) {
            double perExample = (double) (now - embeddingStartedNanos) / embedded;
            remaining = Duration.ofNanos((long) (perExample * (total - embedded)));
        } else if (p == Progress.Phase.TRAINING && trained > 0) {
            double perFold = (double) (now - trainingStartedNanos) / trained;
            remaining = Duration.ofNanos((long) (perFold * (folds - trained)));
        } else if (p == Progress.Phase.READY || p == Progress.Phase.FAILED) {
            remaining = Duration.ZERO;
        }
        return new Progress(p, embedded, total, trained, folds, Duration.ofNanos(now - createdNanos), remaining);
    }

    /** Completes when the first model is trained (exceptionally if training failed). */
    public CompletableFuture<Void> ready() {
        return ready.copy();
    }

    /** How many example embeddings this instance has computed, one per example and encoder (0 when all came from the cache). */
    public long examplesEmbedded() {
        return examplesEmbedded.get();
    }

    /**
     * The share of the tickets classified so far (corrections aside) that the recipe's first look answered
     * alone, without the other encoders; 0 without a first look or before the first ticket.
     */
    public double firstLookShare() {
        long n = classified.get();
        return n == 0 ? 0 : (double) answeredAtFirstLook.get() / n;
    }

    /** How many models this instance has trained, not counting cross-validation folds. */
    public long trainings() {
        return trainings.get();
    }

    @Override
    public Set<String> categories() {
        return Set.copyOf(categories);
    }

    /** The recipe in use. */
    public Recipe recipe() {
        return recipe;
    }

    @Override
    public Classification classify(TicketText ticket) {
        Correction exact = corrections.get(normalise(requireText(ticket)));
        if (exact != null) return corrected(exact);
        Reading read = read(ticket);
        Correction near = nearestCorrection(read.vectors());
        if (near != null) return corrected(near);
        Trained t = awaitModel();
        double[] first = recipe.firstLook() == null ? null : firstLook(t, read.vectors());
        boolean sure = first != null && t.firstLook().sure(first);
        double[] p = sure ? first : probabilities(t, read.text(), complete(read).vectors());
        classified.incrementAndGet();
        if (sure) answeredAtFirstLook.incrementAndGet();
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> -p[i]));
        List<Prediction> alternatives = new ArrayList<>(3);
        for (int r = 1; r < Math.min(4, order.length); r++) {
            alternatives.add(new Prediction(t.categories().get(order[r]), p[order[r]]));
        }
        return new Classification(t.categories().get(order[0]), p[order[0]], alternatives, "classifier", null);
    }

    /**
     * The k labelled examples most similar to the ticket (cosine similarity of the
     * {@link Recipe#similarityEncoder() similarity encoder's} embeddings), most similar first,
     * corrections included; for a model's prompt.
     */
    public List<LabelledExample> similar(TicketText ticket, int k) {
        String encoder = recipe.similarityEncoder();
        float[] x = read(ticket).vectors().get(encoder);
        Trained t = awaitModel();
        List<LabelledExample> pool = new ArrayList<>(t.examples());
        List<float[]> vectors = new ArrayList<>(Arrays.asList(t.embeddings().get(encoder)));
        for (Correction c : corrections.values()) {
            pool.add(new LabelledExample(c.text(), c.category()));
            vectors.add(c.embedding().get(encoder));
        }
        double[] sim = new double[pool.size()];
        for (int i = 0; i < sim.length; i++) sim[i] = dot(x, vectors.get(i));
        Integer[] order = new Integer[sim.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> -sim[i]));
        Map<String, LabelledExample> out = new LinkedHashMap<>();
        for (Integer i : order) {
            if (out.size() >= k) break;
            LabelledExample e = pool.get(i);
            out.putIfAbsent(normalise(e.text()), e);
        }
        return List.copyOf(out.values());
    }

    /**
     * The lowest confidence threshold at which the tickets accepted (confidence at or above it)
     * reach the target precision with a standard error to spare ({@link ReviewThreshold}), from the
     * k-fold out-of-fold predictions on the examples alone. 1.0 if no threshold reaches it. Waits
     * for the first model.
     */
    public double suggestedThreshold(double targetPrecision) {
        Calibration c = awaitModel().calibration();
        return ReviewThreshold.choose(c.confidence(), c.correct(), targetPrecision, ReviewThreshold.MARGIN);
    }

    /** The accuracy of the out-of-fold predictions on the examples (cross-validation). */
    public double crossValidatedAccuracy() {
        return awaitModel().calibration().accuracy();
    }

    /** The softmax temperature fitted on the out-of-fold predictions. */
    public double temperature() {
        return awaitModel().temperature();
    }

    @Override
    public void learn(LabelledExample example) {
        String text = example.text() == null ? "" : example.text().strip();
        learn(text, example.category(), () -> read(new TicketText("", text)));
    }

    /** The correction is matched by the ticket's joined text, and by what the classifier reads of it. */
    @Override
    public void learn(TicketText ticket, String category) {
        learn(ticket.joined(), category, () -> read(ticket));
    }

    private void learn(String text, String category, Supplier<Reading> reading) {
        if (text.isEmpty()) throw new IllegalArgumentException("a correction needs a text");
        if (category == null || category.isBlank()) throw new IllegalArgumentException("a correction needs a category");
        Map<String, float[]> x = complete(reading.get()).vectors();
        corrections.put(normalise(text), new Correction(category, x, text));
        categories.add(category);
        scheduleRetrain();
    }

    private Classification corrected(Correction c) {
        return new Classification(c.category(), 1.0, List.of(), "correction",
                "A person filed a ticket like this one under " + c.category() + ".");
    }

    private Correction nearestCorrection(Map<String, float[]> x) {
        String encoder = recipe.similarityEncoder();
        Correction best = null;
        double bestSim = options.correctionSimilarity();
        for (Correction c : corrections.values()) {
            double s = dot(x.get(encoder), c.embedding().get(encoder));
            if (s >= bestSim) {
                bestSim = s;
                best = c;
            }
        }
        return best;
    }

    private static String requireText(TicketText ticket) {
        String text = ticket.joined();
        if (text.isEmpty()) throw new IllegalArgumentException("the ticket has neither subject nor body");
        return text;
    }

    /** Lower case, letters and digits only, single spaces: texts equal under this are the same ticket. */
    static String normalise(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }

    private Trained awaitModel() {
        Trained t = current;
        if (t != null) return t;
        try {
            ready.get(options.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ticket classifier", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the ticket classifier could not be trained: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the ticket classifier is still training (waited "
                    + options.readyTimeout().toSeconds() + " s)");
        }
        return current;
    }

    /** The first look's probabilities: its encoder's nearest examples' vote. */
    private double[] firstLook(Trained t, Map<String, float[]> x) {
        String e = recipe.firstLook();
        double[] logits = knnVote(rowsOf(e, t.embeddings().get(e)).similarities(x.get(e)), t.examples(), t.categoryIndex(),
                recipe.k(), recipe.vote());
        return SoftmaxRegression.softmax(logits, 1);
    }

    private double[] probabilities(Trained t, String text, Map<String, float[]> x) {
        return SoftmaxRegression.softmax(logits(t, text, x), t.temperature());
    }

    private double[] logits(Trained t, String text, Map<String, float[]> x) {
        double[] knn = recipe.neighbours() == null ? null
                : knnVote(rowsOf(recipe.neighbours(), t.embeddings().get(recipe.neighbours())).similarities(x.get(recipe.neighbours())),
                        t.examples(), t.categoryIndex(), recipe.k(), recipe.vote());
        if (t.model() == null) return knn;
        double[] lr = t.model().logits(concat(x), t.tfidf() == null ? null : t.tfidf().transform(text));
        return knn == null ? lr : average(lr, knn);
    }

    /** The regression's features for one text: its embeddings by the regression's encoders, concatenated in order. */
    private float[] concat(Map<String, float[]> vectors) {
        int d = 0;
        for (String e : recipe.regression()) d += vectors.get(e).length;
        float[] out = new float[d];
        int at = 0;
        for (String e : recipe.regression()) {
            float[] v = vectors.get(e);
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    /** The regression's features for every example. */
    private float[][] features(Map<String, float[][]> embeddings, int n) {
        float[][] x = new float[n][];
        Map<String, float[]> row = new HashMap<>();
        for (int i = 0; i < n; i++) {
            for (String e : recipe.regression()) row.put(e, embeddings.get(e)[i]);
            x[i] = concat(row);
        }
        return x;
    }

    /**
     * Log of the similarity-weighted vote shares of the k nearest examples; with {@code fold}
     * given, examples of fold {@code hidden} are skipped (cross-validation without copying).
     */
    static double[] knnLogits(float[][] emb, List<LabelledExample> examples, Map<String, Integer> index,
                              float[] x, int[] fold, int hidden, int k, Recipe.Vote vote) {
        float[] sim = new float[emb.length];
        for (int i = 0; i < sim.length; i++) {
            sim[i] = fold != null && fold[i] == hidden ? Float.NEGATIVE_INFINITY : SoftmaxRegression.dot(emb[i], 0, x, x.length);
        }
        return knnVote(sim, examples, index, k, vote);
    }

    /** As {@link #knnLogits}, from every example's similarity to the ticket ({@code -Infinity}: skipped). */
    static double[] knnVote(float[] sim, List<LabelledExample> examples, Map<String, Integer> index, int k, Recipe.Vote vote) {
        int[] top = new int[k];
        double[] topSim = new double[k];
        Arrays.fill(topSim, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < sim.length; i++) {
            double s = sim[i];
            if (s > topSim[k - 1]) {
                int j = k - 1;
                while (j > 0 && topSim[j - 1] < s) {
                    topSim[j] = topSim[j - 1];
                    top[j] = top[j - 1];
                    j--;
                }
                topSim[j] = s;
                top[j] = i;
            }
        }
        double[] votes = new double[index.size()];
        for (int j = 0; j < k; j++) {
            if (topSim[j] == Double.NEGATIVE_INFINITY) continue;
            double weight = vote == Recipe.Vote.INVERSE_DISTANCE
                    ? 1 / Math.max(1e-6, 1 - topSim[j])
                    // exp(s / 0.05): the nearest neighbours dominate, a far tenth one barely counts
                    : Math.exp((topSim[j] - topSim[0]) / 0.05);
            votes[index.get(examples.get(top[j]).category())] += weight;
        }
        double total = Arrays.stream(votes).sum();
        double[] logits = new double[votes.length];
        for (int c = 0; c < votes.length; c++) logits[c] = Math.log(votes[c] / total + 1e-4);
        return logits;
    }

    /** An encoder's example vectors as {@link TiledRows}, made once per trained model (the array is the model's). */
    private TiledRows rowsOf(String encoder, float[][] rows) {
        TiledRows f = tiledRows.get(encoder);
        if (f == null || f.rows() != rows) tiledRows.put(encoder, f = TiledRows.of(rows));
        return f;
    }

    /** Log of the average of two probability vectors given as logits: the ensemble's "logits". */
    private static double[] average(double[] regressionLogits, double[] knnLogits) {
        double[] a = SoftmaxRegression.softmax(regressionLogits, 1);
        double[] b = SoftmaxRegression.softmax(knnLogits, 1);
        double[] out = new double[a.length];
        for (int c = 0; c < a.length; c++) out[c] = Math.log(0.5 * a[c] + 0.5 * b[c] + 1e-12);
        return out;
    }

    // ---- embedding --------------------------------------------------------------------------

    /**
     * The text the classifier reads for a ticket, and its embeddings: for a one-liner, by the first look's
     * encoder only when the recipe has a first look (see {@link #complete}); else by every encoder of the recipe.
     */
    private record Reading(String text, Map<String, float[]> vectors) {
    }

    /** The reading with the text embedded by every encoder of the recipe. */
    private Reading complete(Reading read) {
        return completeAll(List.of(read)).get(0);
    }

    /** The readings with their texts embedded by every encoder of the recipe, all submitted before any is awaited. */
    private List<Reading> completeAll(List<Reading> reads) {
        List<Map<String, CompletableFuture<float[]>>> pending = new ArrayList<>();
        for (Reading read : reads) {
            Map<String, CompletableFuture<float[]>> p = new LinkedHashMap<>();
            for (EncoderLane lane : lanes.values()) {
                if (!read.vectors().containsKey(lane.encoder.name())) p.put(lane.encoder.name(), lane.submit(read.text()));
            }
            pending.add(p);
        }
        List<Reading> out = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            Reading read = reads.get(i);
            if (pending.get(i).isEmpty()) {
                out.add(read);
                continue;
            }
            Map<String, float[]> vectors = new HashMap<>(read.vectors());
            for (Map.Entry<String, CompletableFuture<float[]>> e : pending.get(i).entrySet()) vectors.put(e.getKey(), await(e.getValue()));
            out.add(new Reading(read.text(), vectors));
        }
        return out;
    }

    /**
     * A one-liner is read whole; a short ticket with a subject of its own whole or by its body alone, as the
     * subject reads like a request or not ({@link #subjectOrBody}). A long mail ({@link TicketText#chunks()}: the cleaned subject,
     * sentences and pairs of sentences) is read in two steps. The recipe's first encoder embeds every chunk,
     * and the {@link #CANDIDATE_CHUNKS} most like a labelled example, with the chunks holding them, are
     * the candidates ({@link TicketText#candidates}). Every encoder of the recipe then reads the candidates,
     * and the one read is the candidate most like an example by the recipe's last encoder (the vote's, the
     * stronger one in the default), plus {@link #CONFIDENCE_WEIGHT} times the classifier's confidence in it,
     * or a longer candidate holding it that scores nearly as well ({@link TicketText#chosen},
     * {@link #WIDER_CHUNK_REACH}). Greetings, context and quoted replies are like no request, so a request
     * at the end of a long mail is found as surely as one at the start.
     */
    private Reading read(TicketText ticket) {
        TicketText.Chunks chunks = ticket.chunks();
        if (chunks.pooling() == TicketText.Pooling.SUBJECT_IF_REQUEST) return readOne(subjectOrBody(chunks));
        if (chunks.pooling() == TicketText.Pooling.SINGLE || chunks.texts().size() == 1) return readOne(chunks.texts().get(0));
        List<String> texts = chunks.texts();
        String first = recipe.encoders().iterator().next();
        List<CompletableFuture<float[]>> pending = new ArrayList<>();
        for (String piece : texts) pending.add(lanes.get(first).submit(piece));
        float[] likeness = new float[texts.size()];
        List<float[]> firstVectors = new ArrayList<>();
        Trained t = awaitModel();
        for (int i = 0; i < texts.size(); i++) {
            firstVectors.add(await(pending.get(i)));
            likeness[i] = likeness(t, first, firstVectors.get(i));
        }
        List<Integer> candidates = TicketText.candidates(texts, likeness, CANDIDATE_CHUNKS);
        List<Reading> readings = new ArrayList<>();
        for (int i : candidates) readings.add(new Reading(texts.get(i), Map.of(first, firstVectors.get(i))));
        readings = completeAll(readings);
        String last = List.copyOf(recipe.encoders()).get(recipe.encoders().size() - 1);
        float[] score = new float[readings.size()];
        for (int c = 0; c < readings.size(); c++) {
            Reading r = readings.get(c);
            double confidence = Arrays.stream(probabilities(t, r.text(), r.vectors())).max().orElse(0);
            score[c] = (float) (likeness(t, last, r.vectors().get(last)) + CONFIDENCE_WEIGHT * confidence);
        }
        return readings.get(TicketText.chosen(readings.stream().map(Reading::text).toList(), score, WIDER_CHUNK_REACH));
    }

    /** One text, embedded by every encoder of the recipe, or by the first look's encoder only when it has one. */
    private Reading readOne(String text) {
        if (recipe.firstLook() == null) return new Reading(text, embed(text));
        return new Reading(text, Map.of(recipe.firstLook(), await(lanes.get(recipe.firstLook()).submit(text))));
    }

    /**
     * A short ticket's whole text when its subject reads like a request ({@link #SUBJECT_FLOOR} by the recipe's
     * first encoder), else its body alone ({@link TicketText.Chunks#subjectOrBody}). The subject's embedding is
     * kept: the same few generic subjects come again and again.
     */
    private String subjectOrBody(TicketText.Chunks chunks) {
        String first = recipe.encoders().iterator().next();
        Double floor = SUBJECT_FLOOR.get(first);
        if (floor == null) return chunks.texts().get(0);
        String text = chunks.texts().get(1);
        float[] subject = subjectVectors.getIfPresent(text);
        if (subject == null) {
            // embedded outside the cache's lock (a compute would hold it for the embedding); two tickets with the same
            // new subject at once may both embed it, to the same vector
            subject = await(lanes.get(first).submit(text));
            subjectVectors.put(text, subject);
        }
        return chunks.subjectOrBody(likeness(awaitModel(), first, subject), floor);
    }

    /** The highest cosine similarity of a vector to the examples, by one encoder. */
    private float likeness(Trained t, String encoder, float[] vector) {
        float best = Float.NEGATIVE_INFINITY;
        for (float sim : rowsOf(encoder, t.embeddings().get(encoder)).similarities(vector)) best = Math.max(best, sim);
        return best;
    }

    private static float[] await(CompletableFuture<float[]> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while embedding a ticket", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("embedding the ticket failed: " + e.getCause(), e.getCause());
        }
    }

    /** The text's embedding by every encoder of the recipe, computed by the encoders at the same time. */
    private Map<String, float[]> embed(String text) {
        if (closed) throw new IllegalStateException("the ticket classifier is closed");
        Map<String, CompletableFuture<float[]>> pending = new LinkedHashMap<>();
        for (EncoderLane lane : lanes.values()) pending.put(lane.encoder.name(), lane.submit(text));
        Map<String, float[]> out = new HashMap<>();
        for (Map.Entry<String, CompletableFuture<float[]>> e : pending.entrySet()) out.put(e.getKey(), await(e.getValue()));
        return out;
    }

    private static List<float[]> embedTexts(Encoder encoder, List<String> texts) {
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        List<Embedding> embeddings = encoder.model().embedAll(segments).content();
        List<float[]> out = new ArrayList<>(embeddings.size());
        for (Embedding e : embeddings) out.add(unit(e.vector()));
        return out;
    }

    private static float[] unit(float[] v) {
        double norm = 0;
        for (float f : v) norm += f * f;
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] * inv;
        return out;
    }

    private static double dot(float[] a, float[] b) {
        return SoftmaxRegression.dot(a, 0, b, b.length);
    }

    // ---- training ---------------------------------------------------------------------------

    private String embeddingsKey(String encoder) {
        return EmbeddingCache.sha256(CACHE_VERSION, encoder, examplesKey);
    }

    /** The examples' embeddings by every encoder of the recipe: from the cache, else computed (minutes on a cold cache). */
    private Map<String, float[][]> exampleEmbeddings() {
        Map<String, float[][]> out = new LinkedHashMap<>();
        List<EncoderLane> missing = new ArrayList<>();
        for (EncoderLane lane : lanes.values()) {
            cache.load("embeddings", embeddingsKey(lane.encoder.name()), in -> {
                float[][] m = EmbeddingCache.readMatrix(in);
                if (m.length != baseExamples.size()) throw new IOException("wrong row count");
                return m;
            }).ifPresentOrElse(m -> out.put(lane.encoder.name(), m), () -> missing.add(lane));
        }
        if (missing.isEmpty()) return out;
        toEmbed = (long) missing.size() * baseExamples.size();
        embeddingStartedNanos = System.nanoTime();
        phase = Progress.Phase.EMBEDDING;
        long reported = embeddingStartedNanos;
        for (EncoderLane lane : missing) {
            long start = System.nanoTime();
            float[][] m = new float[baseExamples.size()][];
            for (int i = 0; i < m.length; i += EMBED_BATCH) {
                if (closed) throw new IllegalStateException("closed");
                if (System.nanoTime() - reported > 10_000_000_000L) { // minutes on a cold cache: say how far it is
                    reported = System.nanoTime();
                    Progress p = progress();
                    LOG.info("Embedding the ticket examples: {} of {} embeddings done, about {} s left", p.embedded(),
                            p.toEmbed(), p.remaining() == null ? "?" : p.remaining().toSeconds());
                }
                List<String> texts = new ArrayList<>();
                for (int j = i; j < Math.min(m.length, i + EMBED_BATCH); j++) texts.add(baseExamples.get(j).text());
                List<float[]> v = embedTexts(lane.encoder, texts);
                for (int j = 0; j < v.size(); j++) m[i + j] = v.get(j);
                examplesEmbedded.addAndGet(v.size());
            }
            LOG.info("Embedded {} examples with {} in {} ms", m.length, lane.encoder.name(), (System.nanoTime() - start) / 1_000_000);
            cache.store("embeddings", embeddingsKey(lane.encoder.name()), o -> EmbeddingCache.writeMatrix(o, m));
            out.put(lane.encoder.name(), m);
        }
        return out;
    }

    private Trained trainInitial() {
        Map<String, float[][]> emb = exampleEmbeddings();
        List<String> cats = baseExamples.stream().map(LabelledExample::category).distinct().sorted().toList();
        String key = EmbeddingCache.sha256(CACHE_VERSION, examplesKey, options.key());
        Map<String, Integer> index = indexOf(cats);
        TfIdf tfidf = recipe.tfidf() ? fitTfIdf(baseExamples) : null;
        var cached = cache.load("model", key, in -> {
            Calibration cal = readCalibration(in);
            FirstLook first = new FirstLook(in.readDouble());
            LinearModel m = in.readBoolean() ? LinearModel.read(in) : null;
            return new Trained(baseExamples, emb, cats, index, tfidf, m, cal.temperature(), cal, first);
        });
        if (cached.isPresent()) return cached.get();
        phase = Progress.Phase.TRAINING;
        trainingStartedNanos = System.nanoTime();
        long start = System.nanoTime();
        float[][] x = recipe.regression().isEmpty() ? null : features(emb, baseExamples.size());
        CrossValidated cv = crossValidate(baseExamples, emb, x, index, tfidf);
        Calibration cal = cv.calibration();
        LinearModel model = cv.model();
        trainings.incrementAndGet();
        LOG.info("Trained the ticket classifier ({} folds and the final model) in {} ms; out-of-fold accuracy {}{}",
                options.folds(), (System.nanoTime() - start) / 1_000_000,
                String.format(Locale.ROOT, "%.4f", cal.accuracy()), recipe.firstLook() == null ? ""
                        : String.format(Locale.ROOT, "; the first look (%s) answers alone from a vote share of %.3f",
                        recipe.firstLook(), cv.firstLook().threshold()));
        FirstLook first = cv.firstLook();
        cache.store("model", key, out -> {
            writeCalibration(out, cal);
            out.writeDouble(first.threshold());
            out.writeBoolean(model != null);
            if (model != null) LinearModel.write(model, out);
        });
        return new Trained(baseExamples, emb, cats, index, tfidf, model, cal.temperature(), cal, first);
    }

    private static Map<String, Integer> indexOf(List<String> cats) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < cats.size(); i++) index.put(cats.get(i), i);
        return Map.copyOf(index);
    }

    private static TfIdf fitTfIdf(List<LabelledExample> examples) {
        return TfIdf.fit(examples.stream().map(LabelledExample::text).toList(), 2);
    }

    private LinearModel fit(List<LabelledExample> examples, float[][] x, Map<String, Integer> index, TfIdf tfidf) {
        int[] y = labels(examples, index);
        if (recipe.trainer() == Recipe.Trainer.LBFGS) {
            return LogisticRegression.fit(x, y, index.size(), options.regression(), () -> closed).model();
        }
        TfIdf.Sparse[] s = null;
        if (tfidf != null) {
            s = new TfIdf.Sparse[examples.size()];
            for (int i = 0; i < s.length; i++) s[i] = tfidf.transform(examples.get(i).text());
        }
        return SoftmaxRegression.train(x, s, y, index.size(), tfidf == null ? 0 : tfidf.size(), options.params());
    }

    private void logFold(int done, int folds) {
        LOG.info("Trained fold {} of {} of the ticket classifier ({} s so far)", done, folds,
                (System.nanoTime() - trainingStartedNanos) / 1_000_000_000);
    }

    /**
     * The calibration from the out-of-fold predictions, the regression fitted on every example (null for
     * none), and when the first look answers alone ({@link FirstLook#NEVER} without one).
     */
    private record CrossValidated(Calibration calibration, LinearModel model, FirstLook firstLook) {
    }

    private static int[] labels(List<LabelledExample> examples, Map<String, Integer> index) {
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) y[i] = index.get(examples.get(i).category());
        return y;
    }

    /**
     * Stratified k-fold cross-validation: every example is predicted by a model that never saw it;
     * the temperature that minimises the negative log-likelihood of those predictions calibrates
     * the final model's probabilities. Then the final regression on every example.
     */
    private CrossValidated crossValidate(List<LabelledExample> examples, Map<String, float[][]> emb, float[][] x,
                                         Map<String, Integer> index, TfIdf allTfidf) {
        int n = examples.size();
        int k = Math.max(2, options.folds());
        int[] fold = stratifiedFolds(examples, k, 42);
        double[][] logits = new double[n][];
        int[] y = labels(examples, index);
        LinearModel model = null;
        // The vote does not depend on the regression: it runs beside the folds, on threads of its own,
        // and takes the cores while the regression waits on its serial steps (Cholesky, line search)
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<double[][]> votes = new CompletableFuture<>();
        CompletableFuture<double[][]> firstVotes = new CompletableFuture<>();
        if (recipe.neighbours() != null) {
            daemon(() -> {
                try {
                    votes.complete(outOfFoldVotes(emb.get(recipe.neighbours()), examples, index, fold, stop));
                    firstVotes.complete(recipe.firstLook() == null ? null
                            : outOfFoldVotes(emb.get(recipe.firstLook()), examples, index, fold, stop));
                } catch (Throwable t) {
                    votes.completeExceptionally(t);
                    firstVotes.completeExceptionally(t);
                }
            }, "triage-vote").start();
        }
        try {
            model = regressionOutOfFold(examples, x, index, allTfidf, fold, y, logits);
        } catch (RuntimeException | Error e) {
            stop.set(true); // the vote is of no use without the regression
            throw e;
        }
        if (recipe.neighbours() != null) {
            double[][] knn = join(votes);
            for (int i = 0; i < n; i++) logits[i] = logits[i] == null ? knn[i] : average(logits[i], knn[i]);
        }
        if (recipe.firstLook() == null) return new CrossValidated(calibrate(logits, y, null, FirstLook.NEVER), model, FirstLook.NEVER);
        double[][] first = join(firstVotes);
        double[] share = new double[n];
        boolean[] firstRight = new boolean[n];
        boolean[] wholeRight = new boolean[n];
        for (int i = 0; i < n; i++) {
            double[] p = SoftmaxRegression.softmax(first[i], 1);
            int arg = argmax(p);
            share[i] = p[arg];
            firstRight[i] = arg == y[i];
            wholeRight[i] = argmax(logits[i]) == y[i];
        }
        FirstLook look = FirstLook.choose(share, firstRight, wholeRight, FirstLook.MAX_ACCURACY_COST);
        return new CrossValidated(calibrate(logits, y, first, look), model, look);
    }

    /** The out-of-fold votes computed beside the regression, or what stopped them. */
    private static double[][] join(CompletableFuture<double[][]> votes) {
        try {
            return votes.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The regression's out-of-fold logits (into {@code logits}; none without a regression) and its final model. */
    private LinearModel regressionOutOfFold(List<LabelledExample> examples, float[][] x, Map<String, Integer> index,
                                            TfIdf allTfidf, int[] fold, int[] y, double[][] logits) {
        int n = examples.size();
        int k = Math.max(2, options.folds());
        LinearModel model = null;
        if (x != null && recipe.trainer() == Recipe.Trainer.LBFGS) {
            var cv = LogisticRegression.crossValidate(x, y, index.size(), fold, options.regression(), done -> {
                foldsTrained = done;
                if (done <= k) logFold(done, k);
            }, () -> closed);
            for (int i = 0; i < n; i++) logits[i] = cv.outOfFold()[i];
            model = cv.model();
        } else if (x != null) {
            for (int f = 0; f < k; f++) {
                if (closed) throw new IllegalStateException("closed");
                List<Integer> trainIdx = new ArrayList<>();
                for (int i = 0; i < n; i++) if (fold[i] != f) trainIdx.add(i);
                List<LabelledExample> part = trainIdx.stream().map(examples::get).toList();
                float[][] partX = trainIdx.stream().map(i -> x[i]).toArray(float[][]::new);
                TfIdf tfidf = recipe.tfidf() ? fitTfIdf(part) : null;
                LinearModel m = fit(part, partX, index, tfidf);
                for (int i = 0; i < n; i++) {
                    if (fold[i] != f) continue;
                    logits[i] = m.logits(x[i], tfidf == null ? null : tfidf.transform(examples.get(i).text()));
                }
                foldsTrained++;
                logFold(f + 1, k);
            }
            model = fit(examples, x, index, allTfidf);
            foldsTrained++;
        } else {
            foldsTrained = k + 1;
        }
        return model;
    }

    private static int argmax(double[] v) {
        int arg = 0;
        for (int c = 1; c < v.length; c++) if (v[c] > v[arg]) arg = c;
        return arg;
    }

    /**
     * Every example's vote by its nearest examples of the other folds, as if its own fold had been
     * stored without it: {@link FoldNeighbours}' blocked product of all pairs (10,000² dot products
     * for 10,000 examples) on the trainer's threads, then the same vote as a ticket's. Stops (throws)
     * when the classifier closes or {@code stop} is set.
     */
    private double[][] outOfFoldVotes(float[][] vectors, List<LabelledExample> examples, Map<String, Integer> index,
                                      int[] fold, AtomicBoolean stop) {
        int n = vectors.length;
        int threads = options.regression().threads();
        ExecutorService pool = Parallel.pool(threads);
        FoldNeighbours near;
        try {
            near = FoldNeighbours.of(vectors, fold, recipe.k(), pool, threads,
                    () -> closed || stop.get());
        } finally {
            pool.shutdownNow();
        }
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            int[] rows = near.neighbours(i);
            int found = 0;
            while (found < rows.length && rows[found] != Integer.MAX_VALUE) found++;
            List<LabelledExample> neighbours = new ArrayList<>(found);
            for (int j = 0; j < found; j++) neighbours.add(examples.get(rows[j]));
            out[i] = knnVote(Arrays.copyOf(near.similarities(i), found), neighbours, index, recipe.k(), recipe.vote());
        }
        return out;
    }

    /**
     * The temperature and the sorted out-of-fold confidences of the out-of-fold logits; with a first look,
     * an example it is sure of counts with the first look's answer, as {@link #classify} would give it.
     */
    private static Calibration calibrate(double[][] logits, int[] y, double[][] firstLogits, FirstLook look) {
        int n = y.length;
        double temperature = fitTemperature(logits, y);
        double[] conf = new double[n];
        boolean[] correct = new boolean[n];
        int right = 0;
        for (int i = 0; i < n; i++) {
            double[] first = firstLogits == null ? null : SoftmaxRegression.softmax(firstLogits[i], 1);
            double[] p = first != null && look.sure(first) ? first : SoftmaxRegression.softmax(logits[i], temperature);
            int arg = argmax(p);
            conf[i] = p[arg];
            correct[i] = arg == y[i];
            if (correct[i]) right++;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> -conf[i]));
        double[] sortedConf = new double[n];
        boolean[] sortedCorrect = new boolean[n];
        for (int i = 0; i < n; i++) {
            sortedConf[i] = conf[order[i]];
            sortedCorrect[i] = correct[order[i]];
        }
        return new Calibration(temperature, sortedConf, sortedCorrect, (double) right / n);
    }

    /** Fold numbers 0..k-1, each category spread evenly over the folds, shuffled with a fixed seed. */
    static int[] stratifiedFolds(List<LabelledExample> examples, int k, long seed) {
        Map<String, List<Integer>> byCategory = new LinkedHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            byCategory.computeIfAbsent(examples.get(i).category(), c -> new ArrayList<>()).add(i);
        }
        Random rnd = new Random(seed);
        int[] fold = new int[examples.size()];
        int offset = 0;
        for (List<Integer> idx : byCategory.values()) {
            java.util.Collections.shuffle(idx, rnd);
            for (int j = 0; j < idx.size(); j++) fold[idx.get(j)] = (offset + j) % k;
            offset += idx.size(); // categories with few examples do not all start at fold 0
        }
        return fold;
    }

    /** The temperature minimising the negative log-likelihood, by golden-section search on log T. */
    static double fitTemperature(double[][] logits, int[] y) {
        double lo = Math.log(0.05);
        double hi = Math.log(20);
        double g = (Math.sqrt(5) - 1) / 2;
        double a = hi - g * (hi - lo);
        double b = lo + g * (hi - lo);
        double fa = nll(logits, y, Math.exp(a));
        double fb = nll(logits, y, Math.exp(b));
        // until T is known within 0.01% (23 steps; 60 fixed steps cost 1 s of CPU for 10,000 examples)
        for (int it = 0; it < 60 && hi - lo > 1e-4; it++) {
            if (fa < fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - g * (hi - lo);
                fa = nll(logits, y, Math.exp(a));
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + g * (hi - lo);
                fb = nll(logits, y, Math.exp(b));
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    private static double nll(double[][] logits, int[] y, double t) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double[] p = SoftmaxRegression.softmax(logits[i], t);
            sum -= Math.log(Math.max(p[y[i]], 1e-12));
        }
        return sum / logits.length;
    }

    private static void writeCalibration(DataOutputStream out, Calibration c) throws IOException {
        out.writeDouble(c.temperature());
        out.writeDouble(c.accuracy());
        out.writeInt(c.confidence().length);
        for (int i = 0; i < c.confidence().length; i++) {
            out.writeDouble(c.confidence()[i]);
            out.writeBoolean(c.correct()[i]);
        }
    }

    private static Calibration readCalibration(DataInputStream in) throws IOException {
        double t = in.readDouble();
        double acc = in.readDouble();
        int n = in.readInt();
        double[] conf = new double[n];
        boolean[] correct = new boolean[n];
        for (int i = 0; i < n; i++) {
            conf[i] = in.readDouble();
            correct[i] = in.readBoolean();
        }
        return new Calibration(t, conf, correct, acc);
    }

    // ---- retraining after corrections ---------------------------------------------------------

    private void scheduleRetrain() {
        if (!retrainPending.compareAndSet(false, true)) return; // one retraining folds in every correction so far
        CompletableFuture.delayedExecutor(options.retrainDelay().toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (closed) return;
            trainer.execute(() -> {
                retrainPending.set(false);
                try {
                    ready.join();
                    retrain();
                } catch (Throwable t) {
                    if (!closed) LOG.warn("Retraining the ticket classifier failed; the previous model stays", t);
                }
            });
        });
    }

    /** Trains on the examples with the corrections folded in (a correction replaces an example of the same text). */
    private void retrain() {
        Trained base = current;
        Map<String, Integer> position = new HashMap<>();
        List<LabelledExample> examples = new ArrayList<>();
        Map<String, List<float[]>> vectors = new LinkedHashMap<>();
        // the base examples' rows only: a model retrained before holds the corrections of then too
        for (String e : base.embeddings().keySet()) {
            vectors.put(e, new ArrayList<>(Arrays.asList(base.embeddings().get(e)).subList(0, baseExamples.size())));
        }
        for (int i = 0; i < baseExamples.size(); i++) {
            position.putIfAbsent(normalise(baseExamples.get(i).text()), examples.size());
            examples.add(baseExamples.get(i));
        }
        for (Map.Entry<String, Correction> e : corrections.entrySet()) {
            LabelledExample ex = new LabelledExample(e.getValue().text(), e.getValue().category());
            Integer at = position.get(e.getKey());
            if (at != null) {
                examples.set(at, ex);
            } else {
                examples.add(ex);
                for (Map.Entry<String, List<float[]>> v : vectors.entrySet()) v.getValue().add(e.getValue().embedding().get(v.getKey()));
            }
        }
        List<String> cats = new ArrayList<>(new LinkedHashSet<>(examples.stream().map(LabelledExample::category).toList()));
        cats.sort(null);
        Map<String, Integer> index = indexOf(cats);
        Map<String, float[][]> emb = new LinkedHashMap<>();
        for (Map.Entry<String, List<float[]>> v : vectors.entrySet()) emb.put(v.getKey(), v.getValue().toArray(float[][]::new));
        TfIdf tfidf = recipe.tfidf() ? fitTfIdf(examples) : null;
        long start = System.nanoTime();
        LinearModel model = recipe.regression().isEmpty() ? null
                : fit(examples, features(emb, examples.size()), index, tfidf);
        trainings.incrementAndGet();
        // calibration stays that of the examples' cross-validation: a few corrections barely move it
        current = new Trained(List.copyOf(examples), Map.copyOf(emb), List.copyOf(cats), index, tfidf, model,
                base.temperature(), base.calibration(), base.firstLook());
        LOG.info("Retrained the ticket classifier with {} corrections in {} ms", corrections.size(),
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Stops the background threads; later calls fail. */
    @Override
    public void close() {
        closed = true;
        for (EncoderLane lane : lanes.values()) lane.thread.interrupt();
        trainer.shutdownNow();
    }
}
