package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.concurrent.ExecutorService;

import org.junit.jupiter.api.Test;

class MomentsTest {

    @Test
    void sumsAddAndSubtractLikeTheRowsTheyCameFrom() {
        int n = 1300; // more than two blocks
        int d = 9;
        Random r = new Random(4);
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int j = 0; j < d; j++) x[i][j] = (float) r.nextGaussian();
        }
        int[] all = new int[n];
        int[] odd = new int[n / 2];
        int[] even = new int[n - n / 2];
        for (int i = 0; i < n; i++) {
            all[i] = i;
            if (i % 2 == 1) odd[i / 2] = i;
            else even[i / 2] = i;
        }
        ExecutorService pool = Parallel.pool(2);
        try {
            Moments m = Moments.of(x, y, all, 3, d, pool);
            double[] gram = new double[d * d];
            double[] sum = new double[3 * d];
            long[] count = new long[3];
            for (int i = 0; i < n; i++) {
                count[y[i]]++;
                for (int j = 0; j < d; j++) {
                    sum[y[i] * d + j] += x[i][j];
                    for (int k = 0; k < d; k++) gram[j * d + k] += (double) x[i][j] * x[i][k];
                }
            }
            assertEquals(n, m.count);
            assertArrayEquals(count, m.classCount);
            assertArrayEquals(sum, m.classSum, 1e-9);
            assertArrayEquals(gram, m.gram, 2e-2);
            Moments evens = m.minus(Moments.of(x, y, odd, 3, d, pool));
            Moments direct = Moments.of(x, y, even, 3, d, pool);
            assertEquals(direct.count, evens.count);
            assertArrayEquals(direct.classCount, evens.classCount);
            assertArrayEquals(direct.classSum, evens.classSum, 1e-9);
            assertArrayEquals(direct.gram, evens.gram, 2e-2);
            assertArrayEquals(m.gram, evens.plus(Moments.of(x, y, odd, 3, d, pool)).gram, 2e-2);
        } finally {
            pool.shutdownNow();
        }
    }
}
