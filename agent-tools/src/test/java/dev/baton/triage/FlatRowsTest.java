package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FlatRowsTest {

    @Test
    void similaritiesAreTheDotProductsOfEveryRow() {
        Random random = new Random(7);
        float[][] rows = new float[50][];
        for (int i = 0; i < rows.length; i++) rows[i] = randomUnit(random, 21); // not a multiple of 8: the tail counts
        float[] x = randomUnit(random, 21);
        float[] sim = FlatRows.of(rows).similarities(x);
        for (int i = 0; i < rows.length; i++) {
            double expected = 0;
            for (int j = 0; j < x.length; j++) expected += rows[i][j] * x[j];
            assertEquals(expected, sim[i], 1e-5, "row " + i);
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
            double[] fromFlat = EmbeddingClassifier.knnVote(FlatRows.of(rows).similarities(x), examples, index, 10, vote);
            assertArrayEquals(fromRows, fromFlat, 1e-4, vote.name());
        }
    }

    @Test
    void refusesVectorsOfAnotherLength() {
        FlatRows rows = FlatRows.of(new float[][] {{1, 0}, {0, 1}});
        assertThrows(IllegalArgumentException.class, () -> rows.similarities(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> FlatRows.of(new float[][] {{1, 0}, {1}}));
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
