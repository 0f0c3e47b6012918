package dev.baton.triage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * L2-regularised multinomial logistic regression over dense float features, fitted by L-BFGS.
 * Immutable once fitted: {@code logits(x) = W x + b}.
 *
 * <p>The objective is {@code mean_i -log softmax(W z_i + b)[y_i] + l2/2 ||W||^2}, where
 * {@code z} is the row centred and, with {@link Settings#standardise()}, divided by each feature's
 * standard deviation over the training rows; the bias is not penalised. Stored weights act on the
 * raw row (the centring and scaling are folded in).
 *
 * <p>Why no library: on this 2-core AVX2 machine without {@code --add-modules jdk.incubator.vector}
 * (which {@code java -jar} cannot pass), netlib-java's pure-Java BLAS and EJML multiply these
 * matrices at about 4 GFLOP/s per core, the loops in {@link SoftmaxObjective} at 6-10; netlib's
 * Vector API BLAS reaches 10-14 but only with that flag. No Apache-compatible library on Maven
 * Central has a multinomial L-BFGS trainer (Smile has, but is GPL).
 *
 * <p>What makes it fast (measured on 10,003 x 768 x 77, see the benchmark part "train"):
 * <ul>
 *   <li>a preconditioner from the Cholesky factor of the rows' covariance plus a ridge, which L-BFGS
 *       sees as a well-conditioned problem (see {@link SoftmaxObjective}): the held-out accuracy
 *       levels off after 20-30 iterations instead of hundreds;</li>
 *   <li>float kernels the JIT turns into AVX/FMA code, rows in blocks on both cores;</li>
 *   <li>in {@link #crossValidate}, the data's sums computed once per fold and subtracted, and the
 *       final model started from the folds' average; with {@link Settings#warmStarted()} also each
 *       fold's fit started from a model of the other half of the folds (12 iterations on each half,
 *       then 6 a fold and 6 for the final model): the folds' objectives end where 15 iterations from
 *       zero end, at 41 fold-sized evaluations in place of 131, out-of-fold accuracy of the default
 *       recipe 0.9359 against 0.9365.</li>
 * </ul>
 * Tried and left out, measured: starting at the LDA solution (a worse objective after the same
 * iterations than starting at zero), principal components (whitened, 256 of 768: 1.3 s of CPU per
 * eigendecomposition and 1.5 points less accuracy), the within-class covariance as preconditioner
 * (no better than the total one).
 */
final class LogisticRegression implements LinearModel {

    /** Its kind in {@link LinearModel#write(LinearModel, DataOutputStream)}. */
    static final int KIND = 2;

    /**
     * How to fit.
     *
     * @param l2            the L2 penalty on the weights, relative to the mean loss
     * @param maxIterations L-BFGS iterations at most of a fit from zero ({@link #fit})
     * @param startIterations with warm starts, iterations at most of the two fits in {@link #crossValidate},
     *                      one on each half of the folds, that start the folds' fits
     * @param warmIterations in {@link #crossValidate}, iterations at most of each fold's fit (from the
     *                      model of the other half) and of the final fit (from the folds' average);
     *                      0: no warm starts, every fold's fit from zero and the final one from the
     *                      folds' average, each with {@code maxIterations}
     * @param tolerance     stop when an iteration lowers the objective by less than this (relative)
     * @param threads       worker threads for one fit
     * @param history       L-BFGS curvature pairs kept
     * @param standardise   divide each feature by its standard deviation before the penalty applies
     */
    record Settings(double l2, int maxIterations, int startIterations, int warmIterations, double tolerance, int threads,
                    int history, boolean standardise) {
        Settings {
            if (!(l2 > 0) || !Double.isFinite(l2)) throw new IllegalArgumentException("l2 must be > 0: " + l2);
            if (maxIterations < 0) throw new IllegalArgumentException("maxIterations must be >= 0: " + maxIterations);
            if (startIterations < 0) throw new IllegalArgumentException("startIterations must be >= 0: " + startIterations);
            if (warmIterations < 0) throw new IllegalArgumentException("warmIterations must be >= 0: " + warmIterations);
            if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be >= 0: " + tolerance);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
            if (history < 1) throw new IllegalArgumentException("history must be >= 1: " + history);
        }

        /**
         * Chosen by 5-fold cross-validation on 10,003 BANKING77 rows of MiniLM (+) BGE (768
         * features): out-of-fold accuracy 0.9296 at l2 3e-3 and 20 iterations, 0.9300 at 1e-2,
         * 0.9261 at 1e-3 (0.9284 at 30 iterations, half as much again of CPU). A larger penalty
         * converges faster, and the accuracy levels off long before the gradient is small.
         * Cross-validation without warm starts: every fit from zero.
         */
        static Settings defaults() {
            return new Settings(3e-3, 20, 0, 0, 1e-6, Math.min(2, Runtime.getRuntime().availableProcessors()), 10, true);
        }

        /**
         * The defaults with cross-validation's warm starts, as the classifier trains: 12 iterations
         * on each half of the folds, then 6 for each fold and 6 for the final model. Out-of-fold
         * accuracy of the default recipe (with its neighbour vote) on 10,003 BANKING77 examples
         * 0.9359 against 0.9365 with 20 iterations from zero for every fit, at 41 fold-sized
         * evaluations of the objective in place of 131; 8 fold iterations: 0.9363; 10 start and 7
         * fold iterations: 0.9352; 15 iterations from zero for every fold: 0.9367, 12: 0.9347.
         */
        static Settings warmStarted() {
            return defaults().withWarmStarts(12, 6);
        }

        Settings withL2(double v) {
            return new Settings(v, maxIterations, startIterations, warmIterations, tolerance, threads, history, standardise);
        }

        /** The iterations of a fit from zero; cross-validation's warm-started fits keep theirs. */
        Settings withMaxIterations(int v) {
            return new Settings(l2, v, startIterations, warmIterations, tolerance, threads, history, standardise);
        }

        /** Cross-validation's iterations: of the two starting fits, and of each warm-started fit. */
        Settings withWarmStarts(int start, int warm) {
            return new Settings(l2, maxIterations, start, warm, tolerance, threads, history, standardise);
        }

        Settings withTolerance(double v) {
            return new Settings(l2, maxIterations, startIterations, warmIterations, v, threads, history, standardise);
        }

        Settings withThreads(int v) {
            return new Settings(l2, maxIterations, startIterations, warmIterations, tolerance, v, history, standardise);
        }

        Settings withStandardise(boolean v) {
            return new Settings(l2, maxIterations, startIterations, warmIterations, tolerance, threads, history, v);
        }
    }

    /** A fitted model and how the fit went. */
    record Fit(LogisticRegression model, int iterations, int evaluations, double objective, boolean converged,
               long nanos) {
    }

    /**
     * Cross-validation's result.
     *
     * @param outOfFold each row's logits from the model that did not see its fold
     * @param model     the model fitted on all rows
     * @param folds     the folds' fits, in fold order, then the final one
     */
    record CrossValidation(double[][] outOfFold, LogisticRegression model, List<Fit> folds) {
    }

    final int classes;
    final int dim;
    private final float[] weights; // classes x dim, row-major
    private final double[] bias;

    private LogisticRegression(int classes, int dim, float[] weights, double[] bias) {
        this.classes = classes;
        this.dim = dim;
        this.weights = weights;
        this.bias = bias;
    }

    /** Raw class scores (before the softmax) of one row. */
    double[] logits(float[] x) {
        if (x.length != dim) throw new IllegalArgumentException("expected " + dim + " features, got " + x.length);
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) out[c] = bias[c] + SoftmaxRegression.dot(weights, c * dim, x, dim);
        return out;
    }

    /** As {@link #logits(float[])}; the regression reads no sparse features. */
    @Override
    public double[] logits(float[] dense, TfIdf.Sparse sparse) {
        return logits(dense);
    }

    @Override
    public int kind() {
        return KIND;
    }

    /** The class with the highest score. */
    int predict(float[] x) {
        double[] l = logits(x);
        int best = 0;
        for (int c = 1; c < l.length; c++) if (l[c] > l[best]) best = c;
        return best;
    }

    @Override
    public void write(DataOutputStream out) throws IOException {
        out.writeInt(classes);
        out.writeInt(dim);
        SoftmaxRegression.writeArray(out, weights);
        out.writeInt(bias.length);
        for (double b : bias) out.writeDouble(b);
    }

    static LogisticRegression read(DataInputStream in) throws IOException {
        int classes = in.readInt();
        int dim = in.readInt();
        if (classes < 1 || dim < 1) throw new IOException("bad model header: " + classes + " classes, " + dim + " features");
        float[] w = SoftmaxRegression.readArray(in);
        int nb = in.readInt();
        if (w.length != (long) classes * dim || nb != classes) throw new IOException("bad model sizes");
        double[] b = new double[nb];
        for (int c = 0; c < nb; c++) b[c] = in.readDouble();
        return new LogisticRegression(classes, dim, w, b);
    }

    /**
     * Fits on all rows.
     *
     * @param cancelled polled between iterations; when true the fit throws
     *                  {@link java.util.concurrent.CancellationException}
     */
    static Fit fit(float[][] x, int[] y, int classes, Settings settings, BooleanSupplier cancelled) {
        int dim = validate(x, y, classes);
        int[] rows = new int[x.length];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        ExecutorService pool = Parallel.pool(settings.threads());
        try {
            Moments m = Moments.of(x, y, rows, classes, dim, pool);
            return train(x, y, rows, classes, m, settings, null, pool, cancelled);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * k-fold cross-validation and the final fit: every row's logits from the model fitted without
     * its fold, and the model fitted on all rows, which starts from the folds' average. With warm
     * starts ({@link Settings#warmIterations()} > 0) each fold's fit starts from a model of the rows
     * of the other half of the folds ({@link Settings#startIterations()}), which never saw that fold,
     * and the folds' and the final fit run {@link Settings#warmIterations()}.
     *
     * @param fold      each row's fold, 0..k-1 (k >= 2, every fold non-empty), stratified by the caller
     * @param foldsDone called with 1..k as the folds finish, then k+1 when the final model is fitted
     * @param cancelled polled between iterations; when true this throws
     *                  {@link java.util.concurrent.CancellationException}
     */
    static CrossValidation crossValidate(float[][] x, int[] y, int classes, int[] fold, Settings settings,
                                         IntConsumer foldsDone, BooleanSupplier cancelled) {
        int dim = validate(x, y, classes);
        if (fold.length != x.length) throw new IllegalArgumentException("fold has " + fold.length + " entries for " + x.length + " rows");
        int k = 0;
        for (int f : fold) {
            if (f < 0) throw new IllegalArgumentException("negative fold: " + f);
            k = Math.max(k, f + 1);
        }
        if (k < 2) throw new IllegalArgumentException("cross-validation needs at least 2 folds, got " + k);
        int[] sizes = new int[k];
        for (int f : fold) sizes[f]++;
        int[][] held = new int[k][];
        for (int f = 0; f < k; f++) {
            if (sizes[f] == 0) throw new IllegalArgumentException("fold " + f + " is empty");
            held[f] = new int[sizes[f]];
        }
        int[] fill = new int[k];
        for (int i = 0; i < fold.length; i++) held[fold[i]][fill[fold[i]]++] = i;

        ExecutorService pool = Parallel.pool(settings.threads());
        try {
            Moments[] parts = new Moments[k];
            Moments total = null;
            for (int f = 0; f < k; f++) {
                parts[f] = Moments.of(x, y, held[f], classes, dim, pool);
                total = total == null ? parts[f] : total.plus(parts[f]);
            }
            // Warm starts that never saw the fold they start: the folds in two halves, a model of each
            // half's rows starts every fold of the other half (whose training rows hold all of it).
            // Starting a fold from the previous fold's model would be cheaper, but that model was fitted
            // on this fold's rows, and with few iterations some of it stays: out-of-fold would leak.
            boolean warmStarts = settings.warmIterations() > 0;
            int half = k / 2;
            LogisticRegression[] start = new LogisticRegression[2];
            Settings first = settings.withMaxIterations(settings.startIterations());
            for (int side = 0; side < 2 && warmStarts; side++) {
                Moments m = null;
                for (int f = 0; f < k; f++) if ((f < half) == (side == 0)) m = m == null ? parts[f] : m.plus(parts[f]);
                int[] rows = new int[(int) m.count];
                int r = 0;
                for (int i = 0; i < fold.length; i++) if ((fold[i] < half) == (side == 0)) rows[r++] = i;
                start[side] = train(x, y, rows, classes, m, first, null, pool, cancelled).model();
            }
            Settings warm = warmStarts ? settings.withMaxIterations(settings.warmIterations()) : settings;
            double[][] oof = new double[x.length][];
            List<Fit> fits = new ArrayList<>();
            for (int f = 0; f < k; f++) {
                int[] rows = new int[x.length - sizes[f]];
                int r = 0;
                for (int i = 0; i < fold.length; i++) if (fold[i] != f) rows[r++] = i;
                // folds of the first half start from the second half's model, and the other way round
                LogisticRegression from = warmStarts ? start[f < half ? 1 : 0] : null;
                Fit fit = train(x, y, rows, classes, total.minus(parts[f]), warm, from, pool, cancelled);
                for (int i : held[f]) oof[i] = fit.model().logits(x[i]);
                fits.add(fit);
                foldsDone.accept(f + 1);
            }
            int[] all = new int[x.length];
            for (int i = 0; i < all.length; i++) all[i] = i;
            Fit last = train(x, y, all, classes, total, warm, average(fits), pool, cancelled);
            fits.add(last);
            foldsDone.accept(k + 1);
            return new CrossValidation(oof, last.model(), List.copyOf(fits));
        } finally {
            pool.shutdownNow();
        }
    }

    private static LogisticRegression average(List<Fit> fits) {
        LogisticRegression first = fits.get(0).model();
        float[] w = new float[first.weights.length];
        double[] b = new double[first.classes];
        for (Fit f : fits) {
            for (int k = 0; k < w.length; k++) w[k] += f.model().weights[k] / fits.size();
            for (int c = 0; c < b.length; c++) b[c] += f.model().bias[c] / fits.size();
        }
        return new LogisticRegression(first.classes, first.dim, w, b);
    }

    private static int validate(float[][] x, int[] y, int classes) {
        if (x.length == 0) throw new IllegalArgumentException("no rows to fit");
        if (y.length != x.length) throw new IllegalArgumentException(x.length + " rows but " + y.length + " labels");
        if (classes < 1) throw new IllegalArgumentException("classes must be >= 1: " + classes);
        int dim = x[0].length;
        if (dim == 0) throw new IllegalArgumentException("rows have no features");
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != dim) throw new IllegalArgumentException("row " + i + " has " + x[i].length + " features, row 0 has " + dim);
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException("label " + y[i] + " of row " + i + " is outside 0.." + (classes - 1));
            for (float v : x[i]) if (!Float.isFinite(v)) throw new IllegalArgumentException("row " + i + " has a non-finite feature");
        }
        return dim;
    }

    /** One fit on {@code rows}, whose sums are {@code m}; {@code start} (raw weights) or null. */
    private static Fit train(float[][] x, int[] y, int[] rows, int classes, Moments m, Settings s,
                             LogisticRegression start, ExecutorService pool, BooleanSupplier cancelled) {
        long t0 = System.nanoTime();
        int d = m.dim;
        int n = rows.length;
        double[] mean = m.mean();
        double[] logPrior = new double[classes];
        for (int c = 0; c < classes; c++) logPrior[c] = Math.log((m.classCount[c] + 0.01) / (n + 0.01 * classes));
        // each feature's scale; a constant one (no variance beyond rounding) keeps scale 1 and, being
        // 0 once centred, gets weight 0
        double[] scale = new double[d];
        boolean[] constant = new boolean[d];
        for (int j = 0; j < d; j++) {
            double meanSquare = m.gram[j * d + j] / n;
            double var = meanSquare - mean[j] * mean[j];
            constant[j] = var <= 1e-10 * meanSquare;
            scale[j] = s.standardise() && !constant[j] ? 1 / Math.sqrt(var) : 1;
        }
        // the preconditioner: the covariance of the centred, scaled rows plus a ridge. At the start
        // (uniform probabilities) the Hessian of each class's weights is about cov / classes + l2 I,
        // a multiple of this matrix with the ridge l2 x classes.
        double[] cov = new double[d * d];
        double trace = 0;
        for (int j = 0; j < d; j++) {
            if (constant[j]) continue;
            for (int k = 0; k < d; k++) {
                if (constant[k]) continue;
                cov[j * d + k] = (m.gram[j * d + k] / n - mean[j] * mean[k]) * scale[j] * scale[k];
            }
            trace += cov[j * d + j];
        }
        double ridge = s.l2() * classes + 1e-6 * Math.max(trace / d, 1e-12);
        for (int j = 0; j < d; j++) cov[j * d + j] += ridge;
        Triangular u;
        try {
            u = Triangular.cholesky(cov, d);
        } catch (IllegalArgumentException roundingMadeItIndefinite) {
            u = null; // plain L-BFGS: slower, same minimiser
        }

        float[] z = new float[n * d];
        int[] yr = new int[n];
        for (int i = 0; i < n; i++) {
            float[] row = x[rows[i]];
            yr[i] = y[rows[i]];
            int o = i * d;
            for (int j = 0; j < d; j++) z[o + j] = (float) ((row[j] - mean[j]) * scale[j]);
        }
        SoftmaxObjective objective = new SoftmaxObjective(z, yr, n, d, classes, s.l2(), u, pool);

        double[] w0 = new double[d * classes];
        double[] b0 = logPrior;
        if (start != null) {
            // raw weights -> weights on the centred, scaled rows
            b0 = new double[classes];
            for (int c = 0; c < classes; c++) {
                double shift = 0;
                for (int j = 0; j < d; j++) {
                    double wr = start.weights[c * d + j];
                    w0[c * d + j] = wr / scale[j];
                    shift += wr * mean[j];
                }
                b0[c] = start.bias[c] + shift;
            }
        }
        Lbfgs.Result r = Lbfgs.minimise(objective, objective.variables(w0, b0),
                new Lbfgs.Options(s.maxIterations(), s.tolerance(), s.history()), cancelled, (it, th) -> { });
        return new Fit(model(objective, r.x(), scale, mean), r.iterations(), r.evaluations(), r.value(),
                r.converged(), System.nanoTime() - t0);
    }

    /** The model of the variables: weights acting on raw rows. */
    private static LogisticRegression model(SoftmaxObjective objective, double[] theta, double[] scale, double[] mean) {
        int d = objective.dim;
        int classes = objective.classes;
        double[] w = objective.weights(theta);
        float[] raw = new float[classes * d];
        double[] bias = new double[classes];
        for (int c = 0; c < classes; c++) {
            double shift = 0;
            for (int j = 0; j < d; j++) {
                double wr = w[c * d + j] * scale[j];
                raw[c * d + j] = (float) wr;
                shift += wr * mean[j];
            }
            bias[c] = theta[d * classes + c] - shift;
        }
        return new LogisticRegression(classes, d, raw, bias);
    }
}
