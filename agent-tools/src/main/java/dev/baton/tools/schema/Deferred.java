package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Parts of a value that are only known at run time, such as the {@code ${task.output}}
 * references in a plan's arguments. The validator neither accepts nor rejects what it cannot
 * know: a deferred part passes every check that depends on it, and no other.
 *
 * @param anyValue true for a node that will be replaced by a value of any type
 *                 (a string that is exactly one reference)
 * @param anyText  true for a string whose text will change but which stays a string (a
 *                 template); its type is checked, its length, pattern, enum and const are not
 */
public record Deferred(Predicate<JsonNode> anyValue, Predicate<JsonNode> anyText) {

    /** Everything is known now. */
    public static final Deferred NONE = new Deferred(node -> false, node -> false);

    public Deferred {
        Objects.requireNonNull(anyValue, "anyValue");
        Objects.requireNonNull(anyText, "anyText");
    }
}
