package dev.baton.tools.schema;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A schema that cannot be used to check values (see {@link JsonSchemaValidator#schemaProblems}),
 * met where a schema is used that was never checked at registration.
 */
final class UnusableSchemaException extends IllegalArgumentException {

    /** The root of the paths in {@link #problems}; {@link #problems(String)} renames it. */
    static final String ROOT = "schema";

    private final transient List<SchemaViolation> problems;

    UnusableSchemaException(List<SchemaViolation> problems) {
        super("the schema cannot be used to check values: " + problems.stream().map(SchemaViolation::toString)
                .collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    /** The problems, their paths starting with {@code root} instead of {@value #ROOT}. */
    List<SchemaViolation> problems(String root) {
        return problems.stream().map(p -> new SchemaViolation(root + p.path().substring(ROOT.length()), p.message())).toList();
    }
}
