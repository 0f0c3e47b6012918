package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;

import org.junit.jupiter.api.Test;

class FoldNeighboursTest {

    private static final Map<String, Integer> INDEX = Map.of("c0", 0, "c1", 1, "c2", 2, "c3", 3, "c4", 4, "c5", 5, "c6", 6);

    @Test
    void everyRowsVoteIsThePlainScansOverTheOtherFolds() {
        Random random = new Random(11);
        int n = 2 * FoldNeighbours.TILE + 37; // three tiles, the last one short
        float[][] rows = new float[n][];
        List<LabelledExample> examples = new ArrayList<>();
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = TiledRowsTest.randomUnit(random, 384);
            examples.add(new LabelledExample("text " + i, "c" + (i % 7)));
            fold[i] = random.nextInt(5);
        }
        FoldNeighbours table = table(rows, fold, 10, 2);
        for (int i = 0; i < n; i++) {
            int[] near = table.neighbours(i);
            for (int j : near) assertTrue(fold[j] != fold[i], "row " + i + " has a neighbour of its own fold");
            for (Recipe.Vote vote : Recipe.Vote.values()) {
                double[] plain = EmbeddingClassifier.knnLogits(rows, examples, INDEX, rows[i], fold, fold[i], 10, vote);
                double[] blocked = EmbeddingClassifier.knnVote(table.similarities(i), neighboursOf(near, examples), INDEX, 10, vote);
                assertArrayEquals(plain, blocked, 1e-4, "row " + i + ", " + vote);
            }
        }
    }

    @Test
    void theSameWhateverTheThreads() {
        Random random = new Random(3);
        int n = 3 * FoldNeighbours.TILE + 5;
        float[][] rows = new float[n][];
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = TiledRowsTest.randomUnit(random, 64);
            fold[i] = i % 4;
        }
        rows[40] = rows[7].clone(); // ties: two rows at the same similarity to every other row
        rows[300] = rows[7].clone();
        FoldNeighbours one = table(rows, fold, 10, 1);
        for (int threads : new int[] {2, 3, 5}) {
            FoldNeighbours many = table(rows, fold, 10, threads);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(one.neighbours(i), many.neighbours(i), threads + " threads, row " + i);
                assertArrayEquals(one.similarities(i), many.similarities(i), threads + " threads, row " + i);
            }
        }
    }

    @Test
    void tiesGoToTheLowerRowAsInThePlainScan() {
        float[][] rows = {{1, 0}, {1, 0}, {1, 0}, {1, 0}, {0, 1}};
        int[] fold = {0, 1, 1, 1, 1};
        FoldNeighbours table = table(rows, fold, 2, 2);
        assertArrayEquals(new int[] {1, 2}, table.neighbours(0));
        assertArrayEquals(new float[] {1, 1}, table.similarities(0));
    }

    @Test
    void fewerCandidatesThanKArePadded() {
        float[][] rows = {{1, 0}, {0.6f, 0.8f}, {0, 1}};
        int[] fold = {0, 1, 0};
        FoldNeighbours table = table(rows, fold, 3, 2);
        assertArrayEquals(new int[] {1, Integer.MAX_VALUE, Integer.MAX_VALUE}, table.neighbours(0));
        assertEquals(Float.NEGATIVE_INFINITY, table.similarities(0)[1]);
        assertArrayEquals(new int[] {2, 0, Integer.MAX_VALUE}, table.neighbours(1));
    }

    @Test
    void stopsWhenCancelled() {
        float[][] rows = new float[300][];
        Random random = new Random(5);
        for (int i = 0; i < rows.length; i++) rows[i] = TiledRowsTest.randomUnit(random, 8);
        ExecutorService pool = Parallel.pool(2);
        try {
            assertThrows(CancellationException.class,
                    () -> FoldNeighbours.of(rows, new int[300], 3, pool, 2, () -> true));
        } finally {
            pool.shutdownNow();
        }
    }

    private static FoldNeighbours table(float[][] rows, int[] fold, int k, int threads) {
        ExecutorService pool = Parallel.pool(threads);
        try {
            return FoldNeighbours.of(rows, fold, k, pool, threads, () -> false);
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<LabelledExample> neighboursOf(int[] near, List<LabelledExample> examples) {
        List<LabelledExample> out = new ArrayList<>();
        for (int j : near) out.add(j == Integer.MAX_VALUE ? examples.get(0) : examples.get(j));
        return out;
    }
}
