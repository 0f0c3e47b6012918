package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.schema.Deferred;
import dev.baton.tools.schema.JsonPaths;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;

/**
 * Checks a tool task's arguments: their {@code ${...}} references, and their fit to the tool's
 * JSON schema. Fields are named by their path, e.g. {@code args.customer.email}.
 */
final class ArgumentCheck {

    /**
     * What is only known at run time: a string that is exactly one reference may become any
     * value; a string holding references among other text stays a string of unknown content.
     */
    static final Deferred REFERENCES = new Deferred(
            node -> node.isTextual() && node.textValue().contains("${") && References.REFERENCE.matcher(node.textValue()).matches(),
            node -> node.isTextual() && node.textValue().contains("${") && References.REFERENCE.matcher(node.textValue()).find());

    private ArgumentCheck() {
    }

    /** Malformed references, references to unknown tasks and to the task itself. */
    static void references(TaskSpec task, ObjectNode args, Set<String> ids, ProblemList problems) {
        stringsWithReferences(args, "args", (path, text) -> eachReference(task, path, text, problems, reference -> {
            if (reference.input()) return;
            if (reference.error()) {
                problems.add(task.id(), path, reference.text() + " reads a task's error: only a 'fallback' may, for the task that failed");
            } else if (reference.root().equals(task.id())) {
                problems.add(task.id(), path, "refers to its own output in " + reference.text()
                        + ": a task can only use the outputs of other tasks");
            } else if (!ids.contains(reference.root())) {
                problems.add(task.id(), path, "refers to unknown task '" + reference.root() + "' in " + reference.text()
                        + (problems.full() ? "" : Suggestions.didYouMean(reference.root(), ids)));
            }
        }));
    }

    /**
     * Hands every well-formed {@code ${...}} in {@code text} to {@code each}, and reports the
     * malformed ones and a {@code ${} without its closing brace at {@code path}.
     */
    static void eachReference(TaskSpec task, String path, String text, ProblemList problems,
                              java.util.function.Consumer<References.Reference> each) {
        if (!text.contains("${")) return;
        Matcher m = References.REFERENCE.matcher(text);
        int afterLast = 0; // where the text after the last reference begins
        while (m.find()) {
            afterLast = m.end();
            References.Reference reference;
            try {
                reference = References.parse(m.group(1));
            } catch (IllegalArgumentException e) {
                problems.add(task.id(), path, e.getMessage());
                continue;
            }
            each.accept(reference);
        }
        // A '${' with a '}' anywhere after it starts a match, so one left over can only follow the
        // last match, and has no closing brace.
        if (text.indexOf("${", afterLast) >= 0) {
            problems.add(task.id(), path, "unclosed reference: '${' without its closing '}'");
        }
    }

    /**
     * Violations of the tool's schema that no run-time value of a reference could avoid.
     *
     * <p>Not a checker of the planner's own: the arguments, references and all, go through the
     * tool's compiled schema exactly as the resolved arguments will at run time (networknt,
     * draft 2020-12), and only the errors that a reference's value could change are dropped
     * ({@code DeferredParts} in agent-tools says which, and why that is sound). So a literal
     * argument that breaks the schema is refused here with the same words as at run time, and
     * one that the run-time check would accept is never refused here.
     */
    static void schema(TaskSpec task, ToolDescriptor tool, ObjectNode args, ProblemList problems) {
        for (SchemaViolation violation : JsonSchemaValidator.validate(tool.parameters(), args, REFERENCES)) {
            problems.add(task.id(), violation.path(), violation.message());
        }
    }

    /** The path of the first argument that references {@code taskId}'s output, or {@code args}. */
    static String firstReferenceTo(ObjectNode args, String taskId) {
        String[] found = {null};
        stringsWithReferences(args, "args", (path, text) -> {
            if (found[0] == null && References.taskIdsIn(TextNode.valueOf(text)).contains(taskId)) {
                found[0] = path;
            }
        });
        return found[0] == null ? "args" : found[0];
    }

    /**
     * Calls {@code visitor} with the path and text of every string inside {@code value} that holds
     * a {@code ${}: the only strings a reference check has anything to say about. A path is only
     * built for such a string and the containers on the way to one (most arguments hold none).
     */
    static void stringsWithReferences(JsonNode value, String path, BiConsumer<String, String> visitor) {
        if (value.isTextual()) {
            if (value.textValue().contains("${")) visitor.accept(path, value.textValue());
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> entry : value.properties()) {
                JsonNode child = entry.getValue();
                if (worthVisiting(child)) stringsWithReferences(child, JsonPaths.property(path, entry.getKey()), visitor);
            }
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                JsonNode child = value.get(i);
                if (worthVisiting(child)) stringsWithReferences(child, JsonPaths.index(path, i), visitor);
            }
        }
    }

    private static boolean worthVisiting(JsonNode child) {
        return child.isContainerNode() || (child.isTextual() && child.textValue().contains("${"));
    }
}
