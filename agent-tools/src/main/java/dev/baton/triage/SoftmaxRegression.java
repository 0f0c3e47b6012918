package dev.baton.triage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;

/**
 * Multinomial logistic regression over dense features (the standardised embedding) and optional
 * sparse ones (TF-IDF), trained by mini-batch Adam with L2 weight decay. The sparse weights are
 * updated lazily (only the features a batch touches), which keeps an epoch cheap with a large
 * vocabulary. Immutable once trained.
 */
final class SoftmaxRegression implements LinearModel {

    /** Its kind in {@link LinearModel#write}. */
    static final int KIND = 1;

    /** Training settings; the defaults were chosen by measurement on BANKING77 (see docs/tickets.md). */
    record Params(int epochs, int batchSize, double learningRate, double l2, double sparseWeight, long seed) {
        static Params defaults() {
            return new Params(10, 64, 0.002, 3e-4, 2.0, 42);
        }
    }

    final int classes;
    final int dense;
    final int sparse;
    final float[] wd; // classes x dense
    final float[] ws; // classes x sparse (feature-major: ws[f * classes + c])
    final float[] bias;
    final float[] mean;
    final float[] invStd;

    private SoftmaxRegression(int classes, int dense, int sparse, float[] wd, float[] ws, float[] bias,
                              float[] mean, float[] invStd) {
        this.classes = classes;
        this.dense = dense;
        this.sparse = sparse;
        this.wd = wd;
        this.ws = ws;
        this.bias = bias;
        this.mean = mean;
        this.invStd = invStd;
    }

    /** Raw class scores (before the softmax). */
    @Override
    public double[] logits(float[] x, TfIdf.Sparse s) {
        float[] z = standardise(x);
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) out[c] = bias[c] + dot(wd, c * dense, z, dense);
        if (s != null && sparse > 0) {
            for (int k = 0; k < s.index().length; k++) {
                int off = s.index()[k] * classes;
                float v = s.value()[k];
                for (int c = 0; c < classes; c++) out[c] += ws[off + c] * v;
            }
        }
        return out;
    }

    /** w[off..off+d) . z, four partial sums so the JIT can keep several multiplies in flight. */
    static float dot(float[] w, int off, float[] z, int d) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < d; j += 4) {
            s0 += w[off + j] * z[j];
            s1 += w[off + j + 1] * z[j + 1];
            s2 += w[off + j + 2] * z[j + 2];
            s3 += w[off + j + 3] * z[j + 3];
        }
        for (; j < d; j++) s0 += w[off + j] * z[j];
        return (s0 + s1) + (s2 + s3);
    }

    private float[] standardise(float[] x) {
        float[] z = new float[dense];
        for (int j = 0; j < dense; j++) z[j] = (x[j] - mean[j]) * invStd[j];
        return z;
    }

    /** Softmax of logits divided by a temperature, in place-safe double precision. */
    static double[] softmax(double[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) max = Math.max(max, l / temperature);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /**
     * Trains on rows {@code x[i]} (dense), {@code s[i]} (sparse, may be null) with labels {@code y[i]}.
     *
     * @param sparseSize the sparse feature count, 0 for none
     */
    static SoftmaxRegression train(float[][] x, TfIdf.Sparse[] s, int[] y, int classes, int sparseSize, Params p) {
        int n = x.length;
        int d = x[0].length;
        float[] mean = new float[d];
        float[] invStd = new float[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (float[] row : x) for (int j = 0; j < d; j++) invStd[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        for (int j = 0; j < d; j++) invStd[j] = (float) (1 / Math.sqrt(invStd[j] / n + 1e-8));
        float[][] z = new float[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) * invStd[j];

        int sp = s == null ? 0 : sparseSize;
        float[] wd = new float[classes * d];
        float[] ws = new float[classes * sp];
        float[] b = new float[classes];
        Adam adamD = new Adam(wd.length);
        Adam adamS = new Adam(ws.length);
        Adam adamB = new Adam(classes);
        float[] gd = new float[wd.length];
        float[] gs = new float[ws.length];
        float[] gb = new float[classes];
        boolean[] touched = new boolean[sp];
        int[] touchedList = new int[sp];

        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random rnd = new Random(p.seed());
        double[] logit = new double[classes];
        long step = 0;
        for (int epoch = 0; epoch < p.epochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            // a cosine-decayed learning rate: large steps first, fine ones at the end
            double lr = p.learningRate() * 0.5 * (1 + Math.cos(Math.PI * epoch / p.epochs()));
            for (int start = 0; start < n; start += p.batchSize()) {
                int end = Math.min(n, start + p.batchSize());
                java.util.Arrays.fill(gd, 0);
                java.util.Arrays.fill(gb, 0);
                int touchedCount = 0;
                for (int bi = start; bi < end; bi++) {
                    int i = order[bi];
                    float[] zi = z[i];
                    TfIdf.Sparse si = sp > 0 ? s[i] : null;
                    for (int c = 0; c < classes; c++) logit[c] = b[c] + dot(wd, c * d, zi, d);
                    if (si != null) {
                        for (int k = 0; k < si.index().length; k++) {
                            int off = si.index()[k] * classes;
                            double v = si.value()[k] * p.sparseWeight();
                            for (int c = 0; c < classes; c++) logit[c] += ws[off + c] * v;
                        }
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) max = Math.max(max, logit[c]);
                    double total = 0;
                    for (int c = 0; c < classes; c++) {
                        logit[c] = Math.exp(logit[c] - max);
                        total += logit[c];
                    }
                    for (int c = 0; c < classes; c++) {
                        float g = (float) (logit[c] / total - (c == y[i] ? 1 : 0));
                        gb[c] += g;
                        int off = c * d;
                        for (int j = 0; j < d; j++) gd[off + j] += g * zi[j];
                        if (si != null) {
                            for (int k = 0; k < si.index().length; k++) {
                                int f = si.index()[k];
                                if (!touched[f]) {
                                    touched[f] = true;
                                    touchedList[touchedCount++] = f;
                                    for (int cc = 0; cc < classes; cc++) gs[f * classes + cc] = 0;
                                }
                                gs[f * classes + c] += g * si.value()[k] * (float) p.sparseWeight();
                            }
                        }
                    }
                }
                float inv = 1f / (end - start);
                step++;
                for (int k = 0; k < wd.length; k++) gd[k] = gd[k] * inv + (float) p.l2() * wd[k];
                for (int c = 0; c < classes; c++) gb[c] *= inv;
                adamD.update(wd, gd, lr, step);
                adamB.update(b, gb, lr, step);
                for (int t = 0; t < touchedCount; t++) {
                    int f = touchedList[t];
                    touched[f] = false;
                    int off = f * classes;
                    for (int c = 0; c < classes; c++) {
                        int k = off + c;
                        adamS.updateOne(ws, k, gs[k] * inv + (float) p.l2() * ws[k], lr, step);
                    }
                }
            }
        }
        if (sp > 0 && p.sparseWeight() != 1.0) {
            // fold the weight into the stored weights so logits() needs no settings
            for (int k = 0; k < ws.length; k++) ws[k] *= (float) p.sparseWeight();
        }
        return new SoftmaxRegression(classes, d, sp, wd, ws, b, mean, invStd);
    }

    /** Adam's moment estimates for one parameter array. */
    private static final class Adam {
        private static final double B1 = 0.9;
        private static final double B2 = 0.999;
        private final float[] m;
        private final float[] v;

        Adam(int size) {
            m = new float[size];
            v = new float[size];
        }

        void update(float[] w, float[] g, double lr, long step) {
            for (int k = 0; k < w.length; k++) updateOne(w, k, g[k], lr, step);
        }

        private long cachedStep = -1;
        private double bc1;
        private double bc2;

        void updateOne(float[] w, int k, float g, double lr, long step) {
            if (step != cachedStep) {
                // bias correction uses the global step; lazily updated sparse weights accept the approximation
                cachedStep = step;
                bc1 = 1 - Math.pow(B1, step);
                bc2 = 1 - Math.pow(B2, step);
            }
            m[k] = (float) (B1 * m[k] + (1 - B1) * g);
            v[k] = (float) (B2 * v[k] + (1 - B2) * g * g);
            w[k] -= (float) (lr * (m[k] / bc1) / (Math.sqrt(v[k] / bc2) + 1e-8));
        }
    }

    @Override
    public int kind() {
        return KIND;
    }

    @Override
    public void write(DataOutputStream out) throws IOException {
        out.writeInt(classes);
        out.writeInt(dense);
        out.writeInt(sparse);
        writeArray(out, wd);
        writeArray(out, ws);
        writeArray(out, bias);
        writeArray(out, mean);
        writeArray(out, invStd);
    }

    static SoftmaxRegression read(DataInputStream in) throws IOException {
        int classes = in.readInt();
        int dense = in.readInt();
        int sparse = in.readInt();
        return new SoftmaxRegression(classes, dense, sparse, readArray(in), readArray(in), readArray(in),
                readArray(in), readArray(in));
    }

    static void writeArray(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(a.length * 4);
        buf.asFloatBuffer().put(a);
        out.write(buf.array());
    }

    static float[] readArray(DataInputStream in) throws IOException {
        int len = in.readInt();
        byte[] bytes = new byte[len * 4];
        in.readFully(bytes);
        float[] a = new float[len];
        java.nio.ByteBuffer.wrap(bytes).asFloatBuffer().get(a);
        return a;
    }
}
