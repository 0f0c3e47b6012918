package dev.baton.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a tool is, for the registry, the validator, the planner and the catalogue API:
 * its name, what it does, the JSON schema of its arguments, and how the orchestrator must
 * treat it.
 *
 * @param name             unique, e.g. {@code http.request}: letters, digits, {@code . _ -}
 * @param description      one or two sentences for people and models
 * @param parameters       JSON schema (an {@code object} schema) of the arguments
 * @param idempotent       true when calling twice with the same arguments does no more harm than once
 * @param requiresApproval true when a person must approve every call; a plan cannot switch this off
 * @param timeout          how long one call may take before it is given up and counted as a retryable failure,
 *                         or null when the tool declares none: the orchestrator's default then applies
 *                         ({@code OrchestratorOptions.defaultToolTimeout}, {@link #DEFAULT_TIMEOUT} unless configured)
 * @param retry            default retry policy; a plan task may override it
 * @param source           where the tool came from: {@code builtin}, {@code annotated}, {@code code}, {@code service-loader}
 */
public record ToolDescriptor(String name, String description, ObjectNode parameters, boolean idempotent,
                             boolean requiresApproval, Duration timeout, RetryPolicy retry, String source) {

    /** The timeout of a call to a tool that declares none, unless the orchestrator is configured otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");

    public ToolDescriptor {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("tool name '" + name
                    + "' must start with a letter and hold only letters, digits, '.', '_' or '-' (at most 64)");
        }
        description = description == null ? "" : description;
        parameters = parameters == null ? emptyObjectSchema() : parameters;
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) throw new IllegalArgumentException("tool '" + name + "': timeout must be positive");
        retry = retry == null ? RetryPolicy.DEFAULT : retry;
        source = source == null ? "code" : source;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public static ObjectNode emptyObjectSchema() {
        ObjectNode schema = Json.object();
        schema.put("type", "object");
        schema.putObject("properties");
        return schema;
    }

    /** The tool's own timeout, else {@code fallback} (the orchestrator's default). */
    public Duration timeoutOr(Duration fallback) {
        return timeout != null ? timeout : fallback;
    }

    public ToolDescriptor withSource(String newSource) {
        return new ToolDescriptor(name, description, parameters, idempotent, requiresApproval, timeout, retry, newSource);
    }

    /** Builder with the defaults: not idempotent, no approval, no timeout of its own (the orchestrator's default), {@link RetryPolicy#DEFAULT}. */
    public static final class Builder {
        private final String name;
        private String description = "";
        private ObjectNode parameters;
        private boolean idempotent;
        private boolean requiresApproval;
        private Duration timeout;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private String source = "code";

        private Builder(String name) {
            this.name = name;
        }

        public Builder description(String value) { this.description = value; return this; }
        public Builder parameters(ObjectNode schema) { this.parameters = schema; return this; }
        public Builder idempotent(boolean value) { this.idempotent = value; return this; }
        public Builder requiresApproval(boolean value) { this.requiresApproval = value; return this; }
        public Builder timeout(Duration value) { this.timeout = value; return this; }
        public Builder retry(RetryPolicy value) { this.retry = value; return this; }
        public Builder source(String value) { this.source = value; return this; }

        public ToolDescriptor build() {
            return new ToolDescriptor(name, description, parameters, idempotent, requiresApproval, timeout, retry, source);
        }
    }
}
