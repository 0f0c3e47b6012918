package dev.baton.tools.schema;

import com.networknt.schema.Error;
import com.networknt.schema.path.NodePath;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the evaluation path of a networknt {@link Error} ({@code /properties/items/items/anyOf/1/type}):
 * the keywords the check went through, and for each the depth in the value at which it applied.
 * The error's instance location ({@code /items/2}) gives the names at those depths.
 */
final class EvaluationPath {

    /**
     * One keyword on the way to an error.
     *
     * @param keyword  e.g. {@code anyOf}
     * @param argument the property name or position that follows it ({@code properties/email},
     *                 {@code anyOf/1}), or null
     * @param end      the number of path elements up to and including this keyword and its argument
     * @param depth    how many names of the instance location lie above the value it applied to
     */
    record Step(String keyword, Object argument, int end, int depth) {
    }

    /** Keywords followed in the path by a property name, a pattern or a position. */
    private static final Set<String> WITH_ARGUMENT = Set.of("properties", "patternProperties", "dependentSchemas",
            "dependencies", "prefixItems", "allOf", "anyOf", "oneOf", "$defs", "definitions");

    /** Keywords whose subschema applies to a property or an item of the value, one level down. */
    private static final Set<String> DESCENDING = Set.of("properties", "patternProperties", "additionalProperties",
            "unevaluatedProperties", "items", "prefixItems", "unevaluatedItems", "contains");

    private EvaluationPath() {
    }

    /**
     * The steps of {@code error}'s evaluation path, or null when they do not account for exactly the
     * depth of its instance location (a path this reading does not understand: callers then assume
     * the worst).
     */
    static List<Step> steps(Error error) {
        NodePath path = error.getEvaluationPath();
        int count = path.getNameCount();
        List<Step> steps = new ArrayList<>();
        int depth = 0;
        for (int i = 0; i < count; ) {
            if (!(path.getElement(i) instanceof String keyword)) return null;
            i++;
            Object argument = null;
            if (WITH_ARGUMENT.contains(keyword) && i < count) argument = path.getElement(i++);
            steps.add(new Step(keyword, argument, i, depth));
            // The last keyword is the one that failed, applied where the error is, so it does not descend.
            if (DESCENDING.contains(keyword) && i < count) depth++;
        }
        return depth == error.getInstanceLocation().getNameCount() ? steps : null;
    }

    /** The names (strings) and positions (integers) of a location, from the root down. */
    static List<Object> elements(NodePath location) {
        List<Object> elements = new ArrayList<>(location.getNameCount());
        for (int i = 0; i < location.getNameCount(); i++) elements.add(location.getElement(i));
        return elements;
    }

    /** The {@link JsonPaths} form of {@code elements} below {@code root}. */
    static String text(String root, List<Object> elements) {
        String path = root;
        for (Object element : elements) {
            path = element instanceof Integer index ? JsonPaths.index(path, index) : JsonPaths.property(path, String.valueOf(element));
        }
        return path;
    }
}
