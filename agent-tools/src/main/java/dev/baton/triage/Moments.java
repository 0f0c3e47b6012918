package dev.baton.triage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Sums over a set of rows that the trainer needs before its first iteration: the row count, each
 * class's count and feature sum, and the Gram matrix (the sum of x x^T). They add and subtract, so
 * cross-validation computes them once per fold and gets each training set's as the total minus its
 * held-out fold: one pass over the data instead of one per fit, and still only the training rows'.
 */
final class Moments {

    final int dim;
    final int classes;
    final long count;
    final long[] classCount;
    /** classes x dim, row-major. */
    final double[] classSum;
    /** dim x dim, both halves filled. */
    final double[] gram;

    private Moments(int dim, int classes, long count, long[] classCount, double[] classSum, double[] gram) {
        this.dim = dim;
        this.classes = classes;
        this.count = count;
        this.classCount = classCount;
        this.classSum = classSum;
        this.gram = gram;
    }

    /** Rows per task; the blocks' partial sums are added in block order, so the result does not depend on the threads. */
    private static final int BLOCK = 512;

    /** The sums over {@code rows} of {@code x}. */
    static Moments of(float[][] x, int[] y, int[] rows, int classes, int dim, ExecutorService pool) {
        long[] classCount = new long[classes];
        double[] classSum = new double[classes * dim];
        for (int r : rows) {
            classCount[y[r]]++;
            float[] row = x[r];
            int off = y[r] * dim;
            for (int j = 0; j < dim; j++) classSum[off + j] += row[j];
        }
        List<Future<float[]>> parts = new ArrayList<>();
        for (int start = 0; start < rows.length; start += BLOCK) {
            int from = start;
            int to = Math.min(rows.length, start + BLOCK);
            parts.add(pool.submit(() -> gramBlock(x, rows, from, to, dim)));
        }
        double[] gram = new double[dim * dim];
        for (Future<float[]> part : parts) {
            float[] p = Parallel.join(part);
            for (int j = 0; j < dim; j++) {
                for (int k = j; k < dim; k++) gram[j * dim + k] += p[j * dim + k];
            }
        }
        for (int j = 0; j < dim; j++) {
            for (int k = 0; k < j; k++) gram[j * dim + k] = gram[k * dim + j];
        }
        return new Moments(dim, classes, rows.length, classCount, classSum, gram);
    }

    /** The upper triangle of the Gram matrix of rows [from, to), four rows per pass so the JIT's vector loop does more per load. */
    private static float[] gramBlock(float[][] x, int[] rows, int from, int to, int d) {
        float[] g = new float[d * d];
        int i = from;
        for (; i + 3 < to; i += 4) {
            float[] a = x[rows[i]];
            float[] b = x[rows[i + 1]];
            float[] c = x[rows[i + 2]];
            float[] e = x[rows[i + 3]];
            for (int j = 0; j < d; j++) {
                float aj = a[j];
                float bj = b[j];
                float cj = c[j];
                float ej = e[j];
                int off = j * d;
                for (int k = j; k < d; k++) g[off + k] += aj * a[k] + bj * b[k] + cj * c[k] + ej * e[k];
            }
        }
        for (; i < to; i++) {
            float[] a = x[rows[i]];
            for (int j = 0; j < d; j++) {
                float aj = a[j];
                int off = j * d;
                for (int k = j; k < d; k++) g[off + k] += aj * a[k];
            }
        }
        return g;
    }

    /** The sums over the rows of this set that are not in {@code part} (a subset of it). */
    Moments minus(Moments part) {
        long[] cc = classCount.clone();
        double[] cs = classSum.clone();
        double[] gr = gram.clone();
        for (int c = 0; c < classes; c++) cc[c] -= part.classCount[c];
        for (int k = 0; k < cs.length; k++) cs[k] -= part.classSum[k];
        for (int k = 0; k < gr.length; k++) gr[k] -= part.gram[k];
        return new Moments(dim, classes, count - part.count, cc, cs, gr);
    }

    /** The sums over this set and {@code other} (disjoint). */
    Moments plus(Moments other) {
        long[] cc = classCount.clone();
        double[] cs = classSum.clone();
        double[] gr = gram.clone();
        for (int c = 0; c < classes; c++) cc[c] += other.classCount[c];
        for (int k = 0; k < cs.length; k++) cs[k] += other.classSum[k];
        for (int k = 0; k < gr.length; k++) gr[k] += other.gram[k];
        return new Moments(dim, classes, count + other.count, cc, cs, gr);
    }

    /** The mean row. */
    double[] mean() {
        double[] m = new double[dim];
        for (int c = 0; c < classes; c++) {
            for (int j = 0; j < dim; j++) m[j] += classSum[c * dim + j];
        }
        for (int j = 0; j < dim; j++) m[j] /= count;
        return m;
    }
}
