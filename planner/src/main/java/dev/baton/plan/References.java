package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ${...}} references inside task arguments.
 *
 * <ul>
 *   <li>{@code ${input}}, {@code ${input.customer.email}}: the run's input</li>
 *   <li>{@code ${classify.output}}, {@code ${classify.output.category}}, {@code ${lookup.output.items[0].id}}:
 *       the output of another task, which makes this task depend on it</li>
 *   <li>{@code ${charge.error}}, {@code ${charge.error.message}}: a task's error ({@code {"code", "message"}});
 *       only a fallback's arguments may read it, for the task that failed</li>
 * </ul>
 *
 * A string that is exactly one reference takes the referenced value with its JSON type
 * (a number stays a number); a reference inside a longer string is replaced by the value's
 * text. A reference to a path that does not exist resolves to {@code null}.
 */
public final class References {

    /** Matches one reference; group 1 is its expression, e.g. {@code classify.output.category}. */
    public static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern SEGMENT = Pattern.compile("([A-Za-z0-9_-]+)|\\[(\\d+)]");

    private References() {
    }

    /**
     * One parsed reference: {@code root} is {@code input} or a task id; {@code path} follows the
     * output (or, with {@code error}, the task's error).
     */
    public record Reference(String text, String root, boolean input, List<Object> path, boolean error) {
        public Reference(String text, String root, boolean input, List<Object> path) {
            this(text, root, input, path, false);
        }
    }

    /** Every reference in a JSON value, in order; a malformed one throws {@link IllegalArgumentException}. */
    public static List<Reference> in(JsonNode value) {
        List<Reference> found = new ArrayList<>();
        collect(value, found);
        return found;
    }

    /** The ids of the tasks whose outputs a JSON value references. Malformed references are ignored here; the validator reports them. */
    public static Set<String> taskIdsIn(JsonNode value) {
        Set<String> ids = new LinkedHashSet<>();
        collectTaskIds(value, ids);
        return ids;
    }

    private static void collectTaskIds(JsonNode value, Set<String> ids) {
        if (value == null) return;
        if (value.isTextual()) {
            if (!value.textValue().contains("${")) return; // most arguments: no reference to look for
            Matcher m = REFERENCE.matcher(value.textValue());
            while (m.find()) {
                String expr = m.group(1).strip();
                int dot = expr.indexOf('.');
                String root = dot < 0 ? expr : expr.substring(0, dot);
                if (!root.equals("input") && expr.startsWith(root + ".output")) ids.add(root);
            }
        } else if (value.isContainerNode()) {
            value.forEach(child -> collectTaskIds(child, ids));
        }
    }

    private static void collect(JsonNode value, List<Reference> found) {
        if (value == null) return;
        if (value.isTextual()) {
            Matcher m = REFERENCE.matcher(value.textValue());
            while (m.find()) found.add(parse(m.group(1)));
        } else if (value.isContainerNode()) {
            value.forEach(child -> collect(child, found));
        }
    }

    /**
     * Parses the inside of {@code ${...}}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and what is expected
     */
    public static Reference parse(String expr) {
        String text = "${" + expr + "}";
        String trimmed = expr.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("empty reference " + text + ": expected ${input.path} or ${task.output.path}");
        }
        int dot = trimmed.indexOf('.');
        String root = dot < 0 ? trimmed : trimmed.substring(0, dot);
        String rest = dot < 0 ? "" : trimmed.substring(dot + 1);
        boolean input = root.equals("input");
        boolean error = false;
        if (!input) {
            error = rest.equals("error") || rest.startsWith("error.") || rest.startsWith("error[");
            if (!error && !rest.equals("output") && !rest.startsWith("output.") && !rest.startsWith("output[")) {
                throw new IllegalArgumentException("reference " + text + " must read a task's output, as ${" + root + ".output} or ${" + root + ".output.field}");
            }
            rest = rest.substring(error ? "error".length() : "output".length());
            if (rest.startsWith(".")) rest = rest.substring(1);
        }
        return new Reference(text, root, input, parsePath(rest, text), error);
    }

    private static List<Object> parsePath(String path, String text) {
        List<Object> segments = new ArrayList<>();
        if (path.isEmpty()) return segments;
        int pos = 0;
        Matcher m = SEGMENT.matcher(path);
        while (pos < path.length()) {
            if (path.charAt(pos) == '.') {
                if (pos == 0 || pos == path.length() - 1) throw new IllegalArgumentException("malformed path in reference " + text);
                pos++;
            }
            if (!m.region(pos, path.length()).lookingAt()) {
                throw new IllegalArgumentException("malformed path in reference " + text + " at '" + path.substring(pos) + "'");
            }
            segments.add(m.group(1) != null ? m.group(1) : (Object) Integer.parseInt(m.group(2)));
            pos = m.end();
        }
        return segments;
    }

    /**
     * Replaces every reference in {@code args} by its value.
     *
     * @param input   the run's input
     * @param outputs a task id's output, or null when it has none
     */
    public static JsonNode resolve(JsonNode args, JsonNode input, Function<String, JsonNode> outputs) {
        return resolve(args, input, outputs, taskId -> null);
    }

    /**
     * Like {@link #resolve(JsonNode, JsonNode, Function)}, with tasks' errors for {@code ${task.error...}}.
     *
     * @param errors a task id's error as {@code {"code", "message"}}, or null
     */
    public static JsonNode resolve(JsonNode args, JsonNode input, Function<String, JsonNode> outputs,
                                   Function<String, JsonNode> errors) {
        if (args == null) return NullNode.instance;
        if (args.isTextual()) return resolveText(args.textValue(), input, outputs, errors);
        if (args.isObject()) {
            var copy = args.deepCopy();
            var obj = (com.fasterxml.jackson.databind.node.ObjectNode) copy;
            for (Map.Entry<String, JsonNode> e : args.properties()) {
                obj.set(e.getKey(), resolve(e.getValue(), input, outputs, errors));
            }
            return obj;
        }
        if (args.isArray()) {
            var arr = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
            args.forEach(item -> arr.add(resolve(item, input, outputs, errors)));
            return arr;
        }
        return args;
    }

    /**
     * Replaces every reference in a text meant for people or models (an agent's instruction) by
     * its value as text: a string as it is, other values as JSON, nothing for null.
     */
    public static String resolveToText(String text, JsonNode input, Function<String, JsonNode> outputs,
                                       Function<String, JsonNode> errors) {
        return asText(resolveText(text, input, outputs, errors));
    }

    private static String asText(JsonNode value) {
        return value.isNull() || value.isMissingNode() ? "" : value.isValueNode() ? value.asText() : value.toString();
    }

    private static JsonNode resolveText(String text, JsonNode input, Function<String, JsonNode> outputs,
                                        Function<String, JsonNode> errors) {
        Matcher m = REFERENCE.matcher(text);
        if (!m.find()) return TextNode.valueOf(text);
        if (m.start() == 0 && m.end() == text.length()) {
            return valueOf(parse(m.group(1)), input, outputs, errors);
        }
        StringBuilder out = new StringBuilder();
        m.reset();
        while (m.find()) {
            JsonNode value = valueOf(parse(m.group(1)), input, outputs, errors);
            String replacement = asText(value);
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return TextNode.valueOf(out.toString());
    }

    private static JsonNode valueOf(Reference ref, JsonNode input, Function<String, JsonNode> outputs,
                                    Function<String, JsonNode> errors) {
        JsonNode node = ref.input() ? input : ref.error() ? errors.apply(ref.root()) : outputs.apply(ref.root());
        for (Object segment : ref.path()) {
            if (node == null) break;
            node = segment instanceof Integer i ? node.get(i) : node.get((String) segment);
        }
        return node == null || node instanceof MissingNode ? NullNode.instance : node;
    }
}
