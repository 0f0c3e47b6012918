package dev.baton.triage;

/**
 * Row vectors of one length laid out for the nearest-neighbour scan of every ticket: cut into tiles
 * of {@link #TILE} rows, each tile kept as one array per feature (the tile's rows' values of that
 * feature), so that the scan adds x[j] times a whole column of a tile into the tile's running sums:
 * x as a one-row matrix times the tile, with {@link SoftmaxObjective#scores}, whose loops the JIT turns
 * into vector instructions (every array in them indexed by the row alone).
 *
 * <p>Measured on 8,085 × 384 (the bundled demo at 105 examples a category), one thread: 0.32–0.45 ms
 * a ticket against 1.02–1.15 ms for the earlier scan of one row-major array with eight partial sums
 * per row, which the JIT cannot vectorize (a reduction); tiles of 64, 128 and 256 rows took 0.43–0.73 ms.
 * {@link FoldNeighbours} uses the same kernel in cross-validation, so each dot product is the same
 * fixed sequence of fused multiply-adds there and here: a ticket's vote and the out-of-fold vote rank
 * neighbours by the same numbers.
 *
 * @param rows  the vectors it holds (kept to tell whether a model's vectors are these)
 * @param tiles tiles[t][j][r] = rows[t * TILE + r][j], zeros past the last row
 * @param dim   the vectors' length
 */
record TiledRows(float[][] rows, float[][][] tiles, int dim) {

    /** Rows per tile: a tile's running sums (2 KB) stay in the L1 cache while its 384 columns stream past. */
    static final int TILE = 512;

    /** The kernel's bias: none (only ever read). */
    private static final float[] NO_BIAS = new float[TILE];

    static TiledRows of(float[][] rows) {
        int dim = rows.length == 0 ? 0 : rows[0].length;
        float[][][] tiles = new float[(rows.length + TILE - 1) / TILE][dim][TILE];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, not " + dim);
            float[][] tile = tiles[i / TILE];
            int r = i % TILE;
            for (int j = 0; j < dim; j++) tile[j][r] = rows[i][j];
        }
        return new TiledRows(rows, tiles, dim);
    }

    /** The dot product of every row with x (x has {@link #dim} values). */
    float[] similarities(float[] x) {
        if (x.length != dim) throw new IllegalArgumentException("a vector of " + x.length + " values against rows of " + dim);
        float[] out = new float[rows.length];
        float[][] sums = new float[1][TILE];
        for (int t = 0; t < tiles.length; t++) {
            // x as a one-row matrix times the tile (dim × TILE): cross-validation's own kernel, so the same numbers
            SoftmaxObjective.scores(x, 0, 1, tiles[t], NO_BIAS, sums, dim, TILE);
            int from = t * TILE;
            System.arraycopy(sums[0], 0, out, from, Math.min(TILE, rows.length - from));
        }
        return out;
    }
}
