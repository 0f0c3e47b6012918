package dev.baton.triage;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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

    private final Path dir;

    /** @param dir the folder, created on first write; null keeps nothing on disk */
    EmbeddingCache(Path dir) {
        this.dir = dir;
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

    <T> Optional<T> load(String kind, String key, Reader<T> reader) {
        if (dir == null) return Optional.empty();
        Path file = dir.resolve(kind + "-" + key + ".bin");
        if (!Files.isRegularFile(file)) return Optional.empty();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) throw new IOException("not a cache entry");
            return Optional.of(reader.read(in));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring the unreadable cache entry {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    void store(String kind, String key, Writer writer) {
        if (dir == null) return;
        Path file = dir.resolve(kind + "-" + key + ".bin");
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

    static void writeMatrix(DataOutputStream out, float[][] m) throws IOException {
        out.writeInt(m.length);
        for (float[] row : m) SoftmaxRegression.writeArray(out, row);
    }

    static float[][] readMatrix(DataInputStream in) throws IOException {
        int n = in.readInt();
        float[][] m = new float[n][];
        for (int i = 0; i < n; i++) m[i] = SoftmaxRegression.readArray(in);
        return m;
    }
}
