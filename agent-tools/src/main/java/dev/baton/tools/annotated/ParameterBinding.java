package dev.baton.tools.annotated;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.ToolMemoryId;

import java.io.IOException;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Optional;

/** How one Java parameter of a tool method gets its value for a call. */
sealed interface ParameterBinding {

    /** The value to pass for this parameter. */
    Object value(JsonNode args, ToolContext context) throws ToolException;

    /** A {@link ToolContext} parameter: Baton passes the call's context, and the schema does not show it. */
    record Context(String name) implements ParameterBinding {
        @Override
        public Object value(JsonNode args, ToolContext context) {
            return context;
        }
    }

    /**
     * A parameter filled from the JSON argument of the same name, converted with {@link Json#MAPPER}
     * to the parameter's generic type.
     *
     * @param name         the argument's name: {@code @P(name)} or the parameter's name
     * @param type         the Java type to convert to; for {@code Optional<T>} this is {@code T}
     * @param required     a missing argument is an error (for primitives always)
     * @param optional     the parameter is a {@code java.util.Optional}
     * @param defaultValue used when the argument is missing, from {@code @P(defaultValue)}, or null
     */
    record Argument(String name, JavaType type, boolean required, boolean optional, JsonNode defaultValue)
            implements ParameterBinding {

        @Override
        public Object value(JsonNode args, ToolContext context) throws ToolException {
            JsonNode node = args == null ? null : args.get(name);
            if (node == null || node.isNull()) {
                node = defaultValue;
            }
            if (node == null || node.isNull()) {
                if (optional) return Optional.empty();
                if (required || type.isPrimitive()) {
                    throw ToolException.permanent("invalid_arguments", "missing required argument '" + name + "'");
                }
                return null;
            }
            Object converted = convert(node);
            return optional ? Optional.ofNullable(converted) : converted;
        }

        private Object convert(JsonNode node) throws ToolException {
            try {
                return Json.MAPPER.convertValue(node, type);
            } catch (IllegalArgumentException e) {
                String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                throw new ToolException("invalid_arguments", "argument '" + name + "' cannot be read as "
                        + type.toCanonical() + ": " + reason, false, null, e);
            }
        }
    }

    /** The binding of {@code parameter}, named as LangChain4j names it in the schema. */
    static ParameterBinding of(Parameter parameter, String methodName) {
        String name = nameOf(parameter);
        if (parameter.getType() == ToolContext.class) {
            return new Context(name);
        }
        if (parameter.isAnnotationPresent(ToolMemoryId.class) || parameter.getType().getName().startsWith("dev.langchain4j.")) {
            throw new IllegalArgumentException("tool method " + methodName + ": parameter '" + name
                    + "' is managed by LangChain4j's AI services, which Baton does not use; take a "
                    + ToolContext.class.getName() + " parameter instead to learn about the call");
        }
        if (!parameter.isNamePresent() && name.equals(parameter.getName())) {
            throw new IllegalArgumentException("tool method " + methodName + ": the name of parameter '" + name
                    + "' was not compiled into the class; compile with 'javac -parameters' or name it with @P(name = \"...\")");
        }
        P p = parameter.getAnnotation(P.class);
        boolean optional = parameter.getType() == Optional.class;
        Type type = parameter.getParameterizedType();
        if (optional) {
            // Json.MAPPER has no Jdk8Module, so Optional is unwrapped here and rebuilt in value().
            type = type instanceof ParameterizedType generic ? generic.getActualTypeArguments()[0] : Object.class;
        }
        JsonNode defaultValue = p != null && !P.NO_DEFAULT.equals(p.defaultValue()) ? parseDefault(p.defaultValue()) : null;
        // The same rule LangChain4j uses for the schema's "required" list.
        boolean required = !optional && defaultValue == null && (p == null || p.required());
        return new Argument(name, Json.MAPPER.constructType(type), required, optional, defaultValue);
    }

    /** {@code @P(name)} when set, else the parameter's name: the property name LangChain4j gives it. */
    static String nameOf(Parameter parameter) {
        P p = parameter.getAnnotation(P.class);
        return p != null && !p.name().isBlank() ? p.name() : parameter.getName();
    }

    /** A default is JSON when it parses as JSON ({@code 5}, {@code true}, {@code ["a"]}), else a plain string. */
    private static JsonNode parseDefault(String text) {
        try {
            JsonNode parsed = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
            return parsed == null || parsed.isMissingNode() ? TextNode.valueOf(text) : parsed;
        } catch (IOException e) {
            return TextNode.valueOf(text);
        }
    }
}
