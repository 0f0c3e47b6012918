package dev.baton.tools.schema;

import java.util.Objects;

/**
 * One way in which a value breaks a JSON schema.
 *
 * @param path    where in the value, e.g. {@code args.customer.email} or {@code args.items[2]}
 *                (see {@link JsonPaths} for the format)
 * @param message what was expected and what was found, e.g. {@code expected integer, found string "abc"}
 */
public record SchemaViolation(String path, String message) {

    public SchemaViolation {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /** E.g. {@code args.timeout: expected integer, found string "abc"}. */
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
