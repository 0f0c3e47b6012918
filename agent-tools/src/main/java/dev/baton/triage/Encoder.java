package dev.baton.triage;

import java.util.Objects;

import dev.langchain4j.model.embedding.EmbeddingModel;

/**
 * A sentence encoder the ticket classifier can read tickets with, under the name a {@link Recipe}
 * refers to it by (and cache entries are keyed by).
 *
 * @param name  a short, stable name, e.g. {@code "minilm"} or {@code "bge"}
 * @param model the embedding model; thread-safe
 */
public record Encoder(String name, EmbeddingModel model) {

    public Encoder {
        Objects.requireNonNull(model, "model");
        if (name == null || !name.matches("[a-z0-9][a-z0-9_.-]*")) {
            throw new IllegalArgumentException("an encoder name is lower-case letters, digits, '_', '.' or '-': " + name);
        }
    }
}
