package dev.baton.bench;

import dev.baton.triage.TrainingFigures;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Part "train": what training the ticket classifier's logistic regression costs on 10,003 rows of
 * MiniLM (+) BGE embeddings (768 features, 77 classes): one fit, 5-fold cross-validation plus the
 * final fit with the classifier's warm starts, the out-of-fold nearest neighbours of the vote (BGE),
 * their sum (the figure issue 18 bounds at 15 s, without the calibration's fraction of a second),
 * the out-of-fold accuracy at a few penalties and iteration caps, every fit from zero (how the
 * defaults were chosen), and today's Adam softmax on the same folds.
 *
 * <p>-Dbench.trainData=DIR reads DIR/labels.txt (one class per line) and DIR/minilm.f32,
 * DIR/bge.f32 (little-endian float32, 384 per row, same order); without it the rows are synthetic
 * (77 Gaussian classes on the unit sphere). -Dbench.train.sweep=false skips the sweep,
 * -Dbench.train.adam=false the Adam comparison.
 */
final class TrainBench {

    private final Report report;

    TrainBench(Report report) {
        this.report = report;
    }

    /** @param near the rows the neighbour vote compares (BGE's; the synthetic rows themselves) */
    private record Data(float[][] x, float[][] near, int[] y, int classes, String source) {
    }

    void run() throws IOException {
        Data data = load(Options.text("bench.trainData", null));
        report.section("Training the ticket classifier's logistic regression (" + data.source + ")");
        int[] fold = stratifiedFolds(data.y, data.classes, 5, 42);
        report.say("%d rows x %d features, %d classes; 5 stratified folds; %d threads; defaults: l2 %s, at most %d iterations",
                data.x.length, data.x[0].length, data.classes, Math.min(2, Runtime.getRuntime().availableProcessors()),
                TrainingFigures.defaultL2(), TrainingFigures.defaultIterations());

        TrainingFigures.fit(data.x, data.y, data.classes, 0, 5); // warm-up: the JIT compiles the kernels
        TrainingFigures.Outcome one = TrainingFigures.fit(data.x, data.y, data.classes, 0, 0);
        report.say("one fit on all rows: %.2f s (%.1f s of CPU), %s iterations", one.seconds(), one.cpuSeconds(), one.iterations());
        report.info("LR one fit (10k x 768)", String.format(Locale.ROOT, "%.2f s", one.seconds()));

        TrainingFigures.Outcome cv = TrainingFigures.crossValidate(data.x, data.y, data.classes, fold, 0, 0);
        report.say("5-fold CV + final fit (warm starts, as the classifier): %.2f s (%.1f s of CPU), iterations per fit %s,"
                + " out-of-fold accuracy %.4f", cv.seconds(), cv.cpuSeconds(), cv.iterations(), cv.accuracy());
        report.info("LR 5-fold CV + final fit", String.format(Locale.ROOT, "%.2f s", cv.seconds()));
        report.info("LR out-of-fold accuracy", String.format(Locale.ROOT, "%.4f", cv.accuracy()));
        TrainingFigures.outOfFoldNeighbours(data.near, fold); // warm-up
        TrainingFigures.Outcome vote = TrainingFigures.outOfFoldNeighbours(data.near, fold);
        report.say("out-of-fold 10 nearest neighbours (the vote's work, %d x %d): %.2f s (%.1f s of CPU)",
                data.near.length, data.near[0].length, vote.seconds(), vote.cpuSeconds());
        double both = cv.seconds() + vote.seconds();
        report.say("regression CV + final + the vote, one after the other: %.2f s (%.1f s of CPU); the classifier runs"
                + " them side by side", both, cv.cpuSeconds() + vote.cpuSeconds());
        report.goal("CV + final fit + out-of-fold vote", both, "s", 15, true, String.format(Locale.ROOT, "%.2f s", both));

        if (Boolean.parseBoolean(Options.text("bench.train.sweep", "true"))) {
            double l2 = TrainingFigures.defaultL2();
            int its = TrainingFigures.defaultIterations();
            report.say("sweep (5-fold CV + final each, every fit from zero):");
            for (double f : new double[] {0.3, 3}) sweep(data, fold, l2 * f, its);
            for (int cap : new int[] {its / 2, its * 2}) sweep(data, fold, l2, cap);
        }
        if (Boolean.parseBoolean(Options.text("bench.train.adam", "true"))) {
            TrainingFigures.Outcome adam = TrainingFigures.adamCrossValidate(data.x, data.y, data.classes, fold);
            report.say("Adam softmax (SoftmaxRegression defaults), same folds + final fit: %.2f s (%.1f s of CPU), out-of-fold accuracy %.4f",
                    adam.seconds(), adam.cpuSeconds(), adam.accuracy());
            report.info("Adam out-of-fold accuracy", String.format(Locale.ROOT, "%.4f", adam.accuracy()));
        }
    }

    /** Every fit from zero with the given penalty and cap. */
    private void sweep(Data data, int[] fold, double l2, int iterations) {
        TrainingFigures.Outcome o = TrainingFigures.crossValidate(data.x, data.y, data.classes, fold, l2, iterations);
        report.say("  l2 %-8s at most %3d iterations: accuracy %.4f, %.2f s (%.1f s of CPU), iterations %s",
                l2, iterations, o.accuracy(), o.seconds(), o.cpuSeconds(), o.iterations());
    }

    /** Each class's rows shuffled (seeded) and dealt to the folds in turn. */
    static int[] stratifiedFolds(int[] y, int classes, int k, long seed) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < y.length; i++) byClass.get(y[i]).add(i);
        Random r = new Random(seed);
        int[] fold = new int[y.length];
        int next = 0;
        for (List<Integer> rows : byClass) {
            Collections.shuffle(rows, r);
            for (int i : rows) fold[i] = next++ % k;
        }
        return fold;
    }

    private static Data load(String dir) throws IOException {
        if (dir == null) return synthetic(10_003, 768, 77, 7);
        Path d = Path.of(dir);
        List<String> labels = Files.readAllLines(d.resolve("labels.txt"));
        float[][] a = floats(d.resolve("minilm.f32"), labels.size(), 384);
        float[][] b = floats(d.resolve("bge.f32"), labels.size(), 384);
        Map<String, Integer> ids = new TreeMap<>();
        for (String l : labels) ids.putIfAbsent(l, 0);
        int next = 0;
        for (Map.Entry<String, Integer> e : ids.entrySet()) e.setValue(next++);
        float[][] x = new float[labels.size()][768];
        int[] y = new int[labels.size()];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(a[i], 0, x[i], 0, 384);
            System.arraycopy(b[i], 0, x[i], 384, 384);
            y[i] = ids.get(labels.get(i));
        }
        return new Data(x, b, y, ids.size(), "MiniLM (+) BGE embeddings from " + dir);
    }

    private static float[][] floats(Path file, int rows, int dim) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != (long) rows * dim * 4) {
            throw new IOException(file + " holds " + bytes.length + " bytes, not " + rows + " x " + dim + " floats");
        }
        FloatBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[][] out = new float[rows][dim];
        for (float[] row : out) buf.get(row);
        return out;
    }

    /** Gaussian classes around random centres, rows scaled to unit length like sentence embeddings. */
    private static Data synthetic(int n, int d, int classes, long seed) {
        Random r = new Random(seed);
        float[][] centre = new float[classes][d];
        for (float[] c : centre) for (int j = 0; j < d; j++) c[j] = (float) r.nextGaussian();
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            double norm = 0;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (centre[y[i]][j] + 3 * r.nextGaussian());
                norm += x[i][j] * x[i][j];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < d; j++) x[i][j] *= inv;
        }
        return new Data(x, x, y, classes, "synthetic " + n + " x " + d + ", " + classes + " classes");
    }
}
