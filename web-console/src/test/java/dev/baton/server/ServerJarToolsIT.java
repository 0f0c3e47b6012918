package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's way to run the server with one's own tools, done as written:
 * {@code java -cp baton.jar:my-tools.jar dev.baton.server.Main}, with {@code my-tools.jar} a
 * jar of a {@code dev.baton.tools.ToolProvider} listed in {@code META-INF/services}. The tool
 * shows in {@code GET /api/tools} and a plan can call it.
 *
 * <p>It needs the shaded jar, so it runs after {@code package}: the {@code server-jar} execution
 * of surefire in web-console's pom runs the {@code *IT} classes in the {@code integration-test}
 * phase and names the jar in {@code baton.jar}; in the {@code test} phase it is skipped.
 */
class ServerJarToolsIT {

    /** The tool jar's one class: a provider of the {@code @Tool} methods of a nested class. */
    static final String PROVIDER = """
            package acme.tools;

            import dev.baton.tools.BatonTool;
            import dev.baton.tools.ToolProvider;
            import dev.baton.tools.ToolSettings;
            import dev.baton.tools.annotated.MethodTool;
            import dev.langchain4j.agent.tool.P;

            import java.util.List;

            public final class GreetingTools implements ToolProvider {
                public static final class Greeter {
                    @dev.langchain4j.agent.tool.Tool(name = "acme.greet", value = "Greets someone by name")
                    public String greet(@P("who to greet") String name) {
                        return "Hello, " + name + "!";
                    }
                }

                @Override
                public List<BatonTool> tools(ToolSettings settings) {
                    return List.copyOf(MethodTool.allOf(new Greeter()));
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aToolJarBesideTheServerJarIsFoundAndRuns() throws Exception {
        String batonJar = System.getProperty("baton.jar");
        Assumptions.assumeTrue(batonJar != null && Files.isRegularFile(Path.of(batonJar)),
                "needs the shaded baton.jar: run by web-console's server-jar execution, after package (mvn verify)");
        Path toolsJar = toolJar(dir.resolve("my-tools.jar"));

        try (ServerProcess server = ServerProcess.start(batonJar + File.pathSeparator + toolsJar, dir.resolve("data"), null,
                dir.resolve("server.log"), List.of(), List.of(), "dev.baton.server.Main", Map.of())) {
            Api api = server.api();
            JsonNode tools = api.get("/api/tools").json();
            JsonNode greet = null;
            for (JsonNode tool : tools) if (tool.path("name").asText().equals("acme.greet")) greet = tool;
            assertTrue(greet != null, "acme.greet is not among the tools: " + tools + "\n" + server.logTail());
            assertEquals("service-loader", greet.path("source").asText());
            assertEquals("Greets someone by name", greet.path("description").asText());
            assertTrue(greet.at("/parameters/properties").has("name"), "the parameter keeps its name (-parameters): " + greet);

            String runId = api.startRun("greet", """
                    {"tasks": [{"id": "hello", "tool": "acme.greet", "args": {"name": "Ada"}}]}""").path("id").asText();
            JsonNode run = api.awaitRunStatus(runId, "SUCCEEDED");
            assertEquals("Hello, Ada!", Api.task(run, "hello").path("output").asText());
        }
    }

    /** Compiles {@link #PROVIDER} (with {@code -parameters}) and jars it with its service file. */
    static Path toolJar(Path jar) throws IOException {
        Path src = Files.createDirectories(jar.resolveSibling("tool-src/acme/tools"));
        Path classes = Files.createDirectories(jar.resolveSibling("tool-classes"));
        Files.writeString(src.resolve("GreetingTools.java"), PROVIDER, StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = javac.run(null, null, errors, "-parameters", "--release", "17", "-proc:none",
                "-classpath", System.getProperty("java.class.path"), "-d", classes.toString(), src.resolve("GreetingTools.java").toString());
        assertEquals(0, status, errors.toString(StandardCharsets.UTF_8));

        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> compiled = Files.walk(classes)) {
            for (Path path : compiled.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(path).toString().replace(File.separatorChar, '/')));
                out.write(Files.readAllBytes(path));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.baton.tools.ToolProvider"));
            out.write("acme.tools.GreetingTools\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }
}
