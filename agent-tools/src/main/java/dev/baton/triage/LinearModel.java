package dev.baton.triage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** A fitted linear classifier over a ticket's dense features (concatenated embeddings) and optional sparse ones. */
interface LinearModel {

    /** Raw class scores, before the softmax. */
    double[] logits(float[] dense, TfIdf.Sparse sparse);

    /** Writes the model, preceded by its kind, for {@link #read}. */
    void write(DataOutputStream out) throws IOException;

    /** Reads a model {@link #write} wrote. */
    static LinearModel read(DataInputStream in) throws IOException {
        int kind = in.readByte();
        if (kind == SoftmaxRegression.KIND) return SoftmaxRegression.read(in);
        throw new IOException("unknown model kind " + kind);
    }
}
