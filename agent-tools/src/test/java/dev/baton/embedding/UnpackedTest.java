package dev.baton.embedding;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A jar's file kept unpacked in a folder: written once, named by its jar, then found there. */
class UnpackedTest {

    private static final String RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

    @Test
    void aResourceIsUnpackedOnceAndFoundThereAfter(@TempDir Path dir) throws Exception {
        ClassLoader loader = AllMiniLmL6V2QuantizedEmbeddingModel.class.getClassLoader();
        Path file = Unpacked.file(loader, RESOURCE, dir);
        assertTrue(file.getFileName().toString().matches("all-minilm-l6-v2-q-tokenizer-[0-9a-f]{16}\\.json"), file.toString());
        try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
            assertArrayEquals(in.readAllBytes(), Files.readAllBytes(file));
        }
        Files.setLastModifiedTime(file, FileTime.fromMillis(0));
        assertEquals(file, Unpacked.file(loader, RESOURCE, dir));
        assertEquals(0, Files.getLastModifiedTime(file).toMillis(), "not written again");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    @Test
    void aResourceOutsideAJarOrMissingIsNotUnpacked(@TempDir Path dir) {
        assertNull(Unpacked.file(UnpackedTest.class.getClassLoader(), "no-such-resource.onnx", dir));
        // this test's own class comes from a folder, not a jar
        assertNull(Unpacked.file(UnpackedTest.class.getClassLoader(), "dev/baton/embedding/UnpackedTest.class", dir));
    }
}
