package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

    private static ExecutorService pool;

    @BeforeAll
    static void startPool() {
        pool = Parallel.pool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    /** Gaussian blobs around random class centres: overlapping enough that the optimum is finite. */
    record Data(float[][] x, int[] y) {
    }

    static Data blobs(int n, int d, int classes, double spread, long seed) {
        Random r = new Random(seed);
        double[][] centre = new double[classes][d];
        for (double[] c : centre) for (int j = 0; j < d; j++) c[j] = r.nextGaussian();
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < d; j++) x[i][j] = (float) (centre[y[i]][j] + spread * r.nextGaussian() + 0.3 * j);
        }
        return new Data(x, y);
    }

    static LogisticRegression.Settings tight(double l2) {
        return LogisticRegression.Settings.defaults().withL2(l2).withMaxIterations(500).withTolerance(1e-12);
    }

    // ---- against a reference: Newton's method on the same objective, written plainly ----
    // The trainer's scores are float sums (that is what makes it fast), so its objective is exact to
    // about 1e-7 and its minimiser to a few 1e-4: the tolerances below are that, not looser.

    /**
     * Minimises mean cross-entropy + l2/2 ||W||^2 over standardised rows (bias unpenalised) by
     * Newton's method with the full Hessian; returns {W (classes x d) on raw rows, b, objective}.
     */
    static double[][] newton(float[][] x, int[] y, int classes, double l2) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / (double) n;
        for (float[] row : x) for (int j = 0; j < d; j++) sd[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
        for (int j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] + 1e-12);
        double[][] z = new double[n][d + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) / sd[j];
            z[i][d] = 1; // the bias feature
        }
        int p = d + 1;
        int size = classes * p; // theta[c * p + j]
        double[] theta = new double[size];
        double value = 0;
        for (int iter = 0; iter < 50; iter++) {
            double[] grad = new double[size];
            double[][] hess = new double[size][size];
            value = 0;
            for (int i = 0; i < n; i++) {
                double[] s = new double[classes];
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    for (int j = 0; j < p; j++) s[c] += theta[c * p + j] * z[i][j];
                    max = Math.max(max, s[c]);
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.exp(s[c] - max);
                double[] pr = new double[classes];
                for (int c = 0; c < classes; c++) pr[c] = Math.exp(s[c] - max) / sum;
                value += (Math.log(sum) + max - s[y[i]]) / n;
                for (int c = 0; c < classes; c++) {
                    double r = pr[c] - (c == y[i] ? 1 : 0);
                    for (int j = 0; j < p; j++) grad[c * p + j] += r * z[i][j] / n;
                    for (int e = 0; e < classes; e++) {
                        double h = (c == e ? pr[c] : 0) - pr[c] * pr[e];
                        for (int j = 0; j < p; j++) {
                            for (int k = 0; k < p; k++) hess[c * p + j][e * p + k] += h * z[i][j] * z[i][k] / n;
                        }
                    }
                }
            }
            for (int c = 0; c < classes; c++) {
                for (int j = 0; j < d; j++) {
                    int a = c * p + j;
                    value += 0.5 * l2 * theta[a] * theta[a];
                    grad[a] += l2 * theta[a];
                    hess[a][a] += l2;
                }
                hess[c * p + d][c * p + d] += 1e-12; // the biases are determined only up to a common shift
            }
            double[] step = solve(hess, grad);
            for (int a = 0; a < size; a++) theta[a] -= step[a];
        }
        double[][] out = new double[classes + 2][];
        double[] b = new double[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = new double[d];
            double shift = 0;
            for (int j = 0; j < d; j++) {
                out[c][j] = theta[c * p + j] / sd[j];
                shift += out[c][j] * mean[j];
            }
            b[c] = theta[c * p + d] - shift;
        }
        out[classes] = b;
        out[classes + 1] = new double[] {value};
        return out;
    }

    /** Gaussian elimination with partial pivoting. */
    static double[] solve(double[][] a, double[] rhs) {
        int n = rhs.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) m[i] = a[i].clone();
        double[] v = rhs.clone();
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
            double[] t = m[col];
            m[col] = m[piv];
            m[piv] = t;
            double tv = v[col];
            v[col] = v[piv];
            v[piv] = tv;
            for (int r = col + 1; r < n; r++) {
                double f = m[r][col] / m[col][col];
                for (int k = col; k < n; k++) m[r][k] -= f * m[col][k];
                v[r] -= f * v[col];
            }
        }
        double[] out = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = v[r];
            for (int k = r + 1; k < n; k++) s -= m[r][k] * out[k];
            out[r] = s / m[r][r];
        }
        return out;
    }

    /** Scores minus their mean over the classes: what a softmax sees (the biases' common shift is free). */
    static double[] centred(double[] logits) {
        double m = 0;
        for (double l : logits) m += l / logits.length;
        double[] out = logits.clone();
        for (int c = 0; c < out.length; c++) out[c] -= m;
        return out;
    }

    @Test
    void matchesNewtonsMethodOnASmallProblem() {
        Data data = blobs(300, 4, 3, 1.2, 1);
        double l2 = 0.01;
        double[][] ref = newton(data.x(), data.y(), 3, l2);
        LogisticRegression.Fit fit = LogisticRegression.fit(data.x(), data.y(), 3, tight(l2), () -> false);
        assertEquals(ref[4][0], fit.objective(), 1e-6 * ref[4][0], "objective");
        LogisticRegression m = fit.model();
        // the weights: the change of the scores along each feature
        float[] zero = new float[4];
        double[] at0 = m.logits(zero);
        for (int j = 0; j < 4; j++) {
            float[] unit = new float[4];
            unit[j] = 1;
            double[] at = m.logits(unit);
            for (int c = 0; c < 3; c++) {
                assertEquals(ref[c][j], at[c] - at0[c], 2e-4 * (1 + Math.abs(ref[c][j])), "W[" + c + "][" + j + "]");
            }
        }
        double[] refCentred = centred(ref[3]);
        double[] gotCentred = centred(at0);
        for (int c = 0; c < 3; c++) assertEquals(refCentred[c], gotCentred[c], 2e-4 * (1 + Math.abs(refCentred[c])), "b[" + c + "]");
    }

    @Test
    void matchesNewtonsMethodWithMoreClassesAndAStrongPenalty() {
        Data data = blobs(250, 6, 5, 0.8, 2);
        double l2 = 0.3;
        double[][] ref = newton(data.x(), data.y(), 5, l2);
        LogisticRegression.Fit fit = LogisticRegression.fit(data.x(), data.y(), 5, tight(l2), () -> false);
        assertEquals(ref[6][0], fit.objective(), 1e-6 * ref[6][0], "objective");
        for (int i = 0; i < 20; i++) {
            double[] want = new double[5];
            for (int c = 0; c < 5; c++) {
                want[c] = ref[5][c];
                for (int j = 0; j < 6; j++) want[c] += ref[c][j] * data.x()[i][j];
            }
            assertArrayEquals(centred(want), centred(fit.model().logits(data.x()[i])), 5e-4, "row " + i);
        }
    }

    // ---- the objective's gradient ----

    @Test
    void gradientMatchesFiniteDifferences() {
        int n = 40;
        int d = 5;
        int classes = 3;
        Random r = new Random(3);
        float[] x = new float[n * d];
        for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
        double[] a = new double[d * d]; // a random SPD matrix for the preconditioner
        double[] g = new double[d * d];
        for (int k = 0; k < g.length; k++) g[k] = r.nextGaussian();
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) a[i * d + j] += g[i * d + k] * g[j * d + k];
            }
            a[i * d + i] += 0.5;
        }
        for (Triangular precond : new Triangular[] {null, Triangular.cholesky(a, d)}) {
            SoftmaxObjective f = new SoftmaxObjective(x, y, n, d, classes, 0.05, precond, pool);
            double[] theta = new double[f.size()];
            for (int k = 0; k < theta.length; k++) theta[k] = 0.3 * r.nextGaussian();
            double[] grad = new double[theta.length];
            f.evaluate(theta, grad);
            double h = 1e-3;
            for (int k = 0; k < theta.length; k++) {
                double[] plus = theta.clone();
                double[] minus = theta.clone();
                plus[k] += h;
                minus[k] -= h;
                double numeric = (f.evaluate(plus, new double[theta.length]) - f.evaluate(minus, new double[theta.length])) / (2 * h);
                assertEquals(numeric, grad[k], 2e-3 * Math.max(1, Math.abs(numeric)), "d/dtheta[" + k + "], precond " + (precond != null));
            }
        }
    }

    // ---- awkward data ----

    @Test
    void separableDataStaysFinite() {
        float[][] x = new float[60][2];
        int[] y = new int[60];
        for (int i = 0; i < 60; i++) {
            y[i] = i % 2;
            x[i][0] = (y[i] == 0 ? -5 : 5) + (i % 7) * 0.1f;
            x[i][1] = (i % 5) * 0.2f;
        }
        LogisticRegression.Fit fit = LogisticRegression.fit(x, y, 2, tight(1e-6).withMaxIterations(300), () -> false);
        for (int i = 0; i < 60; i++) {
            double[] l = fit.model().logits(x[i]);
            for (double v : l) assertTrue(Double.isFinite(v), "finite logits");
            assertEquals(y[i], fit.model().predict(x[i]));
        }
    }

    @Test
    void oneClassAndUnusedClasses() {
        Data data = blobs(50, 3, 1, 1, 4);
        LogisticRegression.Fit one = LogisticRegression.fit(data.x(), data.y(), 1, LogisticRegression.Settings.defaults(), () -> false);
        assertEquals(0, one.model().predict(data.x()[0]));

        Data three = blobs(90, 3, 3, 0.5, 5);
        // five classes declared, labels only 0..2: the unused ones are never predicted and stay finite
        LogisticRegression.Fit fit = LogisticRegression.fit(three.x(), three.y(), 5, LogisticRegression.Settings.defaults(), () -> false);
        for (float[] row : three.x()) {
            double[] l = fit.model().logits(row);
            assertEquals(5, l.length);
            for (double v : l) assertTrue(Double.isFinite(v));
            assertTrue(fit.model().predict(row) < 3);
        }
        // a constant feature (zero variance) is harmless
        float[][] x = new float[40][2];
        int[] y = new int[40];
        for (int i = 0; i < 40; i++) {
            y[i] = i % 2;
            x[i][0] = 1;
            x[i][1] = y[i] + (i % 3) * 0.4f;
        }
        LogisticRegression.Fit constant = LogisticRegression.fit(x, y, 2, LogisticRegression.Settings.defaults(), () -> false);
        for (double v : constant.model().logits(x[0])) assertTrue(Double.isFinite(v));
    }

    @Test
    void badInputIsRefusedClearly() {
        float[][] x = {{1, 2}, {3, 4}};
        var s = LogisticRegression.Settings.defaults();
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(x, new int[] {0, 2}, 2, s, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(x, new int[] {0}, 2, s, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(new float[][] {{1, 2}, {3}}, new int[] {0, 1}, 2, s, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(new float[][] {{1, Float.NaN}, {3, 4}}, new int[] {0, 1}, 2, s, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(new float[0][], new int[0], 2, s, () -> false));
        assertThrows(IllegalArgumentException.class, () -> s.withL2(0));
        assertThrows(IllegalArgumentException.class, () -> s.withThreads(0));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.crossValidate(x, new int[] {0, 1}, 2, new int[] {0, 0}, s, k -> { }, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.crossValidate(x, new int[] {0, 1}, 2, new int[] {0, 2}, s, k -> { }, () -> false));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.crossValidate(x, new int[] {0, 1}, 2, new int[] {0}, s, k -> { }, () -> false));
    }

    // ---- determinism, cancelling, storage ----

    static byte[] bytes(LogisticRegression m) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            m.write(out);
        }
        return buf.toByteArray();
    }

    @Test
    void sameInputGivesTheSameWeightsWhateverTheThreads() throws IOException {
        Data data = blobs(1500, 24, 7, 1.5, 6); // several row blocks, so the threads share the work
        var s = LogisticRegression.Settings.defaults().withMaxIterations(15);
        byte[] first = bytes(LogisticRegression.fit(data.x(), data.y(), 7, s, () -> false).model());
        byte[] again = bytes(LogisticRegression.fit(data.x(), data.y(), 7, s, () -> false).model());
        byte[] oneThread = bytes(LogisticRegression.fit(data.x(), data.y(), 7, s.withThreads(1), () -> false).model());
        byte[] threeThreads = bytes(LogisticRegression.fit(data.x(), data.y(), 7, s.withThreads(3), () -> false).model());
        assertArrayEquals(first, again);
        assertArrayEquals(first, oneThread);
        assertArrayEquals(first, threeThreads);
    }

    @Test
    void cancellingStopsTheFit() {
        Data data = blobs(400, 8, 4, 1.5, 7);
        AtomicInteger polls = new AtomicInteger();
        assertThrows(CancellationException.class, () -> LogisticRegression.fit(data.x(), data.y(), 4,
                tight(1e-4), () -> polls.incrementAndGet() > 3));
        assertEquals(4, polls.get(), "stopped at the first poll that said so");

        int[] fold = new int[data.x().length];
        for (int i = 0; i < fold.length; i++) fold[i] = i % 3;
        List<Integer> progress = new ArrayList<>();
        AtomicInteger cvPolls = new AtomicInteger();
        assertThrows(CancellationException.class, () -> LogisticRegression.crossValidate(data.x(), data.y(), 4, fold,
                tight(1e-4), progress::add, () -> cvPolls.incrementAndGet() > 3));
        assertEquals(List.of(), progress, "no fold finished");
    }

    @Test
    void writeThenReadGivesIdenticalLogits() throws IOException {
        Data data = blobs(300, 10, 4, 1.0, 8);
        LogisticRegression m = LogisticRegression.fit(data.x(), data.y(), 4, LogisticRegression.Settings.defaults(), () -> false).model();
        LogisticRegression back = LogisticRegression.read(new DataInputStream(new ByteArrayInputStream(bytes(m))));
        assertEquals(m.classes, back.classes);
        assertEquals(m.dim, back.dim);
        for (float[] row : data.x()) assertArrayEquals(m.logits(row), back.logits(row), 0.0);
        assertThrows(IOException.class, () -> LogisticRegression.read(new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, 0, 4, 0, 0, 0, 0}))));
    }

    // ---- cross-validation ----

    @Test
    void outOfFoldRowsAreNeverSeenByTheirModel() {
        Data data = blobs(400, 6, 4, 0.6, 9);
        int[] y = data.y().clone();
        int[] fold = new int[y.length];
        for (int i = 0; i < y.length; i++) fold[i] = i % 5;
        // class 4 exists only in fold 2: its rows sit apart from the others, so any model that saw them predicts it
        float[][] x = data.x().clone();
        List<Integer> lone = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (fold[i] == 2 && i % 3 == 0) {
                y[i] = 4;
                x[i] = x[i].clone();
                x[i][0] += 8;
                lone.add(i);
            }
        }
        List<Integer> progress = new ArrayList<>();
        LogisticRegression.CrossValidation cv = LogisticRegression.crossValidate(x, y, 5, fold,
                LogisticRegression.Settings.defaults(), progress::add, () -> false);
        assertEquals(List.of(1, 2, 3, 4, 5, 6), progress);
        assertEquals(6, cv.folds().size());
        for (int i : lone) {
            assertNotEquals(4, argmax(cv.outOfFold()[i]), "row " + i + " predicted by a model that saw it");
            assertEquals(4, cv.model().predict(x[i]), "the final model saw row " + i);
        }
        // and the other rows are mostly right: the folds' models are real models
        int right = 0;
        int others = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] == 4) continue;
            others++;
            if (argmax(cv.outOfFold()[i]) == y[i]) right++;
        }
        assertTrue(right > 0.9 * others, right + " of " + others);
    }

    @Test
    void crossValidationIsDeterministicAndItsFoldModelsAreOrdinaryFits() throws IOException {
        Data data = blobs(600, 12, 5, 1.4, 10);
        int[] fold = new int[600];
        for (int i = 0; i < 600; i++) fold[i] = (i / 5) % 3;
        var s = LogisticRegression.Settings.defaults();
        LogisticRegression.CrossValidation a = LogisticRegression.crossValidate(data.x(), data.y(), 5, fold, s, k -> { }, () -> false);
        LogisticRegression.CrossValidation b = LogisticRegression.crossValidate(data.x(), data.y(), 5, fold, s.withThreads(1), k -> { }, () -> false);
        assertArrayEquals(bytes(a.model()), bytes(b.model()));
        for (int i = 0; i < 600; i++) assertArrayEquals(a.outOfFold()[i], b.outOfFold()[i], 0.0);
        // fold 1's model is what fit() gives on the other folds' rows (its sums come by subtraction)
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        int firstHeld = -1;
        for (int i = 0; i < 600; i++) {
            if (fold[i] == 1) {
                if (firstHeld < 0) firstHeld = i;
                continue;
            }
            xs.add(data.x()[i]);
            ys.add(data.y()[i]);
        }
        LogisticRegression alone = LogisticRegression.fit(xs.toArray(new float[0][]), ys.stream().mapToInt(Integer::intValue).toArray(), 5, s, () -> false).model();
        assertArrayEquals(alone.logits(data.x()[firstHeld]), a.outOfFold()[firstHeld], 1e-3);
    }

    @Test
    void warmStartedFoldsDoNotDependOnTheirOwnRows() {
        Data data = blobs(500, 8, 4, 1.2, 12);
        int[] fold = new int[500];
        for (int i = 0; i < 500; i++) fold[i] = i % 5;
        var s = LogisticRegression.Settings.warmStarted();
        LogisticRegression.CrossValidation base = LogisticRegression.crossValidate(data.x(), data.y(), 4, fold, s, k -> { }, () -> false);
        // fold 1 is in the first half (started from the model of folds 2-4), fold 3 in the second
        // (started from the model of folds 0-1): relabelling a fold's rows must leave its out-of-fold
        // logits as they were, which a start from the previous fold's model (fitted on them) would not
        for (int changed : new int[] {1, 3}) {
            int[] y = data.y().clone();
            for (int i = 0; i < y.length; i++) if (fold[i] == changed) y[i] = (y[i] + 1 + i % 3) % 4;
            LogisticRegression.CrossValidation other = LogisticRegression.crossValidate(data.x(), y, 4, fold, s, k -> { }, () -> false);
            for (int i = 0; i < y.length; i++) {
                if (fold[i] == changed) assertArrayEquals(base.outOfFold()[i], other.outOfFold()[i], 1e-6, "row " + i + " of fold " + changed);
            }
        }
    }

    @Test
    void warmStartedCrossValidationIsTheSameWhateverTheThreads() throws IOException {
        Data data = blobs(900, 16, 6, 1.4, 13);
        int[] fold = new int[900];
        for (int i = 0; i < 900; i++) fold[i] = (i / 7) % 4;
        var s = LogisticRegression.Settings.warmStarted();
        LogisticRegression.CrossValidation a = LogisticRegression.crossValidate(data.x(), data.y(), 6, fold, s, k -> { }, () -> false);
        LogisticRegression.CrossValidation b = LogisticRegression.crossValidate(data.x(), data.y(), 6, fold, s.withThreads(1), k -> { }, () -> false);
        assertArrayEquals(bytes(a.model()), bytes(b.model()));
        for (int i = 0; i < 900; i++) assertArrayEquals(a.outOfFold()[i], b.outOfFold()[i], 0.0);
        assertEquals(5, a.folds().size());
        for (LogisticRegression.Fit f : a.folds()) assertTrue(f.iterations() <= s.warmIterations(), f.iterations() + " iterations");
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int c = 1; c < v.length; c++) if (v[c] > v[best]) best = c;
        return best;
    }
}
