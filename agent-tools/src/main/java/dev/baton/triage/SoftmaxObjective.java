package dev.baton.triage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The L-BFGS objective of {@link LogisticRegression}: the mean cross-entropy of a softmax over
 * {@code classes} linear scores plus {@code l2/2 * ||W||^2}, over rows already centred and scaled,
 * with its gradient.
 *
 * <p>Preconditioned: the optimiser's variables are {@code V = U W}, where {@code U^T U} is the
 * rows' covariance plus a ridge (see {@link LogisticRegression}), so that near the
 * start the Hessian in {@code V} is close to a multiple of the identity and L-BFGS needs a few
 * dozen iterations instead of hundreds. The problem and its minimiser are unchanged; only the
 * path to it is.
 *
 * <p>Arithmetic: the two products that cost (scores {@code X W} and gradient {@code X^T R}, each
 * n x d x classes) run in float, written as loops the JIT turns into AVX/FMA code (the inner loop
 * runs over the classes, padded to a multiple of 8), several rows and features per pass so that
 * each vector load feeds several fused multiply-adds. Rows go in blocks of {@link #BLOCK} to the pool's threads; each
 * block sums its gradient in float, and the blocks are added in double in block order, so the
 * result is the same whatever the thread count and timing.
 */
final class SoftmaxObjective implements Lbfgs.Objective {

    static final int BLOCK = 512;

    final int n;
    final int dim;
    final int classes;
    /** Classes rounded up to a multiple of 8: the stride of the float score and weight arrays. */
    final int stride;
    private final float[] x; // n x dim
    private final int[] y;
    private final double l2;
    private final Triangular precond;
    private final ExecutorService pool;

    private final float[] wt;   // dim x stride: the weights, feature-major
    private final float[] bias; // stride
    private final float[][] scores;   // per block: rows x stride
    private final float[][] partial;  // per block: dim x stride
    private final double[] blockLoss;
    private final double[][] blockBias;

    /**
     * @param x       n x dim rows, row-major, centred and scaled
     * @param precond the upper-triangular U of the reparametrisation (identity when null)
     */
    SoftmaxObjective(float[] x, int[] y, int n, int dim, int classes, double l2, Triangular precond, ExecutorService pool) {
        this.n = n;
        this.dim = dim;
        this.classes = classes;
        this.stride = (classes + 7) / 8 * 8;
        this.x = x;
        this.y = y;
        this.l2 = l2;
        this.precond = precond;
        this.pool = pool;
        this.wt = new float[dim * stride];
        this.bias = new float[stride];
        int blocks = (n + BLOCK - 1) / BLOCK;
        this.scores = new float[blocks][];
        this.partial = new float[blocks][];
        this.blockLoss = new double[blocks];
        this.blockBias = new double[blocks][classes];
        for (int b = 0; b < blocks; b++) {
            scores[b] = new float[(Math.min(n, (b + 1) * BLOCK) - b * BLOCK) * stride];
            partial[b] = new float[dim * stride];
        }
    }

    /** The number of variables: classes x dim weights (class-major) then the classes' biases. */
    int size() {
        return dim * classes + classes;
    }

    /** The weights W (classes x dim, class-major) of the variables. */
    double[] weights(double[] theta) {
        double[] v = Arrays.copyOf(theta, dim * classes);
        return precond == null ? v : precond.solve(v, pool);
    }

    /** The variables of weights W (classes x dim, class-major) and biases. */
    double[] variables(double[] w, double[] b) {
        double[] theta = new double[size()];
        double[] v = precond == null ? w.clone() : precond.multiply(w, pool);
        System.arraycopy(v, 0, theta, 0, v.length);
        System.arraycopy(b, 0, theta, dim * classes, classes);
        return theta;
    }

    /** The variables' gradient of a gradient in W: U^-T g. */
    private double[] toVariables(double[] gw) {
        return precond == null ? gw : precond.solveTransposed(gw, pool);
    }

    @Override
    public double evaluate(double[] theta, double[] grad) {
        double[] w = weights(theta);
        load(w, theta, dim * classes);
        List<Future<?>> tasks = new ArrayList<>(scores.length);
        for (int b = 0; b < scores.length; b++) {
            int block = b;
            tasks.add(pool.submit(() -> block(block)));
        }
        for (Future<?> t : tasks) Parallel.join(t);
        double loss = 0;
        double[] gw = new double[dim * classes];
        double[] gb = new double[classes];
        for (int b = 0; b < scores.length; b++) {
            loss += blockLoss[b];
            float[] p = partial[b];
            for (int j = 0; j < dim; j++) {
                int po = j * stride;
                for (int c = 0; c < classes; c++) gw[c * dim + j] += p[po + c];
            }
            for (int c = 0; c < classes; c++) gb[c] += blockBias[b][c];
        }
        double penalty = 0;
        for (int k = 0; k < gw.length; k++) {
            gw[k] = gw[k] / n + l2 * w[k];
            penalty += w[k] * w[k];
        }
        double[] gv = toVariables(gw);
        System.arraycopy(gv, 0, grad, 0, gv.length);
        for (int c = 0; c < classes; c++) grad[dim * classes + c] = gb[c] / n;
        return loss / n + 0.5 * l2 * penalty;
    }

    /** Copies the weights (classes x dim) and the biases at {@code theta[biasOffset..]} into the float arrays. */
    private void load(double[] w, double[] theta, int biasOffset) {
        for (int c = 0; c < classes; c++) {
            for (int j = 0; j < dim; j++) wt[j * stride + c] = (float) w[c * dim + j];
        }
        for (int c = 0; c < classes; c++) bias[c] = (float) theta[biasOffset + c];
    }

    /** Scores, softmax, loss, residuals and the gradient's partial sum for one block of rows. */
    private void block(int b) {
        int from = b * BLOCK;
        int rows = Math.min(n, from + BLOCK) - from;
        float[] z = scores[b];
        scores(x, from, rows, wt, bias, z, dim, stride);
        double loss = 0;
        double[] gb = blockBias[b];
        Arrays.fill(gb, 0);
        for (int i = 0; i < rows; i++) {
            int zo = i * stride;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, z[zo + c]);
            int label = y[from + i];
            float labelScore = z[zo + label];
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                double e = Math.exp(z[zo + c] - max);
                z[zo + c] = (float) e;
                sum += e;
            }
            double inv = 1 / sum;
            loss += Math.log(sum) - (labelScore - max);
            for (int c = 0; c < classes; c++) {
                float r = (float) (z[zo + c] * inv) - (c == label ? 1f : 0f);
                z[zo + c] = r;
                gb[c] += r;
            }
            for (int c = classes; c < stride; c++) z[zo + c] = 0;
        }
        blockLoss[b] = loss;
        residualProduct(x, from, rows, z, partial[b], dim, stride);
    }

    /**
     * z[i][c] = bias[c] + sum_j x[from+i][j] w[j][c] for {@code rows} rows. Two rows and four features
     * per pass with Math.fma: each vector of w loaded feeds eight fused multiply-adds (the fastest of
     * the shapes measured here, about 1.5x the plain loop).
     */
    static void scores(float[] x, int from, int rows, float[] w, float[] bias, float[] z, int dim, int stride) {
        int d4 = dim & ~3;
        int i = 0;
        for (; i + 1 < rows; i += 2) {
            int za = i * stride;
            int zb = za + stride;
            int xa = (from + i) * dim;
            int xb = xa + dim;
            System.arraycopy(bias, 0, z, za, stride);
            System.arraycopy(bias, 0, z, zb, stride);
            for (int j = 0; j < d4; j += 4) {
                float a0 = x[xa + j];
                float a1 = x[xa + j + 1];
                float a2 = x[xa + j + 2];
                float a3 = x[xa + j + 3];
                float b0 = x[xb + j];
                float b1 = x[xb + j + 1];
                float b2 = x[xb + j + 2];
                float b3 = x[xb + j + 3];
                int w0 = j * stride;
                int w1 = w0 + stride;
                int w2 = w1 + stride;
                int w3 = w2 + stride;
                for (int c = 0; c < stride; c++) {
                    float q0 = w[w0 + c];
                    float q1 = w[w1 + c];
                    float q2 = w[w2 + c];
                    float q3 = w[w3 + c];
                    z[za + c] = Math.fma(a3, q3, Math.fma(a2, q2, Math.fma(a1, q1, Math.fma(a0, q0, z[za + c]))));
                    z[zb + c] = Math.fma(b3, q3, Math.fma(b2, q2, Math.fma(b1, q1, Math.fma(b0, q0, z[zb + c]))));
                }
            }
            for (int j = d4; j < dim; j++) {
                float a = x[xa + j];
                float b = x[xb + j];
                int wo = j * stride;
                for (int c = 0; c < stride; c++) {
                    z[za + c] = Math.fma(a, w[wo + c], z[za + c]);
                    z[zb + c] = Math.fma(b, w[wo + c], z[zb + c]);
                }
            }
        }
        for (; i < rows; i++) {
            int zo = i * stride;
            int xo = (from + i) * dim;
            System.arraycopy(bias, 0, z, zo, stride);
            for (int j = 0; j < dim; j++) {
                float a = x[xo + j];
                int wo = j * stride;
                for (int c = 0; c < stride; c++) z[zo + c] = Math.fma(a, w[wo + c], z[zo + c]);
            }
        }
    }

    /**
     * g[j][c] = sum_i x[from+i][j] r[i][c] over {@code rows} rows (g is overwritten). Four rows and
     * two features per pass with Math.fma, for the same reason as {@link #scores}.
     */
    static void residualProduct(float[] x, int from, int rows, float[] r, float[] g, int dim, int stride) {
        Arrays.fill(g, 0);
        int d2 = dim & ~1;
        int i = 0;
        for (; i + 3 < rows; i += 4) {
            int x0 = (from + i) * dim;
            int x1 = x0 + dim;
            int x2 = x1 + dim;
            int x3 = x2 + dim;
            int r0 = i * stride;
            int r1 = r0 + stride;
            int r2 = r1 + stride;
            int r3 = r2 + stride;
            for (int j = 0; j < d2; j += 2) {
                float a0 = x[x0 + j];
                float a1 = x[x1 + j];
                float a2 = x[x2 + j];
                float a3 = x[x3 + j];
                float b0 = x[x0 + j + 1];
                float b1 = x[x1 + j + 1];
                float b2 = x[x2 + j + 1];
                float b3 = x[x3 + j + 1];
                int ga = j * stride;
                int gb = ga + stride;
                for (int c = 0; c < stride; c++) {
                    float s0 = r[r0 + c];
                    float s1 = r[r1 + c];
                    float s2 = r[r2 + c];
                    float s3 = r[r3 + c];
                    g[ga + c] = Math.fma(a3, s3, Math.fma(a2, s2, Math.fma(a1, s1, Math.fma(a0, s0, g[ga + c]))));
                    g[gb + c] = Math.fma(b3, s3, Math.fma(b2, s2, Math.fma(b1, s1, Math.fma(b0, s0, g[gb + c]))));
                }
            }
            for (int j = d2; j < dim; j++) {
                float a0 = x[x0 + j];
                float a1 = x[x1 + j];
                float a2 = x[x2 + j];
                float a3 = x[x3 + j];
                int go = j * stride;
                for (int c = 0; c < stride; c++) {
                    g[go + c] = Math.fma(a3, r[r3 + c], Math.fma(a2, r[r2 + c], Math.fma(a1, r[r1 + c], Math.fma(a0, r[r0 + c], g[go + c]))));
                }
            }
        }
        for (; i < rows; i++) {
            int xo = (from + i) * dim;
            int ro = i * stride;
            for (int j = 0; j < dim; j++) {
                float a = x[xo + j];
                int go = j * stride;
                for (int c = 0; c < stride; c++) g[go + c] = Math.fma(a, r[ro + c], g[go + c]);
            }
        }
    }
}
