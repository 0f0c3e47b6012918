package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.data.segment.TextSegment;

class EmbeddingCacheTest {

    @TempDir
    Path dir;

    private static float[][] randomUnitRows(int n, int dim, long seed) {
        Random rnd = new Random(seed);
        float[][] m = new float[n][dim];
        for (float[] row : m) {
            double norm = 0;
            for (int i = 0; i < dim; i++) {
                row[i] = (float) rnd.nextGaussian();
                norm += row[i] * row[i];
            }
            for (int i = 0; i < dim; i++) row[i] /= (float) Math.sqrt(norm);
        }
        return m;
    }

    private static byte[] written(float[][] m) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            EmbeddingCache.writeMatrix(out, m);
        }
        return bytes.toByteArray();
    }

    private static float[][] read(byte[] bytes) throws IOException {
        return EmbeddingCache.readMatrix(new DataInputStream(new ByteArrayInputStream(bytes)));
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void aMatrixIsStoredAsInt8RowsAQuarterOfFloat32AndReadBackWithinHalfAStep() throws IOException {
        float[][] m = randomUnitRows(500, 384, 7);
        byte[] bytes = written(m);
        // 8 bytes of header, then per row a length, a scale and one byte per component
        assertEquals(8 + 500 * (8 + 384), bytes.length);
        float[][] back = read(bytes);
        assertEquals(m.length, back.length);
        double worst = 1;
        for (int r = 0; r < m.length; r++) {
            float max = 0;
            for (float v : m[r]) max = Math.max(max, Math.abs(v));
            float step = max / 127f;
            for (int i = 0; i < m[r].length; i++) {
                assertTrue(Math.abs(m[r][i] - back[r][i]) <= step / 2 * 1.0001f, "row " + r + " component " + i);
            }
            worst = Math.min(worst, cosine(m[r], back[r]));
        }
        assertTrue(worst > 0.9999, "cosine to the original " + worst);
    }

    @Test
    void knownValuesQuantizeExactly() {
        byte[] q = new byte[4];
        float scale = EmbeddingCache.quantize(new float[] {1.27f, -0.64f, 0f, 0.01f}, q);
        assertEquals(0.01f, scale, 1e-7f);
        assertArrayEquals(new byte[] {127, -64, 0, 1}, q);
        assertArrayEquals(new float[] {1.27f, -0.64f, 0f, 0.01f}, EmbeddingCache.dequantize(q, scale), 1e-6f);
    }

    @Test
    void aZeroRowStaysZeroAndANonFiniteOneIsRefused() throws IOException {
        float[][] back = read(written(new float[][] {new float[3], {}}));
        assertArrayEquals(new float[3], back[0]);
        assertEquals(0, back[1].length);
        assertThrows(IllegalArgumentException.class, () -> written(new float[][] {{1f, Float.NaN}}));
        assertThrows(IllegalArgumentException.class, () -> written(new float[][] {{1f, Float.POSITIVE_INFINITY}}));
    }

    @Test
    void float32MatricesOfEarlierVersionsAreStillRead() throws IOException {
        float[][] m = randomUnitRows(3, 16, 1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) { // the format before int8 rows
            out.writeInt(m.length);
            for (float[] row : m) SoftmaxRegression.writeArray(out, row);
        }
        float[][] back = read(bytes.toByteArray());
        for (int r = 0; r < m.length; r++) assertArrayEquals(m[r], back[r]);
    }

    @Test
    void anEntryOfAnUnknownFormatIsIgnoredNotMisread() throws IOException {
        EmbeddingCache cache = new EmbeddingCache(dir, null);
        cache.store("embeddings", "k", out -> out.writeInt(-12345)); // a matrix format this version does not know
        assertEquals(Optional.empty(), cache.load("embeddings", "k", EmbeddingCache::readMatrix));
        cache.store("embeddings", "k", out -> EmbeddingCache.writeMatrix(out, new float[][] {{0.5f, -1f}}));
        float[][] m = cache.load("embeddings", "k", EmbeddingCache::readMatrix).orElseThrow();
        assertArrayEquals(new float[] {0.5f, -1f}, m[0], 1e-2f);
    }

    /** The first bundled embeddings entry, by the manifest {@link Pretrain} writes. */
    private static String bundledEmbeddingsFile() throws IOException {
        try (InputStream in = EmbeddingCacheTest.class.getResourceAsStream(EmbeddingCache.BUNDLED + Pretrain.MANIFEST)) {
            assertTrue(in != null, "no bundled manifest: run " + Pretrain.COMMAND);
            JsonNode manifest = new ObjectMapper().readTree(in);
            for (JsonNode e : manifest.path("entries")) {
                if (e.path("kind").asText().equals("embeddings")) return e.path("file").asText();
            }
        }
        throw new AssertionError("the bundled manifest lists no embeddings");
    }

    @Test
    void theFolderComesFirstThenTheBundledLayerWhichIsNotCopied() throws IOException {
        String file = bundledEmbeddingsFile();
        String key = file.substring("embeddings-".length(), file.length() - ".bin".length());
        EmbeddingCache cache = new EmbeddingCache(dir);
        float[][] bundled = cache.load("embeddings", key, EmbeddingCache::readMatrix).orElseThrow();
        assertTrue(bundled.length > 10_000, "the bundled demo's rows: " + bundled.length);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "a bundled hit is not copied to the folder");
        }
        assertTrue(new EmbeddingCache(dir, null).load("embeddings", key, EmbeddingCache::readMatrix).isEmpty(), "no bundled layer");

        cache.store("embeddings", key, out -> EmbeddingCache.writeMatrix(out, new float[][] {{1f}}));
        assertEquals(1, cache.load("embeddings", key, EmbeddingCache::readMatrix).orElseThrow().length, "the folder's own entry wins");

        Files.writeString(dir.resolve(file), "garbage");
        assertEquals(bundled.length, cache.load("embeddings", key, EmbeddingCache::readMatrix).orElseThrow().length,
                "an unreadable entry in the folder falls back to the bundled one");
    }

    /** The cosine error int8 costs on real embeddings of both encoders (printed for the README). */
    @Test
    void realEmbeddingsKeepTheirDirection() throws IOException {
        List<String> texts = TriageFixtures.slice(0, 3).stream().map(LabelledExample::text).toList();
        for (Encoder e : TicketClassifiers.encoders()) {
            List<float[]> vectors = e.model().embedAll(texts.stream().map(TextSegment::from).toList()).content().stream()
                    .map(v -> v.vector()).toList();
            float[][] m = vectors.toArray(float[][]::new);
            float[][] back = read(written(m));
            double worst = 1, sum = 0;
            for (int r = 0; r < m.length; r++) {
                double c = cosine(m[r], back[r]);
                worst = Math.min(worst, c);
                sum += c;
            }
            System.out.printf(Locale.ROOT, "int8 rows, %s on %d texts: cosine to float32 min %.6f, mean %.6f%n", e.name(),
                    m.length, worst, sum / m.length);
            assertTrue(worst > 0.9995, e.name() + ": " + worst);
        }
    }
}
