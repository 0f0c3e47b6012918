package dev.baton.triage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * An upper-triangular matrix U (d x d) from the Cholesky factorisation A = U^T U of a symmetric
 * positive definite matrix, with its inverse, and their products with a set of k vectors of
 * length d stored one after another (k x d, "class-major"). Every inner loop runs along a row of
 * length up to d, which the JIT vectorises; the vectors are shared out among a pool's threads.
 */
final class Triangular {

    final int dim;
    private final double[] u;    // d x d upper triangle, row-major
    private final double[] uInv; // d x d upper triangle, row-major
    private final double[] lInv; // (U^-1)^T, lower triangle, row-major

    private Triangular(int dim, double[] u, double[] uInv) {
        this.dim = dim;
        this.u = u;
        this.uInv = uInv;
        this.lInv = new double[dim * dim];
        for (int j = 0; j < dim; j++) {
            for (int k = j; k < dim; k++) lInv[k * dim + j] = uInv[j * dim + k];
        }
    }

    /** U with U^T U = a (a is d x d, symmetric, row-major; not modified). */
    static Triangular cholesky(double[] a, int d) {
        double[] w = a.clone();
        for (int j = 0; j < d; j++) {
            double pivot = w[j * d + j];
            if (!(pivot > 0)) throw new IllegalArgumentException("matrix is not positive definite at " + j + ": " + pivot);
            double ujj = Math.sqrt(pivot);
            int rj = j * d;
            w[rj + j] = ujj;
            for (int k = j + 1; k < d; k++) w[rj + k] /= ujj;
            // the trailing rows lose row j's outer product: A[i][k] -= U[j][i] U[j][k] for k >= i > j
            for (int i = j + 1; i < d; i++) {
                double f = w[rj + i];
                int ri = i * d;
                for (int k = i; k < d; k++) w[ri + k] -= f * w[rj + k];
            }
        }
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < i; k++) w[i * d + k] = 0;
        }
        return new Triangular(d, w, inverse(w, d));
    }

    /** The inverse of an upper-triangular matrix, row by row from the bottom. */
    private static double[] inverse(double[] u, int d) {
        double[] x = new double[d * d];
        for (int i = d - 1; i >= 0; i--) {
            int ri = i * d;
            double inv = 1 / u[ri + i];
            // row i of X = (e_i - sum_{m>i} U[i][m] X[m]) / U[i][i]
            for (int m = i + 1; m < d; m++) {
                double f = u[ri + m];
                int rm = m * d;
                for (int k = m; k < d; k++) x[ri + k] -= f * x[rm + k];
            }
            for (int k = i + 1; k < d; k++) x[ri + k] *= inv;
            x[ri + i] = inv;
        }
        return x;
    }

    /** U b for each of the vectors b (k x d); used once per warm start, so a plain row-times-vector. */
    double[] multiply(double[] b, ExecutorService pool) {
        return apply(b, pool, (in, out, o) -> {
            for (int i = 0; i < dim; i++) {
                double s = 0;
                int ri = i * dim;
                for (int j = i; j < dim; j++) s += u[ri + j] * in[o + j];
                out[o + i] = s;
            }
        });
    }

    /** U^-1 b for each of the vectors b (k x d). */
    double[] solve(double[] b, ExecutorService pool) {
        // (U^-1 b)[i] = sum_{k>=i} Uinv[i][k] b[k] = sum_k b[k] lInv[k][i]: rows of lInv
        return apply(b, pool, (in, out, o) -> {
            for (int k = 0; k < dim; k++) {
                double f = in[o + k];
                if (f == 0) continue;
                int rk = k * dim;
                for (int i = 0; i <= k; i++) out[o + i] += f * lInv[rk + i];
            }
        });
    }

    /** U^-T b for each of the vectors b (k x d). */
    double[] solveTransposed(double[] b, ExecutorService pool) {
        // (U^-T b)[k] = sum_{j<=k} Uinv[j][k] b[j]: rows of uInv
        return apply(b, pool, (in, out, o) -> {
            for (int j = 0; j < dim; j++) {
                double f = in[o + j];
                if (f == 0) continue;
                int rj = j * dim;
                for (int k = j; k < dim; k++) out[o + k] += f * uInv[rj + k];
            }
        });
    }

    private interface VectorOp {
        void apply(double[] in, double[] out, int offset);
    }

    private double[] apply(double[] b, ExecutorService pool, VectorOp op) {
        int k = b.length / dim;
        double[] out = new double[b.length];
        List<Future<?>> tasks = new ArrayList<>();
        int chunk = 8;
        for (int from = 0; from < k; from += chunk) {
            int start = from;
            int end = Math.min(k, from + chunk);
            tasks.add(pool.submit(() -> {
                for (int v = start; v < end; v++) op.apply(b, out, v * dim);
            }));
        }
        for (Future<?> t : tasks) Parallel.join(t);
        return out;
    }
}
