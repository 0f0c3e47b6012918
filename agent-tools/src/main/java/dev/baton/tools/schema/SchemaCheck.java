package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.dialect.Dialects;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds what in a schema would switch a check off without a word, before it is used (see
 * {@link JsonSchemaValidator#schemaProblems}). The validator, like the specification, ignores
 * a keyword it does not know, so a misspelt {@code maxLenght} or an OpenAPI {@code nullable}
 * would check nothing; it fails {@code "type": "int"} for every value; it cannot compile an
 * invalid pattern. Two passes:
 * <ol>
 * <li>a walk over every subschema for unknown keywords, type names, patterns (compiled with the
 *     validator's ECMA-262 engine) and {@code $schema}, with messages that say what to fix;</li>
 * <li>if that finds nothing, the schema checked against the draft 2020-12 meta-schema, with
 *     {@code format} asserted, for a value of the wrong kind ({@code "required": "url"},
 *     {@code "minLength": -1}).</li>
 * </ol>
 */
final class SchemaCheck {

    /** Where the draft's meta-schemas live; the only documents a schema may refer to. */
    static final String META_SCHEMA_PREFIX = "https://json-schema.org/draft/2020-12/";

    private static final String META_SCHEMA = META_SCHEMA_PREFIX + "schema";

    /** Keywords every schema may carry that check nothing: they say things to people and tools. */
    private static final String EXTENSION_PREFIX = "x-";

    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "object", "array", "null");

    /**
     * The keywords of draft 2020-12 that the validator implements, annotations included
     * ({@code title}, {@code description}, {@code default}, {@code examples}, {@code format}...),
     * and {@code definitions} and {@code dependencies}, which it also honours. Not its internal
     * pseudo-keywords nor its extensions.
     */
    private static final Set<String> KEYWORDS;

    static {
        Set<String> keywords = new TreeSet<>(Dialects.getDraft202012().getKeywords().keySet());
        keywords.removeAll(Set.of("true", "false", "id", "notAllowed"));
        KEYWORDS = Set.copyOf(keywords);
    }

    private static final Set<String> ONE_SCHEMA = Set.of("additionalProperties", "items", "contains", "propertyNames",
            "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema");
    private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "dependentSchemas",
            "$defs", "definitions", "dependencies");

    private SchemaCheck() {
    }

    /** The problems of {@code schema}, named by their place under {@code root}; empty when there are none. */
    static List<SchemaViolation> problems(JsonNode schema, String root) {
        List<SchemaViolation> problems = new ArrayList<>();
        walk(schema, root, problems);
        if (problems.isEmpty()) metaSchema(schema, root, problems);
        return problems;
    }

    private static void walk(JsonNode schema, String path, List<SchemaViolation> problems) {
        if (schema.isBoolean()) return;
        if (!schema.isObject()) {
            problems.add(new SchemaViolation(path, "a schema must be an object, true or false, found "
                    + ViolationMessages.describe(schema) + (schema.isArray() && path.endsWith(".items")
                    ? " (in draft 2020-12 'items' is one schema for every item; give schemas by position in 'prefixItems')" : "")));
            return;
        }
        for (Map.Entry<String, JsonNode> entry : schema.properties()) {
            String keyword = entry.getKey();
            JsonNode value = entry.getValue();
            String at = JsonPaths.property(path, keyword);
            if (keyword.startsWith(EXTENSION_PREFIX)) continue;
            if (!KEYWORDS.contains(keyword)) {
                problems.add(new SchemaViolation(at, "unknown keyword '" + keyword + "': JSON Schema 2020-12 has no such keyword,"
                        + " so nothing would check it" + suggestion(keyword)));
                continue;
            }
            switch (keyword) {
                case "$schema" -> {
                    if (!value.isTextual() || !value.textValue().replaceFirst("#$", "").equals(META_SCHEMA)) {
                        problems.add(new SchemaViolation(at, "Baton checks by JSON Schema draft 2020-12, found $schema "
                                + ViolationMessages.shown(value) + "; remove it or write \"" + META_SCHEMA + "\""));
                    }
                }
                case "type" -> types(value, at, problems);
                case "pattern" -> pattern(value, at, problems);
                default -> {
                }
            }
            if (ONE_SCHEMA.contains(keyword)) {
                walk(value, at, problems);
            } else if (SCHEMA_LISTS.contains(keyword) && value.isArray()) {
                for (int i = 0; i < value.size(); i++) walk(value.get(i), JsonPaths.index(at, i), problems);
            } else if (SCHEMA_MAPS.contains(keyword) && value.isObject()) {
                for (Map.Entry<String, JsonNode> member : value.properties()) {
                    String memberPath = JsonPaths.property(at, member.getKey());
                    if (keyword.equals("patternProperties")) pattern(TextNode.valueOf(member.getKey()), memberPath, problems);
                    // dependencies: a schema, or (draft 7's dependentRequired) a list of names
                    if (!(keyword.equals("dependencies") && member.getValue().isArray())) walk(member.getValue(), memberPath, problems);
                }
            }
        }
    }

    private static void types(JsonNode type, String path, List<SchemaViolation> problems) {
        List<JsonNode> names = new ArrayList<>();
        if (type.isArray()) type.forEach(names::add);
        else names.add(type);
        for (JsonNode name : names) {
            if (!name.isTextual() || !TYPES.contains(name.textValue())) {
                problems.add(new SchemaViolation(path, "unknown type " + ViolationMessages.shown(name)
                        + ": the types are string, number, integer, boolean, object, array and null"));
            }
        }
    }

    private static void pattern(JsonNode pattern, String path, List<SchemaViolation> problems) {
        if (!pattern.isTextual()) return; // the meta-schema pass says it must be a string
        try {
            JsonSchemaValidator.REGEX.getRegularExpression(pattern.textValue());
        } catch (RuntimeException e) {
            problems.add(new SchemaViolation(path, "pattern " + ViolationMessages.shown(pattern)
                    + " is not an ECMA-262 regular expression (" + e.getMessage() + ")"));
        }
    }

    /** " (did you mean 'maxLength'?)" for a keyword one or two edits away from a real one. */
    private static String suggestion(String keyword) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : KEYWORDS) {
            int distance = distance(keyword.toLowerCase(), candidate.toLowerCase());
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    /** Levenshtein distance, with a swap of two neighbours counted as one edit. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static void metaSchema(JsonNode schema, String root, List<SchemaViolation> problems) {
        List<Error> errors = MetaSchema.INSTANCE.validate(schema,
                context -> context.executionConfig(config -> config.formatAssertionsEnabled(true)));
        problems.addAll(ViolationMessages.describe(errors, null, root));
    }

    /** The draft's meta-schema, compiled on first use (from the copy the library carries). */
    private static final class MetaSchema {
        static final Schema INSTANCE = JsonSchemaValidator.REGISTRY.getSchema(SchemaLocation.of(META_SCHEMA));
    }
}
