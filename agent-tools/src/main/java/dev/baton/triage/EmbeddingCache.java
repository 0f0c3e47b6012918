package dev.baton.triage;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files under a cache folder that hold what is slow to recompute: the examples' embeddings and the
 * trained weights, each named by a SHA-256 of everything it was computed from. A file is written
 * to a temporary name and moved into place, so a crash never leaves a half-written entry; an
 * unreadable entry is logged and recomputed.
 *
 * <p>Below the folder lies a read-only bundled layer: entries shipped in the jar under
 * {@link #BUNDLED} (the bundled demo's trained state, written by {@link Pretrain}). A lookup tries
 * the folder first, so a user's own entries win, then the jar; a bundled hit is not copied to the
 * folder (it is as quick to read from the jar). The keys hold the examples' SHA-256 and the
 * settings, so changed examples or settings simply miss the bundled entries.
 *
 * <p>Embedding matrices are stored compactly, each row as signed bytes with one float scale
 * (int8, a quarter of float32; cosine to the original at least 0.9997 on real tickets, see {@code EmbeddingCacheTest});
 * matrices written as float32 rows by earlier versions are still read.
 */
final class EmbeddingCache {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    private static final int MAGIC = 0x42544531; // "BTE1"

    /** Writes the payload of one entry. */
    interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads the payload of one entry. */
    interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** The classpath folder of the bundled entries. */
    static final String BUNDLED = "/dev/baton/triage/banking77/pretrained/";
    /**
     * Marks a matrix of int8 rows. Earlier versions began a matrix with its row count, never
     * negative, so the two formats cannot be mistaken for each other (and an older reader fails on
     * a negative count, logs and recomputes).
     */
    private static final int INT8_ROWS = -0x51380001; // "Q8" and a version

    private final Path dir;
    private final String bundled;

    /** @param dir the folder, created on first write; null keeps nothing on disk (the bundled entries are still read) */
    EmbeddingCache(Path dir) {
        this(dir, BUNDLED);
    }

    /** @param bundled the classpath folder of read-only entries, ending in '/'; null for none */
    EmbeddingCache(Path dir, String bundled) {
        this.dir = dir;
        this.bundled = bundled;
    }

    /** The file name of an entry, in the folder and in the bundled layer. */
    static String fileName(String kind, String key) {
        return kind + "-" + key + ".bin";
    }

    static String sha256(String... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                md.update(p.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The entry from the folder, else from the bundled layer; empty when neither has a readable one. */
    <T> Optional<T> load(String kind, String key, Reader<T> reader) {
        String name = fileName(kind, key);
        if (dir != null && Files.isRegularFile(dir.resolve(name))) {
            Path file = dir.resolve(name);
            try {
                Optional<T> found = read(Files.newInputStream(file), file.toString(), reader);
                if (found.isPresent()) return found;
            } catch (IOException e) {
                LOG.warn("Ignoring the unreadable cache entry {}: {}", file, e.toString());
            }
        }
        if (bundled == null) return Optional.empty();
        InputStream in = EmbeddingCache.class.getResourceAsStream(bundled + name);
        if (in == null) return Optional.empty();
        Optional<T> found = read(in, "bundled " + bundled + name, reader);
        found.ifPresent(v -> LOG.info("Loaded the bundled {} entry {}", kind, name));
        return found;
    }

    private static <T> Optional<T> read(InputStream stream, String where, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16))) {
            if (in.readInt() != MAGIC) throw new IOException("not a cache entry");
            return Optional.of(reader.read(in));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring the unreadable cache entry {}: {}", where, e.toString());
            return Optional.empty();
        }
    }

    void store(String kind, String key, Writer writer) {
        if (dir == null) return;
        Path file = dir.resolve(fileName(kind, key));
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, kind + "-", ".tmp");
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
                out.writeInt(MAGIC);
                writer.write(out);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // a cache that cannot be written costs time on the next start, nothing else
            LOG.warn("Could not write the cache entry {}: {}", file, e.toString());
        }
    }

    /** Writes the rows as int8 with a scale each (see {@link #quantize}). */
    static void writeMatrix(DataOutputStream out, float[][] m) throws IOException {
        out.writeInt(INT8_ROWS);
        out.writeInt(m.length);
        for (float[] row : m) {
            byte[] q = new byte[row.length];
            float scale = quantize(row, q);
            out.writeInt(row.length);
            out.writeFloat(scale);
            out.write(q);
        }
    }

    /** Reads what {@link #writeMatrix} wrote, or a matrix of float32 rows as earlier versions wrote it. */
    static float[][] readMatrix(DataInputStream in) throws IOException {
        int head = in.readInt();
        if (head >= 0) { // float32 rows (before the int8 format)
            float[][] m = new float[head][];
            for (int i = 0; i < head; i++) m[i] = SoftmaxRegression.readArray(in);
            return m;
        }
        if (head != INT8_ROWS) throw new IOException("unknown matrix format " + Integer.toHexString(head));
        int n = in.readInt();
        if (n < 0) throw new IOException("negative row count");
        float[][] m = new float[n][];
        byte[] q = new byte[0];
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            if (len < 0) throw new IOException("negative row length");
            float scale = in.readFloat();
            if (q.length != len) q = new byte[len];
            in.readFully(q);
            m[i] = dequantize(q, scale);
        }
        return m;
    }

    /**
     * Symmetric int8 quantization of one row: {@code q[i] = round(row[i] / scale)} with
     * {@code scale = max|row| / 127}, so the largest component is exact and every other is off by
     * at most half a step. Returns the scale (0 for a zero row).
     */
    static float quantize(float[] row, byte[] q) {
        float max = 0;
        for (float v : row) max = Math.max(max, Math.abs(v));
        if (!Float.isFinite(max)) throw new IllegalArgumentException("a row holds a non-finite value");
        if (max == 0) {
            java.util.Arrays.fill(q, (byte) 0);
            return 0;
        }
        float scale = max / 127f;
        for (int i = 0; i < row.length; i++) q[i] = (byte) Math.max(-127, Math.min(127, Math.round(row[i] / scale)));
        return scale;
    }

    static float[] dequantize(byte[] q, float scale) {
        float[] row = new float[q.length];
        for (int i = 0; i < q.length; i++) row[i] = q[i] * scale;
        return row;
    }
}
