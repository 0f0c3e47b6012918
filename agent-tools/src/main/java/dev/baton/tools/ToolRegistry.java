package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.annotated.MethodTool;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Every tool Baton can call, by name. The three ways a Java developer hands over tools end here:
 *
 * <pre>{@code
 * ToolRegistry tools = new ToolRegistry();
 * BuiltinTools.register(tools, settings);              // http.request, echo      source "builtin"
 * tools.registerAnnotated(new InventoryTools());        // LangChain4j @Tool methods  "annotated"
 * tools.register(new CurrencyConverterTool());          // a BatonTool implementation      "code"
 * tools.discover(getClass().getClassLoader(), settings); // ToolProviders in jars     "service-loader"
 * }</pre>
 *
 * <p>Names are unique: registering a second tool under a taken name throws an
 * {@link IllegalArgumentException} that says where both came from. So does a tool whose
 * parameters schema cannot be checked as written (a keyword JSON Schema 2020-12 does not have,
 * such as a misspelt {@code maxLenght}; a type that does not exist; a pattern that does not
 * compile: see {@link JsonSchemaValidator#schemaProblems}), since arguments would then pass a
 * check that nobody makes; the message names the tool and the place in its schema. Each
 * registering method is all-or-nothing: when one of its tools is refused, none of them is
 * registered.
 *
 * <p>Thread-safe. Lookups never block; registrations are serialised.
 */
public final class ToolRegistry {

    /** A registered tool, its descriptor as registered, and where it came from (for error messages). */
    private record Registration(BatonTool tool, ToolDescriptor descriptor, String origin) {
    }

    private final ConcurrentSkipListMap<String, Registration> tools = new ConcurrentSkipListMap<>();
    private final Object writeLock = new Object();

    /**
     * Registers a tool under its descriptor's name, with its descriptor's source
     * ({@code code} unless the tool says otherwise).
     *
     * @return the descriptor as registered
     * @throws IllegalArgumentException when the name is taken
     */
    public ToolDescriptor register(BatonTool tool) {
        return registerAll(List.of(tool)).get(0);
    }

    /** Registers several tools at once, all or none. */
    public List<ToolDescriptor> registerAll(List<? extends BatonTool> newTools) {
        List<Registration> registrations = new ArrayList<>();
        for (BatonTool tool : newTools) {
            Objects.requireNonNull(tool, "tool");
            ToolDescriptor descriptor = Objects.requireNonNull(tool.descriptor(), () -> tool.getClass().getName() + " has no descriptor");
            registrations.add(new Registration(tool, descriptor, originOf(tool, descriptor.source(), null)));
        }
        return add(registrations);
    }

    /**
     * Registers one tool per LangChain4j {@code @Tool} method of {@code target}, source
     * {@code annotated}; see {@link MethodTool} for how schemas, arguments and results are derived.
     *
     * @throws IllegalArgumentException when {@code target} has no {@code @Tool} method, a method
     *                                  cannot be a tool, or a name is taken
     */
    public List<ToolDescriptor> registerAnnotated(Object target) {
        return registerAll(MethodTool.allOf(target));
    }

    /**
     * Registers the tools of every {@link ToolProvider} that {@link ServiceLoader} finds through
     * {@code classLoader}, with source {@code service-loader}, all or none.
     *
     * @return the descriptors registered, sorted by provider then as each provider listed them
     */
    public List<ToolDescriptor> discover(ClassLoader classLoader, ToolSettings settings) {
        List<Registration> registrations = new ArrayList<>();
        for (ToolProvider provider : ServiceLoader.load(ToolProvider.class, classLoader)) {
            List<BatonTool> provided;
            try {
                provided = provider.tools(settings);
            } catch (RuntimeException e) {
                throw new IllegalStateException("tool provider " + provider.getClass().getName() + " failed: " + e.getMessage(), e);
            }
            for (BatonTool tool : provided == null ? List.<BatonTool>of() : provided) {
                ToolDescriptor descriptor = tool.descriptor().withSource("service-loader");
                BatonTool sourced = new SourcedTool(tool, descriptor);
                registrations.add(new Registration(sourced, descriptor, originOf(tool, "service-loader", provider)));
            }
        }
        return add(registrations);
    }

    /**
     * Replaces every tool whose descriptor source is {@code source} by {@code newTools}: a name kept
     * goes from its old tool to its new one with no moment without a tool, names no longer listed
     * go, new ones come, and other sources' tools are untouched. For a source whose
     * tools change while Baton runs, such as an MCP server ({@code mcp:<server>}) that reports a
     * new tool list. All or none: when one of the new tools is refused (its source is not
     * {@code source}, its name is taken by another source or repeated, its schema cannot be
     * checked), nothing changes and the {@link IllegalArgumentException} says why.
     *
     * @return the descriptors now registered for {@code source}, sorted by name
     */
    public List<ToolDescriptor> replaceSource(String source, List<? extends BatonTool> newTools) {
        Objects.requireNonNull(source, "source");
        List<Registration> registrations = new ArrayList<>();
        for (BatonTool tool : newTools) {
            Objects.requireNonNull(tool, "tool");
            ToolDescriptor descriptor = Objects.requireNonNull(tool.descriptor(), () -> tool.getClass().getName() + " has no descriptor");
            if (!source.equals(descriptor.source())) {
                throw new IllegalArgumentException("tool '" + descriptor.name() + "' has source '" + descriptor.source()
                        + "', not '" + source + "': replaceSource only takes tools of the source it replaces");
            }
            registrations.add(new Registration(tool, descriptor, originOf(tool, source, null)));
        }
        for (Registration registration : registrations) checkSchema(registration);
        synchronized (writeLock) {
            Map<String, Registration> batch = new LinkedHashMap<>();
            for (Registration registration : registrations) {
                String name = registration.descriptor().name();
                Registration existing = tools.get(name);
                if (existing != null && source.equals(existing.descriptor().source())) existing = null; // replaced
                if (existing == null) existing = batch.get(name);
                if (existing != null) {
                    throw new IllegalArgumentException("a tool named '" + name + "' is already registered, from "
                            + existing.origin() + "; the tool from " + registration.origin() + " needs another name");
                }
                batch.put(name, registration);
            }
            // ConcurrentSkipListMap has no multi-key swap: add and overwrite first, then drop the names that went,
            // so that a tool kept across the swap is never missing for a concurrent lookup.
            List<String> gone = tools.values().stream()
                    .filter(r -> source.equals(r.descriptor().source()) && !batch.containsKey(r.descriptor().name()))
                    .map(r -> r.descriptor().name())
                    .toList();
            tools.putAll(batch);
            gone.forEach(tools::remove);
            return batch.values().stream().map(Registration::descriptor).sorted(java.util.Comparator.comparing(ToolDescriptor::name)).toList();
        }
    }

    /** The tool called {@code name}. */
    public Optional<BatonTool> find(String name) {
        return Optional.ofNullable(tools.get(name)).map(Registration::tool);
    }

    /** The descriptor of the tool called {@code name}. */
    public Optional<ToolDescriptor> descriptor(String name) {
        return Optional.ofNullable(tools.get(name)).map(Registration::descriptor);
    }

    /** All descriptors, sorted by name. */
    public List<ToolDescriptor> descriptors() {
        return tools.values().stream().map(Registration::descriptor).toList();
    }

    /** All names, sorted. */
    public List<String> names() {
        return List.copyOf(tools.keySet());
    }

    private List<ToolDescriptor> add(List<Registration> registrations) {
        for (Registration registration : registrations) checkSchema(registration);
        synchronized (writeLock) {
            Map<String, Registration> batch = new LinkedHashMap<>();
            for (Registration registration : registrations) {
                String name = registration.descriptor().name();
                Registration existing = tools.getOrDefault(name, batch.get(name));
                if (existing != null) {
                    throw new IllegalArgumentException("a tool named '" + name + "' is already registered, from "
                            + existing.origin() + "; the tool from " + registration.origin()
                            + " needs another name");
                }
                batch.put(name, registration);
            }
            tools.putAll(batch);
            return batch.values().stream().map(Registration::descriptor).toList();
        }
    }

    /** Refuses a tool whose arguments could not be checked as its schema says (compiling the schema for later). */
    private static void checkSchema(Registration registration) {
        List<SchemaViolation> problems = JsonSchemaValidator.schemaProblems(registration.descriptor().parameters(), "parameters");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("tool '" + registration.descriptor().name() + "' from " + registration.origin()
                    + " has a parameters schema that cannot be checked as written: "
                    + String.join("; ", problems.stream().map(SchemaViolation::toString).toList()));
        }
    }

    private static String originOf(BatonTool tool, String source, ToolProvider provider) {
        BatonTool inner = tool instanceof SourcedTool sourced ? sourced.delegate() : tool;
        String what = inner instanceof MethodTool ? "method " + inner : inner.getClass().getName();
        return provider == null ? source + " " + what : source + " " + what + " (provider " + provider.getClass().getName() + ")";
    }

    /** A tool whose descriptor says where the registry got it, whatever the tool itself says. */
    private record SourcedTool(BatonTool delegate, ToolDescriptor descriptor) implements BatonTool {
        @Override
        public JsonNode call(JsonNode args, ToolContext context) throws Exception {
            return delegate.call(args, context);
        }
    }
}
