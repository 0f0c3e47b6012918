package dev.baton.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;

/** Baton's sessions change how the encoders run, never what they give: LangChain4j's own vectors. */
class EmbeddingsTest {

    private static final String SHORT = "I am still waiting on my card, it has been two weeks";
    // over 510 word pieces: LangChain4j splits it into windows and averages them; so must Baton
    private static final String LONG = "My card payment was declined at the supermarket yesterday. ".repeat(60)
            + "Please also tell me how to change my PIN.";

    @Test
    void miniLmGivesLangChain4jsVectors() {
        assertSameVectors(new AllMiniLmL6V2QuantizedEmbeddingModel(), Embeddings.minilm());
    }

    @Test
    void bgeGivesLangChain4jsVectors() {
        assertSameVectors(new BgeSmallEnV15QuantizedEmbeddingModel(), Embeddings.bge());
    }

    @Test
    void embedAllKeepsTheOrderOfItsTexts() {
        List<String> texts = List.of(SHORT, "How do I top up by bank transfer?", "Why was I charged a fee for cash?");
        List<Embedding> all = Embeddings.bge().embedAll(texts.stream().map(TextSegment::from).toList()).content();
        for (int i = 0; i < texts.size(); i++) {
            assertTrue(cosine(Embeddings.bge().embed(texts.get(i)).content().vector(), all.get(i).vector()) > 0.9999, "text " + i);
        }
    }

    @Test
    void knowsItsDimensionWithoutEmbedding() {
        assertEquals(384, Embeddings.minilm().dimension());
        assertEquals(384, Embeddings.bge().dimension());
    }

    private static void assertSameVectors(EmbeddingModel reference, EmbeddingModel ours) {
        for (String text : List.of(SHORT, LONG)) {
            float[] a = reference.embed(text).content().vector();
            float[] b = ours.embed(text).content().vector();
            assertEquals(a.length, b.length);
            // one thread against ONNX Runtime's default pool: the same arithmetic up to rounding
            assertTrue(cosine(a, b) > 0.9999, "cosine " + cosine(a, b) + " for a text of " + text.length() + " chars");
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
