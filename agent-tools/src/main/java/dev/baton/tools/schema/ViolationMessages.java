package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Words networknt's errors the way Baton's messages read, for people and for a model repairing
 * its arguments: where (a {@link JsonPaths} path), what was expected, what was found, e.g.
 * {@code args.customer.email: expected string, found number 5}.
 *
 * <p>networknt reports a failed {@code anyOf} as the errors of each of its alternatives, and a
 * failed {@code oneOf} as one error followed by those of its alternatives; both become one
 * violation at the value they apply to, giving each alternative's first reason. When a value
 * has the wrong type, the other keywords of the same schema that it breaks are not listed: one
 * message says it. The keywords not worded here keep networknt's message.
 */
final class ViolationMessages {

    private static final int MAX_SHOWN_TEXT = 60;
    private static final int MAX_SHOWN_ENUM = 10;

    private ViolationMessages() {
    }

    /**
     * The violations that {@code errors} (of one value, in networknt's order) describe.
     *
     * @param schema the schema checked, to list the allowed properties; null to leave them out
     * @param root   the name of the value's root in paths, e.g. {@code args}
     */
    static List<SchemaViolation> describe(List<Error> errors, JsonNode schema, String root) {
        // In the order of first appearance: a SchemaViolation, or a Group filled as its errors come.
        Map<String, Object> entries = new LinkedHashMap<>();
        Set<String> wrongType = new HashSet<>();
        for (Error error : errors) {
            if (error.getKeyword().equals("type")) wrongType.add(schemaAndPlace(error));
        }
        for (Error error : errors) {
            if (!error.getKeyword().equals("type") && wrongType.contains(schemaAndPlace(error))) continue;
            List<Object> at = EvaluationPath.elements(error.getInstanceLocation());
            List<EvaluationPath.Step> steps = EvaluationPath.steps(error);
            EvaluationPath.Step alternatives = steps == null ? null : firstAlternatives(steps);
            if (alternatives == null) {
                SchemaViolation violation = violation(error, at, schema, root);
                entries.putIfAbsent(violation.toString(), violation);
                continue;
            }
            List<Object> where = at.subList(0, alternatives.depth());
            String key = pathOf(error, alternatives) + "@" + where;
            Group group = (Group) entries.computeIfAbsent(key,
                    k -> new Group(alternatives.keyword(), EvaluationPath.text(root, where)));
            if (alternatives.argument() == null) {
                group.oneOfError = error;
            } else {
                String reason = message(error, schema);
                String path = EvaluationPath.text(root, at);
                group.reasons.putIfAbsent(String.valueOf(alternatives.argument()),
                        path.equals(group.path) ? reason : "at " + path + " " + reason);
            }
        }
        List<SchemaViolation> violations = new ArrayList<>();
        for (Object entry : entries.values()) {
            violations.add(entry instanceof Group group ? group.violation() : (SchemaViolation) entry);
        }
        return List.copyOf(violations);
    }

    /** The schema object (its evaluation path without the keyword) and the value an error is about. */
    private static String schemaAndPlace(Error error) {
        return error.getEvaluationPath().getParent() + "@" + error.getInstanceLocation();
    }

    /** The outermost anyOf or oneOf on the way to an error, if any: the error belongs to its group. */
    private static EvaluationPath.Step firstAlternatives(List<EvaluationPath.Step> steps) {
        for (EvaluationPath.Step step : steps) {
            if (step.keyword().equals("anyOf") || step.keyword().equals("oneOf")) return step;
        }
        return null;
    }

    /** The evaluation path up to and including {@code step}'s keyword (without its argument). */
    private static String pathOf(Error error, EvaluationPath.Step step) {
        StringBuilder path = new StringBuilder();
        int keywordEnd = step.argument() == null ? step.end() : step.end() - 1;
        for (int i = 0; i < keywordEnd; i++) path.append('/').append(error.getEvaluationPath().getElement(i));
        return path.toString();
    }

    /** The errors of one anyOf or oneOf at one place in the value. */
    private static final class Group {
        final String keyword;
        final String path;
        /** The first reason of each alternative that failed, by position. */
        final Map<String, String> reasons = new LinkedHashMap<>();
        Error oneOfError;

        Group(String keyword, String path) {
            this.keyword = keyword;
            this.path = path;
        }

        SchemaViolation violation() {
            if (oneOfError != null && oneOfError.getArguments() != null && oneOfError.getArguments().length > 0
                    && !"0".equals(String.valueOf(oneOfError.getArguments()[0]))) {
                return new SchemaViolation(path, "matches " + oneOfError.getArguments()[0] + " alternatives (oneOf "
                        + positions(oneOfError) + "), expected exactly one");
            }
            int count = oneOfError != null && oneOfError.getSchemaNode() != null && oneOfError.getSchemaNode().isArray()
                    ? oneOfError.getSchemaNode().size() : reasons.size();
            StringJoiner text = new StringJoiner("; ", "matches none of the " + count + " alternatives (" + keyword + "): ", "");
            reasons.forEach((position, reason) -> text.add("#" + number(position) + " " + reason));
            return new SchemaViolation(path, text.toString());
        }

        /** networknt's "0, 1" as "#1, #2". */
        private static String positions(Error error) {
            StringJoiner joined = new StringJoiner(", ");
            Object[] arguments = error.getArguments();
            String indexes = arguments.length > 1 ? String.valueOf(arguments[1]) : "";
            for (String index : indexes.split(",")) {
                if (!index.isBlank()) joined.add("#" + number(index.trim()));
            }
            return joined.toString();
        }

        private static String number(String position) {
            try {
                return String.valueOf(Integer.parseInt(position) + 1);
            } catch (NumberFormatException e) {
                return position;
            }
        }
    }

    private static SchemaViolation violation(Error error, List<Object> at, JsonNode schema, String root) {
        String path = EvaluationPath.text(root, at);
        String property = error.getProperty();
        return switch (error.getKeyword()) {
            case "additionalProperties", "unevaluatedProperties" -> property == null
                    ? new SchemaViolation(path, error.getMessage())
                    : new SchemaViolation(JsonPaths.property(path, property), "unknown property '" + property + "'"
                    + ("additionalProperties".equals(error.getKeyword()) ? allowed(error, schema) : ""));
            case "items", "unevaluatedItems" -> error.getIndex() == null
                    ? new SchemaViolation(path, error.getMessage())
                    : new SchemaViolation(JsonPaths.index(path, error.getIndex()), "no item is allowed at this position, found "
                    + describe(error.getInstanceNode() == null ? null : error.getInstanceNode().get(error.getIndex())));
            default -> new SchemaViolation(path, message(error, schema));
        };
    }

    /** What went wrong at the error's place: what was expected, what was found. */
    private static String message(Error error, JsonNode schema) {
        JsonNode expected = error.getSchemaNode();
        JsonNode found = error.getInstanceNode();
        Object[] arguments = error.getArguments() == null ? new Object[0] : error.getArguments();
        return switch (error.getKeyword()) {
            case "type" -> "expected " + typeNames(expected) + ", found " + describe(found);
            case "enum" -> "expected one of " + list(expected) + ", found " + describe(found);
            case "const" -> "expected " + shown(expected) + ", found " + describe(found);
            case "minLength" -> "expected at least " + expected + " characters, found " + length(found) + " in " + shown(found);
            case "maxLength" -> "expected at most " + expected + " characters, found " + length(found) + " in " + shown(found);
            case "pattern" -> "expected a string matching /" + expected.asText() + "/, found " + shown(found);
            case "minimum" -> bound(">=", expected, found);
            case "maximum" -> bound("<=", expected, found);
            case "exclusiveMinimum" -> bound(">", expected, found);
            case "exclusiveMaximum" -> bound("<", expected, found);
            case "multipleOf" -> "expected a multiple of " + plain(expected) + ", found " + number(found);
            case "minItems" -> "expected at least " + expected + " items, found " + size(found);
            case "maxItems" -> "expected at most " + expected + " items, found " + size(found);
            case "minProperties" -> "expected at least " + expected + " properties, found " + size(found);
            case "maxProperties" -> "expected at most " + expected + " properties, found " + size(found);
            case "required" -> "missing required property '" + error.getProperty() + "'";
            case "dependentRequired" -> arguments.length >= 2
                    ? "missing property '" + arguments[0] + "', required when '" + arguments[1] + "' is present"
                    : error.getMessage();
            case "uniqueItems" -> "expected items that all differ, found a repeated one";
            case "minContains", "maxContains" -> arguments.length >= 1
                    ? "expected " + (error.getKeyword().equals("minContains") ? "at least " : "at most ") + arguments[0]
                    + " items matching " + shown(expected) : error.getMessage();
            case "not" -> "expected a value that does not match " + shown(expected) + ", found " + describe(found);
            case "false" -> "no value is allowed here, found " + describe(found);
            default -> error.getMessage();
        };
    }

    /** ", allowed: a, b" from the object schema that holds the failed additionalProperties, when it can be found. */
    private static String allowed(Error error, JsonNode schema) {
        JsonNode holder = schema;
        List<Object> location = EvaluationPath.elements(error.getSchemaLocation().getFragment());
        if (holder == null || location.isEmpty()) return "";
        for (Object element : location.subList(0, location.size() - 1)) {
            holder = element instanceof Integer index ? holder.path(index) : holder.path(String.valueOf(element));
        }
        // A location in another resource ($id) would lead elsewhere: then say nothing rather than something wrong.
        if (!holder.has("additionalProperties")) return "";
        JsonNode properties = holder.path("properties");
        if (!properties.isObject() || properties.isEmpty()) {
            return holder.has("patternProperties") ? "" : " (no properties are allowed)";
        }
        StringJoiner names = new StringJoiner(", ", " (allowed: ", ")");
        properties.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }

    private static String typeNames(JsonNode type) {
        if (type == null) return "another type";
        if (!type.isArray()) return type.asText();
        StringJoiner names = new StringJoiner(" or ");
        type.forEach(name -> names.add(name.asText()));
        return names.toString();
    }

    private static String bound(String operator, JsonNode limit, JsonNode found) {
        return "expected a number " + operator + " " + plain(limit) + ", found " + number(found);
    }

    private static String plain(JsonNode number) {
        if (number == null || !number.isNumber()) return String.valueOf(number);
        if ((number.isDouble() || number.isFloat()) && !Double.isFinite(number.doubleValue())) return number.asText();
        return number.decimalValue().stripTrailingZeros().toPlainString();
    }

    /** A number as written, or for one beyond a double's range (1e400 parses as Infinity) what it is. */
    private static String number(JsonNode value) {
        if (value == null) return "nothing";
        if ((value.isDouble() || value.isFloat()) && Double.isInfinite(value.doubleValue())) {
            return value.doubleValue() > 0 ? "a number above 1.8e308" : "a number below -1.8e308";
        }
        return value.toString();
    }

    private static int length(JsonNode text) {
        String value = text == null ? "" : text.asText();
        return value.codePointCount(0, value.length());
    }

    private static int size(JsonNode value) {
        return value == null ? 0 : value.size();
    }

    /** E.g. {@code string "abc"}, {@code number 3}, {@code boolean true}, {@code null}, {@code object}, {@code array}. */
    static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) return "nothing";
        if (value.isTextual()) return "string " + shown(value);
        if (value.isNumber()) return "number " + number(value);
        if (value.isBoolean()) return "boolean " + value;
        if (value.isNull()) return "null";
        if (value.isObject()) return "object";
        if (value.isArray()) return "array";
        return value.getNodeType().toString().toLowerCase();
    }

    /** A value as JSON text, cut short when long. */
    static String shown(JsonNode value) {
        if (value == null) return "nothing";
        String text = value.toString();
        return text.length() <= MAX_SHOWN_TEXT ? text : text.substring(0, MAX_SHOWN_TEXT - 3) + "...";
    }

    private static String list(JsonNode values) {
        if (values == null || !values.isArray()) return shown(values);
        StringJoiner joined = new StringJoiner(", ");
        int shown = 0;
        for (JsonNode value : values) {
            if (shown++ == MAX_SHOWN_ENUM) {
                joined.add("... (" + values.size() + " in all)");
                break;
            }
            joined.add(shown(value));
        }
        return joined.toString();
    }
}
