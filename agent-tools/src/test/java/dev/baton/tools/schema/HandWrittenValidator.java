package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The hand-written checker that {@link JsonSchemaValidator} replaced (issue 17), as it was,
 * kept only as {@link SchemaValidationBench}'s baseline. Do not use it: it ignores {@code $ref},
 * {@code not}, {@code if}, {@code prefixItems}, {@code uniqueItems}, {@code multipleOf}...,
 * unknown types and invalid patterns, and reads patterns as Java's, not ECMA-262's.
 */
final class HandWrittenValidator {

    /** The name of the root in violation paths. */
    public static final String ROOT = "args";

    private static final int MAX_SHOWN_TEXT = 60;
    private static final int MAX_SHOWN_ENUM = 10;
    private static final int MAX_CACHED_PATTERNS = 512;
    private static final Map<String, Optional<Pattern>> PATTERNS = new ConcurrentHashMap<>();

    private HandWrittenValidator() {
    }

    /** Every violation of {@code schema} by {@code value}, in document order; empty when it conforms. */
    public static List<SchemaViolation> validate(JsonNode schema, JsonNode value) {
        return validate(schema, value, Deferred.NONE);
    }

    /**
     * Like {@link #validate(JsonNode, JsonNode)}, for a value whose {@link Deferred deferred}
     * parts are only known at run time: no violation is reported that a run-time value could avoid.
     */
    public static List<SchemaViolation> validate(JsonNode schema, JsonNode value, Deferred deferred) {
        Check check = new Check(deferred);
        check.node(schema, value, ROOT);
        return List.copyOf(check.violations);
    }

    /** One walk over a value; {@link #uncertain} records whether a pass relied on a deferred part. */
    private static final class Check {
        private final Deferred deferred;
        private final List<SchemaViolation> violations = new ArrayList<>();
        private boolean uncertain;

        Check(Deferred deferred) {
            this.deferred = deferred;
        }

        private void fail(String path, String message) {
            violations.add(new SchemaViolation(path, message));
        }

        void node(JsonNode schema, JsonNode value, String path) {
            if (schema == null || schema.isMissingNode()) return;
            if (schema.isBoolean()) {
                if (!schema.booleanValue()) fail(path, "no value is allowed here, found " + describe(value));
                return;
            }
            if (!schema.isObject()) return;
            if (deferred.anyValue().test(value)) {
                uncertain = true;
                return;
            }
            if (!type(schema.get("type"), value, path)) return;
            enumAndConst(schema, value, path);
            if (value.isTextual()) text(schema, value, path);
            if (value.isNumber()) number(schema, value, path);
            if (value.isObject()) object(schema, value, path);
            if (value.isArray()) array(schema, value, path);
            combinators(schema, value, path);
        }

        private boolean type(JsonNode type, JsonNode value, String path) {
            if (type == null) return true;
            List<String> names = new ArrayList<>();
            if (type.isTextual()) names.add(type.textValue());
            else if (type.isArray()) type.forEach(name -> { if (name.isTextual()) names.add(name.textValue()); });
            boolean anyKnown = false;
            for (String name : names) {
                Boolean matches = hasType(name, value);
                if (matches == null) continue;
                anyKnown = true;
                if (matches) return true;
            }
            if (!anyKnown) return true;
            fail(path, "expected " + String.join(" or ", names) + ", found " + describe(value));
            return false;
        }

        /** Null for a type name this validator does not know. */
        private static Boolean hasType(String name, JsonNode value) {
            return switch (name) {
                case "string" -> value.isTextual();
                case "number" -> value.isNumber();
                case "integer" -> isInteger(value);
                case "boolean" -> value.isBoolean();
                case "object" -> value.isObject();
                case "array" -> value.isArray();
                case "null" -> value.isNull();
                default -> null;
            };
        }

        private void enumAndConst(JsonNode schema, JsonNode value, String path) {
            JsonNode allowed = schema.get("enum");
            JsonNode constant = schema.get("const");
            if ((allowed == null || !allowed.isArray()) && constant == null) return;
            if (deferred.anyText().test(value) || containsDeferred(value)) {
                uncertain = true;
                return;
            }
            if (allowed != null && allowed.isArray()) {
                boolean found = false;
                for (JsonNode candidate : allowed) found |= sameValue(candidate, value);
                if (!found) fail(path, "expected one of " + list(allowed) + ", found " + describe(value));
            }
            if (constant != null && !sameValue(constant, value)) {
                fail(path, "expected " + shown(constant) + ", found " + describe(value));
            }
        }

        private boolean containsDeferred(JsonNode value) {
            if (!value.isContainerNode()) return false;
            for (JsonNode child : value) {
                if (deferred.anyValue().test(child) || deferred.anyText().test(child) || containsDeferred(child)) return true;
            }
            return false;
        }

        private void text(JsonNode schema, JsonNode value, String path) {
            boolean constrained = schema.has("minLength") || schema.has("maxLength") || schema.has("pattern");
            if (!constrained) return;
            if (deferred.anyText().test(value)) {
                uncertain = true;
                return;
            }
            String text = value.textValue();
            int length = text.codePointCount(0, text.length());
            Integer min = count(schema.get("minLength"));
            if (min != null && length < min) {
                fail(path, "expected at least " + min + " characters, found " + length + " in " + shown(value));
            }
            Integer max = count(schema.get("maxLength"));
            if (max != null && length > max) {
                fail(path, "expected at most " + max + " characters, found " + length + " in " + shown(value));
            }
            JsonNode pattern = schema.get("pattern");
            if (pattern != null && pattern.isTextual()) {
                compiled(pattern.textValue()).ifPresent(regex -> {
                    if (!regex.matcher(text).find()) {
                        fail(path, "expected a string matching /" + pattern.textValue() + "/, found " + shown(value));
                    }
                });
            }
        }

        private void number(JsonNode schema, JsonNode value, String path) {
            BigDecimal number = decimal(value);
            if (number == null) return;
            BigDecimal minimum = decimal(schema.get("minimum"));
            BigDecimal maximum = decimal(schema.get("maximum"));
            JsonNode exclusiveMin = schema.get("exclusiveMinimum");
            JsonNode exclusiveMax = schema.get("exclusiveMaximum");
            boolean draft4ExclusiveMin = exclusiveMin != null && exclusiveMin.isBoolean() && exclusiveMin.booleanValue();
            boolean draft4ExclusiveMax = exclusiveMax != null && exclusiveMax.isBoolean() && exclusiveMax.booleanValue();
            if (minimum != null) bound(path, value, number, minimum, draft4ExclusiveMin ? ">" : ">=");
            if (maximum != null) bound(path, value, number, maximum, draft4ExclusiveMax ? "<" : "<=");
            BigDecimal above = decimal(exclusiveMin);
            BigDecimal below = decimal(exclusiveMax);
            if (above != null) bound(path, value, number, above, ">");
            if (below != null) bound(path, value, number, below, "<");
        }

        private void bound(String path, JsonNode value, BigDecimal number, BigDecimal limit, String operator) {
            int cmp = number.compareTo(limit);
            boolean ok = switch (operator) {
                case ">=" -> cmp >= 0;
                case ">" -> cmp > 0;
                case "<=" -> cmp <= 0;
                default -> cmp < 0;
            };
            if (!ok) fail(path, "expected a number " + operator + " " + limit.toPlainString() + ", found " + value);
        }

        private void object(JsonNode schema, JsonNode value, String path) {
            JsonNode required = schema.get("required");
            if (required != null && required.isArray()) {
                for (JsonNode name : required) {
                    if (name.isTextual() && !value.has(name.textValue())) {
                        fail(path, "missing required property '" + name.textValue() + "'");
                    }
                }
            }
            JsonNode properties = schema.get("properties");
            if (properties != null && !properties.isObject()) properties = null;
            JsonNode additional = schema.get("additionalProperties");
            for (Map.Entry<String, JsonNode> property : value.properties()) {
                String name = property.getKey();
                String childPath = JsonPaths.property(path, name);
                if (properties != null && properties.has(name)) {
                    node(properties.get(name), property.getValue(), childPath);
                } else if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                    fail(childPath, "unknown property '" + name + "' (" + allowedNames(properties) + ")");
                } else if (additional != null && additional.isObject()) {
                    node(additional, property.getValue(), childPath);
                }
            }
        }

        private static String allowedNames(JsonNode properties) {
            if (properties == null || properties.isEmpty()) return "no properties are allowed";
            StringJoiner names = new StringJoiner(", ", "allowed: ", "");
            properties.fieldNames().forEachRemaining(names::add);
            return names.toString();
        }

        private void array(JsonNode schema, JsonNode value, String path) {
            Integer min = count(schema.get("minItems"));
            if (min != null && value.size() < min) {
                fail(path, "expected at least " + min + " items, found " + value.size());
            }
            Integer max = count(schema.get("maxItems"));
            if (max != null && value.size() > max) {
                fail(path, "expected at most " + max + " items, found " + value.size());
            }
            JsonNode items = schema.get("items");
            if (items == null) return;
            for (int i = 0; i < value.size(); i++) {
                JsonNode itemSchema = items.isArray() ? items.get(i) : items;
                if (itemSchema != null) node(itemSchema, value.get(i), JsonPaths.index(path, i));
            }
        }

        private void combinators(JsonNode schema, JsonNode value, String path) {
            JsonNode allOf = schema.get("allOf");
            if (allOf != null && allOf.isArray()) {
                for (JsonNode branch : allOf) node(branch, value, path);
            }
            JsonNode anyOf = schema.get("anyOf");
            if (anyOf != null && anyOf.isArray() && !anyOf.isEmpty()) {
                Branches branches = branches(anyOf, value, path);
                if (branches.certain() + branches.possible() == 0) {
                    fail(path, "matches none of the " + anyOf.size() + " alternatives (anyOf): " + branches.reasons());
                } else if (branches.certain() == 0) {
                    uncertain = true;
                }
            }
            JsonNode oneOf = schema.get("oneOf");
            if (oneOf != null && oneOf.isArray() && !oneOf.isEmpty()) {
                Branches branches = branches(oneOf, value, path);
                if (branches.certain() + branches.possible() == 0) {
                    fail(path, "matches none of the " + oneOf.size() + " alternatives (oneOf): " + branches.reasons());
                } else if (branches.certain() > 1) {
                    fail(path, "matches " + branches.certain() + " alternatives (oneOf " + branches.matched()
                            + "), expected exactly one");
                } else if (branches.possible() > 0) {
                    uncertain = true;
                }
            }
        }

        /** How the alternatives of an anyOf or oneOf fare; {@code possible} ones pass only thanks to deferred parts. */
        private record Branches(int certain, int possible, String matched, String reasons) {
        }

        private Branches branches(JsonNode alternatives, JsonNode value, String path) {
            int certain = 0;
            int possible = 0;
            StringJoiner matched = new StringJoiner(", ");
            StringJoiner reasons = new StringJoiner("; ");
            int number = 1;
            for (Iterator<JsonNode> it = alternatives.elements(); it.hasNext(); number++) {
                Check branch = new Check(deferred);
                branch.node(it.next(), value, path);
                if (!branch.violations.isEmpty()) {
                    SchemaViolation first = branch.violations.get(0);
                    String where = first.path().equals(path) ? "" : " at " + first.path();
                    reasons.add("#" + number + where + " " + first.message());
                } else if (branch.uncertain) {
                    possible++;
                } else {
                    certain++;
                    matched.add("#" + number);
                }
            }
            return new Branches(certain, possible, matched.toString(), reasons.toString());
        }
    }

    // ---- values ----

    private static boolean isInteger(JsonNode value) {
        if (value.isIntegralNumber()) return true;
        BigDecimal number = value.isNumber() ? decimal(value) : null;
        return number != null && number.stripTrailingZeros().scale() <= 0;
    }

    /** The exact value of a number node, or null for anything else (and for NaN and infinities). */
    private static BigDecimal decimal(JsonNode node) {
        if (node == null || !node.isNumber()) return null;
        if (node.isDouble() || node.isFloat()) {
            double d = node.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) return null;
        }
        return node.decimalValue();
    }

    /** A non-negative integer keyword such as {@code minItems}, or null. */
    private static Integer count(JsonNode node) {
        BigDecimal number = decimal(node);
        if (number == null || number.signum() < 0) return null;
        return number.min(BigDecimal.valueOf(Integer.MAX_VALUE)).intValue();
    }

    /** JSON equality, with numbers compared by value. */
    static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            BigDecimal x = decimal(a);
            BigDecimal y = decimal(b);
            return x != null && y != null ? x.compareTo(y) == 0 : a.equals(b);
        }
        if (a.getNodeType() != b.getNodeType() || a.size() != b.size()) return false;
        if (a.isArray()) {
            for (int i = 0; i < a.size(); i++) {
                if (!sameValue(a.get(i), b.get(i))) return false;
            }
            return true;
        }
        if (a.isObject()) {
            for (Map.Entry<String, JsonNode> entry : a.properties()) {
                JsonNode other = b.get(entry.getKey());
                if (other == null || !sameValue(entry.getValue(), other)) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    private static Optional<Pattern> compiled(String regex) {
        Optional<Pattern> cached = PATTERNS.get(regex);
        if (cached != null) return cached;
        Optional<Pattern> pattern;
        try {
            pattern = Optional.of(Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            pattern = Optional.empty();
        }
        if (PATTERNS.size() >= MAX_CACHED_PATTERNS) PATTERNS.clear();
        PATTERNS.put(regex, pattern);
        return pattern;
    }

    /** E.g. {@code string "abc"}, {@code number 3}, {@code boolean true}, {@code null}, {@code object}, {@code array}. */
    static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) return "nothing";
        if (value.isTextual()) return "string " + shown(value);
        if (value.isNumber()) return "number " + value;
        if (value.isBoolean()) return "boolean " + value;
        if (value.isNull()) return "null";
        if (value.isObject()) return "object";
        if (value.isArray()) return "array";
        return value.getNodeType().toString().toLowerCase();
    }

    /** A value as JSON text, cut short when long. */
    private static String shown(JsonNode value) {
        String text = value.toString();
        return text.length() <= MAX_SHOWN_TEXT ? text : text.substring(0, MAX_SHOWN_TEXT - 3) + "...";
    }

    private static String list(JsonNode values) {
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
