package dev.baton.triage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** A fitted linear classifier over a ticket's dense features (concatenated embeddings) and optional sparse ones. */
interface LinearModel {

    /** Raw class scores, before the softmax. */
    double[] logits(float[] dense, TfIdf.Sparse sparse);

    /** Which implementation this is, in {@link #write(LinearModel, DataOutputStream)}. */
    int kind();

    /** Writes the model's own fields, for its kind's reader. */
    void write(DataOutputStream out) throws IOException;

    /** Writes the model preceded by its kind, for {@link #read}. */
    static void write(LinearModel model, DataOutputStream out) throws IOException {
        out.writeByte(model.kind());
        model.write(out);
    }

    /** Reads a model {@link #write(LinearModel, DataOutputStream)} wrote. */
    static LinearModel read(DataInputStream in) throws IOException {
        int kind = in.readByte();
        if (kind == SoftmaxRegression.KIND) return SoftmaxRegression.read(in);
        if (kind == LogisticRegression.KIND) return LogisticRegression.read(in);
        throw new IOException("unknown model kind " + kind);
    }
}
