package dev.baton.triage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Every row's k nearest rows (by dot product) among the rows of the other folds: what the
 * out-of-fold nearest-neighbour vote of cross-validation needs, for all rows at once.
 *
 * <p>All pairs of n rows are n² dot products (10,003² of 384 for the bundled demo). Row by row (the
 * scan a ticket gets, {@link TiledRows#similarities}, when it read one row-major array) that took about
 * 9 s on two threads, streaming all rows from memory once per row. Here the product is symmetric and cache-blocked: the rows are cut into tiles of
 * {@link #TILE}; each pair of tiles (I ≤ J) is multiplied once, I's rows against J's rows transposed,
 * with the float kernel of {@link SoftmaxObjective#scores} (vectorised over J's rows, the tile of J
 * stays in the L2 cache), and each dot product feeds both rows' lists: half the products, none from
 * memory. For the bundled demo 4.8–5.1 s of CPU against 13.9–14.5 s row by row (tiles of 64: 6.1 s,
 * of 256: 5.5 s) while that kernel still ran scalar; vectorized, 3.6 s of CPU for 10,003 synthetic rows
 * of 768 features (twice the demo's 384). The top-10 lists cost next to nothing beside the products.
 *
 * <p>Deterministic whatever the threads and their timing: each dot product is one fixed sequence of
 * fused multiply-adds (the same number whichever tile pair computes it), each thread keeps its own
 * lists, and the lists are merged in one total order: higher similarity first, on a tie the lower
 * row index — the order of {@link EmbeddingClassifier#knnVote}'s scan, so the result is that of the
 * plain scan up to the rounding of the dot products.
 */
final class FoldNeighbours {

    /** Rows per tile: a tile of 128 rows × 384 floats transposed is 192 KB, well inside a 1 MB L2. */
    static final int TILE = 128;

    private final int k;
    /** Per row: the k similarities, highest first (-Infinity where there are fewer than k candidates). */
    private final float[] sims;
    /** Per row: the k row indices, in the order of {@link #sims} (Integer.MAX_VALUE for none). */
    private final int[] rows;

    private FoldNeighbours(int k, float[] sims, int[] rows) {
        this.k = k;
        this.sims = sims;
        this.rows = rows;
    }

    /** The i-th row's neighbours' similarities, highest first, k of them (-Infinity pads). */
    float[] similarities(int i) {
        return Arrays.copyOfRange(sims, i * k, i * k + k);
    }

    /** The i-th row's neighbours' row indices, in the order of {@link #similarities(int)} (padding: MAX_VALUE). */
    int[] neighbours(int i) {
        return Arrays.copyOfRange(rows, i * k, i * k + k);
    }

    /**
     * @param rows      the rows, all of one length
     * @param fold      each row's fold; a row's candidates are the rows of other folds
     * @param k         neighbours kept per row
     * @param cancelled polled between tiles; when true this throws {@link CancellationException}
     */
    static FoldNeighbours of(float[][] rows, int[] fold, int k, ExecutorService pool, int threads,
                             BooleanSupplier cancelled) {
        int n = fold.length;
        if (k < 1) throw new IllegalArgumentException("k must be >= 1: " + k);
        if (rows.length != n) throw new IllegalArgumentException(rows.length + " rows for " + n + " folds");
        int dim = n == 0 ? 0 : rows[0].length;
        float[] flat = flatten(rows, dim);
        int tiles = (n + TILE - 1) / TILE;
        float[][][] transposed = new float[tiles][][];
        for (int t = 0; t < tiles; t++) transposed[t] = transpose(flat, dim, t * TILE, Math.min(n, (t + 1) * TILE));
        // tile rows in order, the longest (I = 0 pairs with every tile) first: the threads finish together
        AtomicInteger next = new AtomicInteger();
        List<Future<Lists>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            parts.add(pool.submit(() -> {
                Lists mine = new Lists(n, k);
                float[][] z = new float[TILE][TILE];
                float[] zero = new float[TILE];
                for (int ti; (ti = next.getAndIncrement()) < tiles; ) {
                    for (int tj = ti; tj < tiles; tj++) {
                        if (cancelled.getAsBoolean()) throw new CancellationException("cancelled");
                        tile(flat, dim, fold, n, ti, tj, transposed[tj], z, zero, mine);
                    }
                }
                return mine;
            }));
        }
        List<Lists> lists = new ArrayList<>();
        for (Future<Lists> p : parts) lists.add(Parallel.join(p));
        Lists merged = lists.get(0);
        for (int t = 1; t < lists.size(); t++) {
            Lists other = lists.get(t);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) merged.offer(i, other.sims[i * k + j], other.rows[i * k + j]);
            }
        }
        return new FoldNeighbours(k, merged.sims, merged.rows);
    }

    /** rows[0] ‖ rows[1] ‖ ...: the row-major array the kernel reads a tile's rows from. */
    private static float[] flatten(float[][] rows, int dim) {
        float[] flat = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, not " + dim);
            System.arraycopy(rows[i], 0, flat, i * dim, dim);
        }
        return flat;
    }

    /** Rows from..to of flat as dim rows of TILE, feature-major (zeros beyond to). */
    private static float[][] transpose(float[] flat, int dim, int from, int to) {
        float[][] t = new float[dim][TILE];
        for (int i = from; i < to; i++) {
            int o = i * dim;
            int c = i - from;
            for (int j = 0; j < dim; j++) t[j][c] = flat[o + j];
        }
        return t;
    }

    /** The dot products of tile ti's rows with tile tj's, offered to both rows' lists (once on the diagonal). */
    private static void tile(float[] flat, int dim, int[] fold, int n, int ti, int tj, float[][] tjTransposed, float[][] z,
                             float[] zero, Lists lists) {
        int i0 = ti * TILE;
        int j0 = tj * TILE;
        int ni = Math.min(n, i0 + TILE) - i0;
        int nj = Math.min(n, j0 + TILE) - j0;
        SoftmaxObjective.scores(flat, i0, ni, tjTransposed, zero, z, dim, TILE);
        boolean diagonal = ti == tj;
        for (int a = 0; a < ni; a++) {
            int i = i0 + a;
            int fi = fold[i];
            float[] za = z[a];
            for (int b = 0; b < nj; b++) {
                int j = j0 + b;
                if (fold[j] == fi) continue;
                float s = za[b];
                lists.offer(i, s, j);
                if (!diagonal) lists.offer(j, s, i);
            }
        }
    }

    /** Each row's best k so far, by (similarity descending, row ascending). */
    private static final class Lists {
        final int k;
        final float[] sims;
        final int[] rows;

        Lists(int n, int k) {
            this.k = k;
            sims = new float[n * k];
            rows = new int[n * k];
            Arrays.fill(sims, Float.NEGATIVE_INFINITY);
            Arrays.fill(rows, Integer.MAX_VALUE);
        }

        void offer(int i, float s, int j) {
            int o = i * k;
            int last = o + k - 1;
            if (!before(s, j, sims[last], rows[last])) return;
            int p = last;
            while (p > o && before(s, j, sims[p - 1], rows[p - 1])) {
                sims[p] = sims[p - 1];
                rows[p] = rows[p - 1];
                p--;
            }
            sims[p] = s;
            rows[p] = j;
        }

        private static boolean before(float s, int j, float t, int r) {
            return s > t || (s == t && j < r);
        }
    }
}
