package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;

class TiledRowsTest {

    @Test
    void similaritiesAreTheDotProductsOfEveryRow() {
        Random random = new Random(7);
        float[][] rows = new float[50][];
        for (int i = 0; i < rows.length; i++) rows[i] = randomUnit(random, 21); // not a multiple of 8: the tail counts
        float[] x = randomUnit(random, 21);
        float[] sim = TiledRows.of(rows).similarities(x);
        for (int i = 0; i < rows.length; i++) {
            double expected = 0;
            for (int j = 0; j < x.length; j++) expected += rows[i][j] * x[j];
            assertEquals(expected, sim[i], 1e-5, "row " + i);
        }
    }

    @Test
    void rowsSpanningSeveralTilesAndAPartialLastOneAreAllScored() {
        Random random = new Random(5);
        float[][] rows = new float[2 * TiledRows.TILE + 77][];
        for (int i = 0; i < rows.length; i++) rows[i] = randomUnit(random, 38); // 38: two features past the last four
        float[] x = randomUnit(random, 38);
        float[] sim = TiledRows.of(rows).similarities(x);
        assertEquals(rows.length, sim.length);
        for (int i = 0; i < rows.length; i++) {
            double expected = 0;
            for (int j = 0; j < x.length; j++) expected += rows[i][j] * x[j];
            assertEquals(expected, sim[i], 1e-5, "row " + i);
        }
    }

    @Test
    void aTicketsSimilaritiesAreBitForBitThoseOfCrossValidation() throws Exception {
        Random random = new Random(13);
        float[][] rows = new float[700][];
        for (int i = 0; i < rows.length; i++) rows[i] = randomUnit(random, 66);
        int q = 321;
        int[] fold = new int[rows.length];
        fold[q] = 1; // every other row is a candidate of row q
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            FoldNeighbours near = FoldNeighbours.of(rows, fold, 10, pool, 2, () -> false);
            float[] scan = TiledRows.of(rows).similarities(rows[q]);
            int[] neighbours = near.neighbours(q);
            float[] expected = near.similarities(q);
            for (int r = 0; r < neighbours.length; r++) {
                assertEquals(Float.floatToIntBits(expected[r]), Float.floatToIntBits(scan[neighbours[r]]), "neighbour " + r);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theTicketsVoteIsTheOneCrossValidationComputes() {
        Random random = new Random(11);
        List<LabelledExample> examples = new ArrayList<>();
        float[][] rows = new float[300][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = randomUnit(random, 384);
            examples.add(new LabelledExample("text " + i, "c" + (i % 7)));
        }
        Map<String, Integer> index = Map.of("c0", 0, "c1", 1, "c2", 2, "c3", 3, "c4", 4, "c5", 5, "c6", 6);
        float[] x = randomUnit(random, 384);
        for (Recipe.Vote vote : Recipe.Vote.values()) {
            double[] fromRows = EmbeddingClassifier.knnLogits(rows, examples, index, x, null, -1, 10, vote);
            double[] fromTiles = EmbeddingClassifier.knnVote(TiledRows.of(rows).similarities(x), examples, index, 10, vote);
            assertArrayEquals(fromRows, fromTiles, 1e-4, vote.name());
        }
    }

    @Test
    void refusesVectorsOfAnotherLength() {
        TiledRows rows = TiledRows.of(new float[][] {{1, 0}, {0, 1}});
        assertThrows(IllegalArgumentException.class, () -> rows.similarities(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> TiledRows.of(new float[][] {{1, 0}, {1}}));
    }

    /** A random unit vector of {@code d} dimensions (FoldNeighboursTest uses it too). */
    static float[] randomUnit(Random random, int d) {
        float[] v = new float[d];
        double norm = 0;
        for (int j = 0; j < d; j++) {
            v[j] = (float) random.nextGaussian();
            norm += v[j] * v[j];
        }
        for (int j = 0; j < d; j++) v[j] /= (float) Math.sqrt(norm);
        return v;
    }
}
