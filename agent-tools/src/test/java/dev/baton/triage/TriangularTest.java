package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.concurrent.ExecutorService;

import org.junit.jupiter.api.Test;

class TriangularTest {

    @Test
    void choleskyAndItsProductsAgreeWithPlainArithmetic() {
        int d = 23;
        int k = 11;
        Random r = new Random(2);
        double[] g = new double[d * d];
        for (int i = 0; i < g.length; i++) g[i] = r.nextGaussian();
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                for (int m = 0; m < d; m++) a[i * d + j] += g[i * d + m] * g[j * d + m];
            }
            a[i * d + i] += 0.1;
        }
        double[] b = new double[k * d];
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        ExecutorService pool = Parallel.pool(2);
        try {
            Triangular u = Triangular.cholesky(a, d);
            double[] ub = u.multiply(b, pool);
            // U^T U b = A b
            double[] utub = new double[k * d];
            double[] ab = new double[k * d];
            double[] uMatrix = new double[d * d];
            for (int j = 0; j < d; j++) {
                double[] e = new double[d];
                e[j] = 1;
                double[] col = u.multiply(e, pool); // column j of U
                for (int i = 0; i < d; i++) uMatrix[i * d + j] = col[i];
            }
            for (int v = 0; v < k; v++) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        utub[v * d + i] += uMatrix[j * d + i] * ub[v * d + j];
                        ab[v * d + i] += a[i * d + j] * b[v * d + j];
                    }
                }
                for (int i = 1; i < d; i++) {
                    for (int j = 0; j < i; j++) assertEquals(0, uMatrix[i * d + j], "U is upper triangular");
                }
            }
            assertArrayEquals(ab, utub, 1e-9);
            assertArrayEquals(b, u.solve(ub, pool), 1e-9, "U^-1 U b = b");
            // U^T (U^-T b) = b
            double[] w = u.solveTransposed(b, pool);
            double[] back = new double[k * d];
            for (int v = 0; v < k; v++) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) back[v * d + i] += uMatrix[j * d + i] * w[v * d + j];
                }
            }
            assertArrayEquals(b, back, 1e-9);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesAMatrixThatIsNotPositiveDefinite() {
        assertThrows(IllegalArgumentException.class, () -> Triangular.cholesky(new double[] {1, 2, 2, 1}, 2));
    }
}
