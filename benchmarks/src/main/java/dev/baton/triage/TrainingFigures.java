package dev.baton.triage;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmarks' door to the ticket classifier's trainers, which are package-private in
 * agent-tools: it lives in the same package (on the class path that is one package) and returns
 * plain figures. Used by the benchmark part "train" only.
 */
public final class TrainingFigures {

    private TrainingFigures() {
    }

    /**
     * What one run cost and gave.
     *
     * @param iterations L-BFGS iterations per fit, in fit order (folds, then the final model)
     * @param accuracy   out-of-fold accuracy, or NaN for a single fit
     */
    public record Outcome(double seconds, double cpuSeconds, List<Integer> iterations, double accuracy) {
    }

    /** The defaults' l2 and iteration cap. */
    public static double defaultL2() {
        return LogisticRegression.Settings.defaults().l2();
    }

    public static int defaultIterations() {
        return LogisticRegression.Settings.defaults().maxIterations();
    }

    /** One logistic-regression fit on all rows; l2 or iterations <= 0 take the default. */
    public static Outcome fit(float[][] x, int[] y, int classes, double l2, int iterations) {
        long cpu = cpuNanos();
        long t = System.nanoTime();
        LogisticRegression.Fit f = LogisticRegression.fit(x, y, classes, settings(l2, iterations), () -> false);
        return new Outcome((System.nanoTime() - t) / 1e9, (cpuNanos() - cpu) / 1e9, List.of(f.iterations()), Double.NaN);
    }

    /**
     * Logistic regression's cross-validation and final fit, with the out-of-fold accuracy; iterations
     * <= 0: as the classifier trains (warm starts), otherwise every fit from zero with that cap.
     */
    public static Outcome crossValidate(float[][] x, int[] y, int classes, int[] fold, double l2, int iterations) {
        long cpu = cpuNanos();
        long t = System.nanoTime();
        LogisticRegression.CrossValidation cv = LogisticRegression.crossValidate(x, y, classes, fold,
                settings(l2, iterations), k -> { }, () -> false);
        double seconds = (System.nanoTime() - t) / 1e9;
        double cpuSeconds = (cpuNanos() - cpu) / 1e9;
        int right = 0;
        for (int i = 0; i < x.length; i++) if (argmax(cv.outOfFold()[i]) == y[i]) right++;
        List<Integer> its = new ArrayList<>();
        for (LogisticRegression.Fit f : cv.folds()) its.add(f.iterations());
        return new Outcome(seconds, cpuSeconds, its, (double) right / x.length);
    }

    /** The same folds and final fit with today's mini-batch Adam softmax (its defaults), for comparison. */
    public static Outcome adamCrossValidate(float[][] x, int[] y, int classes, int[] fold) {
        long cpu = cpuNanos();
        long t = System.nanoTime();
        int k = 0;
        for (int f : fold) k = Math.max(k, f + 1);
        int right = 0;
        for (int f = 0; f < k; f++) {
            List<float[]> xs = new ArrayList<>();
            List<Integer> ys = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                if (fold[i] == f) continue;
                xs.add(x[i]);
                ys.add(y[i]);
            }
            SoftmaxRegression m = SoftmaxRegression.train(xs.toArray(new float[0][]), null,
                    ys.stream().mapToInt(Integer::intValue).toArray(), classes, 0, SoftmaxRegression.Params.defaults());
            for (int i = 0; i < x.length; i++) if (fold[i] == f && argmax(m.logits(x[i], null)) == y[i]) right++;
        }
        SoftmaxRegression.train(x, null, y, classes, 0, SoftmaxRegression.Params.defaults());
        return new Outcome((System.nanoTime() - t) / 1e9, (cpuNanos() - cpu) / 1e9, List.of(), (double) right / x.length);
    }

    /**
     * The classifier's out-of-fold neighbour vote's work ({@link FoldNeighbours}: every row's 10
     * nearest rows of the other folds, on the trainer's threads), as the default recipe runs it.
     */
    public static Outcome outOfFoldNeighbours(float[][] rows, int[] fold) {
        long cpu = cpuNanos();
        long t = System.nanoTime();
        int threads = LogisticRegression.Settings.defaults().threads();
        java.util.concurrent.ExecutorService pool = Parallel.pool(threads);
        try {
            FoldNeighbours.of(rows, fold, Recipe.DEFAULT.k(), pool, threads, () -> false);
        } finally {
            pool.shutdownNow();
        }
        return new Outcome((System.nanoTime() - t) / 1e9, (cpuNanos() - cpu) / 1e9, List.of(), Double.NaN);
    }

    private static LogisticRegression.Settings settings(double l2, int iterations) {
        LogisticRegression.Settings s = iterations > 0
                ? LogisticRegression.Settings.defaults().withMaxIterations(iterations)
                : LogisticRegression.Settings.warmStarted();
        if (l2 > 0) s = s.withL2(l2);
        return s;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int c = 1; c < v.length; c++) if (v[c] > v[best]) best = c;
        return best;
    }
}
