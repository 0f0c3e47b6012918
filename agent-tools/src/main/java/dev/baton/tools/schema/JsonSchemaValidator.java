package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.regex.JoniRegularExpressionFactory;
import com.networknt.schema.regex.RegularExpressionFactory;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Checks a JSON value against a JSON schema, draft 2020-12, and says precisely what is wrong:
 * where, what was expected, what was found.
 *
 * <p>The checking is networknt's json-schema-validator, which passes the whole official
 * JSON-Schema-Test-Suite for 2020-12 (bar the cases that need remote documents), so every
 * keyword of the draft means what the specification says: {@code $ref} and {@code $defs},
 * {@code not}, {@code if}/{@code then}/{@code else}, {@code prefixItems},
 * {@code uniqueItems}, {@code dependentRequired}, {@code multipleOf}... {@code format} is an
 * annotation, as the draft's default says. Patterns are ECMA-262 regular expressions (Joni's
 * ECMAScript syntax), unanchored: {@code $} is the end of the text, not "before a final
 * newline" as in {@code java.util.regex}, and {@code \p{Letter}} is a letter. Numbers compare
 * by value: {@code 1} equals {@code 1.0}, {@code 2.0} is an integer, and a number too large for
 * a double ({@code 1e400}) is above every {@code maximum}.
 *
 * <p>A schema is compiled once, on first use, and kept while the schema object lives (by
 * identity: tool schemas are long-lived objects; one edited after its first use keeps the
 * rules it had then). A missing schema ({@code null}) allows everything. Before it is compiled it is
 * {@linkplain #schemaProblems checked}: a keyword that nothing checks (a misspelt
 * {@code maxLenght}), a type that does not exist ({@code "int"}), a pattern that does not
 * compile, a {@code $ref} that leads nowhere, or another dialect, would switch a check off
 * without a word, so such a schema is refused, here and when a tool is registered.
 *
 * <p>Violations name the place in the value as {@link JsonPaths} does ({@code args.items[2]}),
 * in the words of {@link ViolationMessages}. Thread-safe.
 */
public final class JsonSchemaValidator {

    /** The name of the root in violation paths. */
    public static final String ROOT = "args";

    /** The regular expressions of {@code pattern} and {@code patternProperties}: ECMA-262, as JSON Schema says. */
    static final RegularExpressionFactory REGEX = JoniRegularExpressionFactory.getInstance();

    /**
     * Draft 2020-12 whatever the schema does not say; messages in English whatever the JVM's locale
     * (they are only a fallback: {@link ViolationMessages} words the common ones); no schema is
     * ever fetched: a {@code $ref} can reach the schema's own parts and the draft's meta-schemas,
     * which the library carries, and nothing else (no network, no class path).
     */
    static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder
                    .schemaRegistryConfig(SchemaRegistryConfig.builder()
                            .regularExpressionFactory(REGEX)
                            .locale(Locale.ENGLISH)
                            .build())
                    .schemaLoader(loader -> loader.allow(iri -> iri.toString().startsWith(SchemaCheck.META_SCHEMA_PREFIX))));

    /**
     * Compiled schemas by schema object (weak, identity-keyed). The bound only matters for
     * callers that build a new schema object for every check; tools and playbooks do not.
     */
    private static final Cache<JsonNode, Schema> COMPILED = Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

    private JsonSchemaValidator() {
    }

    /** Every violation of {@code schema} by {@code value}; empty when it conforms. */
    public static List<SchemaViolation> validate(JsonNode schema, JsonNode value) {
        return validate(schema, value, Deferred.NONE);
    }

    /**
     * Like {@link #validate(JsonNode, JsonNode)}, for a value whose {@link Deferred deferred}
     * parts are only known at run time: only the violations that no run-time value of those parts
     * could avoid are reported (see {@link DeferredParts}). On a value without deferred parts, this
     * is exactly the run-time check.
     *
     * @throws IllegalArgumentException when the schema itself is refused (see {@link #schemaProblems})
     */
    public static List<SchemaViolation> validate(JsonNode schema, JsonNode value, Deferred deferred) {
        Objects.requireNonNull(deferred, "deferred");
        if (schema == null || schema.isMissingNode()) return List.of();
        JsonNode instance = value == null ? NullNode.getInstance() : value;
        List<Error> errors = compiled(schema).validate(instance);
        if (errors.isEmpty()) return List.of();
        DeferredParts parts = DeferredParts.of(instance, deferred);
        if (!parts.isEmpty()) errors = errors.stream().filter(parts::certain).toList();
        return ViolationMessages.describe(errors, schema, ROOT);
    }

    /**
     * What makes {@code schema} unfit to check values with, each named by its place in the schema
     * under {@code root} (e.g. {@code parameters.properties.branch}): a keyword that is not one of
     * draft 2020-12's (annotations such as {@code title}, {@code description}, {@code examples}
     * and {@code x-} extensions are fine), a type that does not exist, a pattern that is not an
     * ECMA-262 regular expression, a value of the wrong kind for its keyword (by the draft's
     * meta-schema), a {@code $schema} of another draft, a {@code $ref} that cannot be resolved.
     * Empty when the schema can be used.
     */
    public static List<SchemaViolation> schemaProblems(JsonNode schema, String root) {
        try {
            compiled(schema);
            return List.of();
        } catch (UnusableSchemaException e) {
            return e.problems(root);
        }
    }

    /** The compiled form of {@code schema}, compiling and caching it the first time. */
    static Schema compiled(JsonNode schema) {
        Objects.requireNonNull(schema, "schema");
        return COMPILED.get(schema, JsonSchemaValidator::compile);
    }

    private static Schema compile(JsonNode schema) {
        List<SchemaViolation> problems = SchemaCheck.problems(schema, UnusableSchemaException.ROOT);
        if (!problems.isEmpty()) throw new UnusableSchemaException(problems);
        try {
            // From a copy: the compiled form keeps the node it was built from, and a value that
            // holds its own weak key would never let the entry go. A copy also keeps what was
            // checked and what is applied the same, should someone edit the schema object later.
            Schema compiled = REGISTRY.getSchema(schema.deepCopy());
            // Eagerly, so that a $ref that leads nowhere fails here rather than on some value,
            // and so that validating from many threads at once finds everything built.
            compiled.initializeValidators();
            return compiled;
        } catch (SchemaException e) {
            throw new UnusableSchemaException(List.of(new SchemaViolation(UnusableSchemaException.ROOT,
                    "cannot be compiled: " + e.getMessage())));
        }
    }
}
