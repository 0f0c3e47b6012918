package dev.baton.tools.annotated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolOptions;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A tool backed by one LangChain4j {@code @Tool} method of an object.
 *
 * <pre>{@code
 * public class WeatherTools {
 *     @Tool(name = "weather.today", value = "Today's forecast for a city")
 *     @ToolOptions(idempotent = true)
 *     public Forecast today(@P("the city, e.g. Lyon") String city) { ... }
 * }
 *
 * List<MethodTool> tools = MethodTool.allOf(new WeatherTools());   // or registry.registerAnnotated(...)
 * }</pre>
 *
 * <p>The arguments' JSON schema is the one LangChain4j derives from the method's parameters
 * ({@link ToolSpecifications#toolSpecificationFrom(Method)}), so a model sees the same tool
 * through Baton as through a LangChain4j AI service. The name is {@code @Tool(name)} or the
 * method's name; the description is {@code @Tool}'s value; the flags come from
 * {@link ToolOptions}. The source is {@code annotated}.
 *
 * <p>A call converts each JSON argument to its parameter's generic type with {@link Json#MAPPER}
 * ({@code List<Item>}, records, enums and {@code Optional<T>} all work), and converts the return
 * value back with {@link Json#toTree}: a {@code String} becomes a JSON string, {@code void} or
 * {@code null} a JSON null. A parameter of type {@link ToolContext} receives the call's context
 * (its idempotency key, say) and does not appear in the schema. What the method throws is thrown
 * as is, so a {@link ToolException} keeps its code and its retryable flag.
 *
 * <p>Baton calls tools from several threads at once, so the target object must be thread-safe.
 */
public final class MethodTool implements BatonTool {

    private static final String SOURCE = "annotated";

    private final Object target;
    private final Method method;
    private final ToolDescriptor descriptor;
    private final List<ParameterBinding> bindings;

    private MethodTool(Object target, Method method) {
        this.target = target;
        this.method = method;
        String where = describe(method);
        this.bindings = Arrays.stream(method.getParameters())
                .map(parameter -> ParameterBinding.of(parameter, where))
                .toList();
        this.descriptor = descriptorOf(method, bindings, where);
        if (!method.trySetAccessible()) {
            throw new IllegalArgumentException("tool method " + where
                    + " cannot be called by Baton: make it public, or open its package to dev.baton.tools");
        }
    }

    /**
     * One tool per {@code @Tool} method of {@code target}'s class and its superclasses
     * (an overriding method counts once), sorted by tool name.
     *
     * @throws IllegalArgumentException when there is no {@code @Tool} method, or a method cannot be a tool
     */
    public static List<MethodTool> allOf(Object target) {
        Objects.requireNonNull(target, "target");
        List<MethodTool> tools = toolMethods(target.getClass()).stream()
                .map(method -> new MethodTool(target, method))
                .sorted(Comparator.comparing(tool -> tool.descriptor.name()))
                .toList();
        if (tools.isEmpty()) {
            throw new IllegalArgumentException(target.getClass().getName() + " has no method annotated with @"
                    + dev.langchain4j.agent.tool.Tool.class.getName());
        }
        return tools;
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    /** The method this tool calls. */
    public Method method() {
        return method;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        if (args != null && !args.isNull() && !args.isObject()) {
            throw ToolException.permanent("invalid_arguments",
                    "tool '" + descriptor.name() + "' takes a JSON object of arguments, not " + args.getNodeType());
        }
        Object[] values = new Object[bindings.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = bindings.get(i).value(args, context);
        }
        Object result;
        try {
            result = method.invoke(Modifier.isStatic(method.getModifiers()) ? null : target, values);
        } catch (InvocationTargetException e) {
            // What the method itself threw: pass it on unchanged.
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) throw exception;
            if (cause instanceof Error error) throw error;
            throw e;
        }
        if (result == null || method.getReturnType() == void.class) {
            return NullNode.getInstance();
        }
        try {
            return Json.toTree(result);
        } catch (IllegalArgumentException e) {
            throw new ToolException("invalid_result", "tool '" + descriptor.name() + "' returned a "
                    + result.getClass().getName() + " that cannot be written as JSON: " + e.getMessage(), false, null, e);
        }
    }

    @Override
    public String toString() {
        return describe(method);
    }

    private static ToolDescriptor descriptorOf(Method method, List<ParameterBinding> bindings, String where) {
        ToolSpecification specification = ToolSpecifications.toolSpecificationFrom(method);
        ObjectNode schema = LangChain4jSchemas.toJson(specification.parameters());
        for (ParameterBinding binding : bindings) {
            if (binding instanceof ParameterBinding.Context context) {
                hideProperty(schema, context.name());
            }
        }
        ToolOptions options = method.isAnnotationPresent(ToolOptions.class)
                ? method.getAnnotation(ToolOptions.class)
                : method.getDeclaringClass().getAnnotation(ToolOptions.class);
        ToolDescriptor.Builder builder = ToolDescriptor.builder(specification.name())
                .description(specification.description())
                .parameters(schema)
                .source(SOURCE);
        if (options != null) {
            builder.idempotent(options.idempotent())
                    .requiresApproval(options.requiresApproval())
                    .timeout(parseTimeout(options.timeout(), where))
                    .retry(RetryPolicy.DEFAULT.withMaxAttempts(options.maxAttempts()));
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tool method " + where + ": " + e.getMessage(), e);
        }
    }

    /** LangChain4j sees a ToolContext parameter as an ordinary argument; a caller never supplies it. */
    private static void hideProperty(ObjectNode schema, String name) {
        if (schema.get("properties") instanceof ObjectNode properties) {
            properties.remove(name);
        }
        if (schema.get("required") instanceof ArrayNode required) {
            for (int i = required.size() - 1; i >= 0; i--) {
                if (name.equals(required.get(i).asText())) required.remove(i);
            }
            if (required.isEmpty()) schema.remove("required");
        }
    }

    private static Duration parseTimeout(String text, String where) {
        if (text.isEmpty()) return null; // the orchestrator's default
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("tool method " + where + ": @ToolOptions(timeout = \"" + text
                    + "\") is not an ISO-8601 duration such as PT30S", e);
        }
    }

    private static List<Method> toolMethods(Class<?> type) {
        List<Method> methods = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method method : c.getDeclaredMethods()) {
                if (method.isBridge() || method.isSynthetic() || Modifier.isAbstract(method.getModifiers())) continue;
                // The subclass is walked first, so an overriding method hides the one it overrides.
                boolean first = seen.add(method.getName() + Arrays.toString(method.getParameterTypes()));
                if (first && method.isAnnotationPresent(dev.langchain4j.agent.tool.Tool.class)) {
                    methods.add(method);
                }
            }
        }
        return methods;
    }

    private static String describe(Method method) {
        return method.getDeclaringClass().getName() + "#" + method.getName();
    }
}
