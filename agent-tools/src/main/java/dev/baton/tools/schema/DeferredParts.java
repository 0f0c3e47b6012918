package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link Deferred} parts of a value, and which of the validator's errors on it are certain:
 * errors that no run-time value of those parts could avoid.
 *
 * <p>Why this and not a checker of its own: the value, placeholders and all, is checked by the
 * same compiled schema as at run time, so on literal values the plan-time check and the run-time
 * check cannot disagree. Only the verdict on deferred parts differs, and it is decided here by
 * the error's place alone, conservatively (an error is dropped whenever a run-time value might
 * change it):
 * <ul>
 * <li>An error at or inside a part that may become any value is dropped (a {@code false} schema
 *     excepted: it refuses the property's presence, whatever its value). At a template string,
 *     which stays a string, only a {@code type} error is kept.</li>
 * <li>An error whose path went through a keyword that reads the values below where it applies
 *     ({@code anyOf}, {@code oneOf}, {@code not}, {@code if}/{@code then}/{@code else},
 *     {@code contains}, {@code enum}, {@code const}, {@code uniqueItems},
 *     {@code unevaluatedProperties}/{@code Items}) is dropped when a deferred part lies below that
 *     place: with another value there, another branch may hold. E.g. with {@code if} on
 *     {@code mode} and {@code then} on {@code count}, an error on a literal {@code count} goes
 *     when {@code mode} is a reference.</li>
 * <li>Every other keyword sees only what is known now: the kind of a literal value, the names of
 *     an object's properties ({@code required}, {@code additionalProperties},
 *     {@code propertyNames}, {@code dependentRequired}, {@code dependentSchemas}), the number of
 *     items, a literal string or number; and the applicators that lead to it ({@code properties},
 *     {@code items}, {@code allOf}, {@code $ref}...) apply whatever the deferred values are.</li>
 * </ul>
 * Reporting less than the run-time check would on some plans is the price: what is dropped
 * here is still checked at run time, on the resolved value.
 */
final class DeferredParts {

    /** Keywords whose outcome depends on the values below the place they apply to. */
    private static final Set<String> READS_VALUES = Set.of("anyOf", "oneOf", "not", "if", "then", "else", "contains",
            "minContains", "maxContains", "enum", "const", "uniqueItems", "unevaluatedProperties", "unevaluatedItems");

    /** A deferred node: where it is, and whether it may become any value (else it stays a string). */
    private record Part(List<Object> path, boolean anyValue) {
    }

    private final List<Part> parts;

    private DeferredParts(List<Part> parts) {
        this.parts = parts;
    }

    static DeferredParts of(JsonNode value, Deferred deferred) {
        List<Part> parts = new ArrayList<>();
        collect(value, new ArrayList<>(), deferred, parts);
        return new DeferredParts(parts);
    }

    private static void collect(JsonNode node, List<Object> path, Deferred deferred, List<Part> parts) {
        if (deferred.anyValue().test(node)) {
            parts.add(new Part(List.copyOf(path), true));
        } else if (deferred.anyText().test(node)) {
            parts.add(new Part(List.copyOf(path), false));
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                path.add(property.getKey());
                collect(property.getValue(), path, deferred, parts);
                path.remove(path.size() - 1);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                path.add(i);
                collect(node.get(i), path, deferred, parts);
                path.remove(path.size() - 1);
            }
        }
    }

    boolean isEmpty() {
        return parts.isEmpty();
    }

    /** True when no run-time value of the deferred parts could make {@code error} go away. */
    boolean certain(Error error) {
        List<Object> at = EvaluationPath.elements(error.getInstanceLocation());
        String keyword = error.getKeyword();
        if (!"false".equals(keyword)) {
            for (Part part : parts) {
                if (part.anyValue() && startsWith(at, part.path())) return false;
                if (!part.anyValue() && part.path().equals(at) && !"type".equals(keyword)) return false;
            }
        }
        List<EvaluationPath.Step> steps = EvaluationPath.steps(error);
        if (steps == null) return false;
        for (EvaluationPath.Step step : steps) {
            if (!READS_VALUES.contains(step.keyword())) continue;
            List<Object> where = at.subList(0, step.depth());
            for (Part part : parts) {
                if (startsWith(part.path(), where)) return false;
            }
        }
        return true;
    }

    private static boolean startsWith(List<Object> path, List<Object> prefix) {
        return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
    }
}
