package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.annotated.OrderTools;
import dev.baton.tools.builtin.EchoTool;
import dev.langchain4j.agent.tool.Tool;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolRegistryTest {

    private final ToolRegistry registry = new ToolRegistry();

    /** Clashes with the built-in echo tool. */
    public static class EchoClash {
        @Tool(name = "echo", value = "Not the real echo")
        public String echo(String text) {
            return text;
        }

        @Tool
        public String unique(String text) {
            return text;
        }
    }

    @Test
    void codeToolsAreFoundByNameAndListedSorted() {
        FixedTool beta = new FixedTool("beta");
        registry.register(beta);
        registry.register(new FixedTool("alpha"));

        assertSame(beta, registry.find("beta").orElseThrow());
        assertEquals("code", registry.descriptor("beta").orElseThrow().source());
        assertEquals(List.of("alpha", "beta"), registry.names());
        assertEquals(List.of("alpha", "beta"), registry.descriptors().stream().map(ToolDescriptor::name).toList());
        assertTrue(registry.find("gamma").isEmpty());
        assertTrue(registry.descriptor("gamma").isEmpty());
    }

    @Test
    void annotatedToolsAreRegisteredWithTheirSchemas() throws Exception {
        List<ToolDescriptor> added = registry.registerAnnotated(new OrderTools());

        assertEquals(6, added.size());
        ToolDescriptor create = registry.descriptor("orders.create").orElseThrow();
        assertEquals("annotated", create.source());
        assertTrue(create.requiresApproval());
        assertEquals("array", create.parameters().at("/properties/lines/type").asText());
        JsonNode words = registry.find("countWords").orElseThrow()
                .call(Json.object().put("text", "one two three"), ToolContext.standalone("k"));
        assertEquals(3, words.asInt());
    }

    @Test
    void duplicateNameSaysWhereBothToolsCameFrom() {
        registry.register(new EchoTool());

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> registry.registerAnnotated(new EchoClash()));

        String message = error.getMessage();
        assertTrue(message.contains("'echo'"), message);
        assertTrue(message.contains("builtin " + EchoTool.class.getName()), message);
        assertTrue(message.contains("annotated method " + EchoClash.class.getName() + "#echo"), message);
        assertEquals(List.of("echo"), registry.names(), "all or nothing: 'unique' was not registered either");
        assertEquals("builtin", registry.descriptor("echo").orElseThrow().source());
    }

    @Test
    void duplicateWithinOneBatchIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> registry.registerAll(List.of(new FixedTool("same"), new FixedTool("same"))));
        assertTrue(registry.names().isEmpty());
    }

    @Test
    void serviceLoaderProvidersAreDiscoveredWithSettings() throws Exception {
        List<ToolDescriptor> added = registry.discover(withTestProvider(),
                ToolSettings.allowingHosts("b.example.com", "a.example.com"));

        assertEquals(List.of("test.provided"), added.stream().map(ToolDescriptor::name).toList());
        dev.baton.tools.BatonTool provided = registry.find("test.provided").orElseThrow();
        assertEquals("service-loader", provided.descriptor().source());
        assertEquals("service-loader", registry.descriptor("test.provided").orElseThrow().source());
        assertTrue(provided.descriptor().idempotent(), "the provider's own flags are kept");
        assertEquals("[\"a.example.com\",\"b.example.com\"]",
                Json.write(provided.call(Json.object(), ToolContext.standalone("k"))));
    }

    @Test
    void discoveringTwiceNamesTheProvider() {
        registry.discover(withTestProvider(), ToolSettings.none());

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> registry.discover(withTestProvider(), ToolSettings.none()));

        assertTrue(error.getMessage().contains("service-loader"), error.getMessage());
        assertTrue(error.getMessage().contains("provider " + TestToolProvider.class.getName()), error.getMessage());
    }

    @Test
    void concurrentRegistrationsKeepEveryToolAndOneWinnerPerName() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> contested = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                pool.submit((Callable<Void>) () -> {
                    start.await();
                    for (int i = 0; i < 50; i++) registry.register(new FixedTool("t" + thread + "-" + i));
                    return null;
                });
                contested.add(pool.submit(() -> {
                    start.await();
                    try {
                        registry.register(new FixedTool("contested"));
                        return true;
                    } catch (IllegalArgumentException taken) {
                        return false;
                    }
                }));
            }
            start.countDown();
            int winners = 0;
            for (Future<Boolean> result : contested) {
                if (result.get(10, TimeUnit.SECONDS)) winners++;
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(1, winners);
            assertEquals(threads * 50 + 1, registry.names().size());
        } finally {
            pool.shutdownNow();
        }
    }

    private static FixedTool withSchema(String name, String schema) throws Exception {
        return new FixedTool(ToolDescriptor.builder(name).parameters((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(schema)).build());
    }

    @Test
    void aSchemaThatWouldCheckNothingIsRefusedNamingToolPlaceAndKeyword() throws Exception {
        IllegalArgumentException misspelt = assertThrows(IllegalArgumentException.class, () -> registry.register(withSchema("git.push",
                "{\"type\":\"object\",\"properties\":{\"branch\":{\"type\":\"string\",\"maxLenght\":40}}}")));
        assertTrue(misspelt.getMessage().startsWith("tool 'git.push' from code dev.baton.tools.FixedTool has a parameters schema"),
                misspelt.getMessage());
        assertTrue(misspelt.getMessage().contains("parameters.properties.branch.maxLenght: unknown keyword 'maxLenght'"),
                misspelt.getMessage());

        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> registry.register(withSchema("count",
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"int\"}}}")));
        assertTrue(type.getMessage().contains("parameters.properties.n.type: unknown type \"int\""), type.getMessage());

        IllegalArgumentException pattern = assertThrows(IllegalArgumentException.class, () -> registry.register(withSchema("name",
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\",\"pattern\":\"^\\\\p{Lettr}+$\"}}}")));
        assertTrue(pattern.getMessage().contains("parameters.properties.n.pattern: pattern \"^\\\\p{Lettr}+$\" is not an ECMA-262 regular expression"),
                pattern.getMessage());
        assertEquals(List.of(), registry.names());
    }

    @Test
    void aRefusedSchemaRefusesItsWholeBatch() throws Exception {
        FixedTool good = new FixedTool("good");
        FixedTool bad = withSchema("bad", "{\"type\":\"object\",\"nullable\":true}");
        assertThrows(IllegalArgumentException.class, () -> registry.registerAll(List.of(good, bad)));
        assertTrue(registry.find("good").isEmpty());
    }

    @Test
    void everyBuiltinAndAnnotatedSchemaIsAccepted() {
        registry.registerAnnotated(new OrderTools());
        registry.registerAll(dev.baton.tools.builtin.BuiltinTools.create(ToolSettings.none()));
        for (ToolDescriptor descriptor : registry.descriptors()) {
            assertEquals(List.of(), dev.baton.tools.schema.JsonSchemaValidator.schemaProblems(descriptor.parameters(), "parameters"),
                    descriptor.name());
        }
    }

    @Test
    void invalidToolNamesAreRefusedAtRegistration() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> registry.registerAnnotated(new Object() {
                    @Tool(name = "has space")
                    public void bad() {
                    }
                }));

        assertTrue(error.getMessage().contains("has space"), error.getMessage());
        assertFalse(registry.names().contains("has space"));
    }

    private static FixedTool sourced(String name, String source) {
        return new FixedTool(ToolDescriptor.builder(name).source(source).build());
    }

    @Test
    void replaceSourceSwapsOneSourcesToolsAndLeavesTheOthers() {
        registry.register(new EchoTool());
        registry.replaceSource("mcp:a", List.of(sourced("a.one", "mcp:a"), sourced("a.two", "mcp:a")));
        registry.replaceSource("mcp:b", List.of(sourced("b.one", "mcp:b")));

        List<ToolDescriptor> now = registry.replaceSource("mcp:a", List.of(sourced("a.two", "mcp:a"), sourced("a.three", "mcp:a")));

        assertEquals(List.of("a.three", "a.two"), now.stream().map(ToolDescriptor::name).toList());
        assertEquals(List.of("a.three", "a.two", "b.one", "echo"), registry.names());
        registry.replaceSource("mcp:a", List.of());
        assertEquals(List.of("b.one", "echo"), registry.names());
    }

    @Test
    void replaceSourceIsAllOrNone() throws Exception {
        registry.register(new EchoTool());
        registry.replaceSource("mcp:a", List.of(sourced("a.one", "mcp:a")));

        IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
                () -> registry.replaceSource("mcp:a", List.of(sourced("a.two", "mcp:a"), sourced("echo", "mcp:a"))));
        assertTrue(clash.getMessage().contains("'echo' is already registered, from builtin"), clash.getMessage());

        FixedTool badSchema = new FixedTool(ToolDescriptor.builder("a.bad").source("mcp:a")
                .parameters((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse("{\"type\":\"object\",\"nullable\":true}")).build());
        assertThrows(IllegalArgumentException.class, () -> registry.replaceSource("mcp:a", List.of(sourced("a.two", "mcp:a"), badSchema)));

        assertThrows(IllegalArgumentException.class,
                () -> registry.replaceSource("mcp:a", List.of(sourced("a.two", "mcp:a"), sourced("a.two", "mcp:a"))));

        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> registry.replaceSource("mcp:a", List.of(sourced("a.two", "mcp:b"))));
        assertTrue(foreign.getMessage().contains("source 'mcp:b', not 'mcp:a'"), foreign.getMessage());

        assertEquals(List.of("a.one", "echo"), registry.names(), "every refused replacement left the registry as it was");
        assertEquals("builtin", registry.descriptor("echo").orElseThrow().source());
    }

    @Test
    void aToolKeptAcrossReplacementsIsNeverMissing() throws Exception {
        registry.replaceSource("mcp:a", List.of(sourced("a.kept", "mcp:a")));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger misses = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!stop.get()) if (registry.find("a.kept").isEmpty()) misses.incrementAndGet();
        });
        reader.start();
        for (int i = 0; i < 2_000; i++) {
            registry.replaceSource("mcp:a", List.of(sourced("a.kept", "mcp:a"), sourced("a.extra" + (i % 2), "mcp:a")));
        }
        stop.set(true);
        reader.join(10_000);
        assertEquals(0, misses.get());
        assertEquals(List.of("a.extra1", "a.kept"), registry.names());
    }

    /**
     * The test classes plus the folder that lists {@link TestToolProvider} for ServiceLoader. The
     * listing is kept out of the test classpath's own META-INF: other modules' tests take helpers from
     * this module's test classes, and every server they start would discover the test provider.
     */
    private static ClassLoader withTestProvider() {
        java.net.URL folder = ToolRegistryTest.class.getResource("/discoverable/");
        return new java.net.URLClassLoader(new java.net.URL[]{folder}, ToolRegistryTest.class.getClassLoader());
    }
}
