package dev.baton.examples.docs;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles as written, against the
 * examples' test class path (so Baton, its dependencies and the example tools are there).
 *
 * <p>The convention, also told in README.md ("Java in this README"):
 * <ul>
 *   <li>A block with a {@code package} line is a whole file, compiled as it is.</li>
 *   <li>Any other block gets the {@link #COMMON_IMPORTS} (on-demand imports of the JDK's and Baton's
 *       usual packages) after its own {@code import} lines. If what follows its imports is type
 *       declarations (it starts with a class, interface, record or enum, or an annotation on one),
 *       it is a file of its own; else it is a snippet of statements, compiled as the body of a method
 *       that may throw anything.</li>
 *   <li>A block that uses a name found in two of those packages imports it itself (javac calls the
 *       bare name ambiguous otherwise).</li>
 *   <li>A block is skipped deliberately when the line before its fence is
 *       {@code <!-- java: not compiled, <reason> -->}.</li>
 * </ul>
 * A block that does not compile fails the test with the file and line of the block and javac's
 * message, the line in the Markdown file included.
 */
class DocsJavaBlocksTest {

    static final List<String> COMMON_IMPORTS = List.of(
            "java.util.*", "java.util.function.*", "java.time.*", "java.nio.file.*",
            "com.fasterxml.jackson.databind.*", "com.fasterxml.jackson.databind.node.*",
            "dev.baton.*", "dev.baton.json.*", "dev.baton.plan.*", "dev.baton.tools.*",
            "dev.baton.runtime.orchestrator.*", "dev.baton.runtime.journal.*", "dev.baton.runtime.model.*",
            "dev.baton.runtime.agent.*", "dev.baton.runtime.event.*", "dev.baton.runtime.run.*",
            "dev.langchain4j.agent.tool.*", "dev.baton.examples.tools.*");

    private static final Path ROOT = Path.of("..");
    private static final Pattern FENCE = Pattern.compile("^\\s*```java\\s*$");
    private static final Pattern SKIP = Pattern.compile("^\\s*<!--\\s*java:\\s*not compiled\\b.*-->\\s*$");
    private static final Pattern TYPE_START = Pattern.compile(
            "^(@\\w+(\\(.*\\))?\\s+)*((public|protected|private|abstract|final|sealed|static|non-sealed)\\s+)*(class|interface|record|enum|@interface)\\s+(\\w+).*");

    /** One {@code ```java} block: where it is and its lines. */
    record Block(Path file, int fenceLine, List<String> lines, boolean skipped) {
        String where() {
            return display(file) + ":" + fenceLine;
        }
    }

    /** A block made into a compilation unit: its source, and for each of its lines the Markdown line it came from (0: added). */
    record Unit(String className, String source, int[] markdownLines) {
    }

    static List<Path> documents() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    static List<Block> blocks(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!FENCE.matcher(lines.get(i)).matches()) continue;
            boolean skipped = i > 0 && SKIP.matcher(lines.get(i - 1)).matches();
            List<String> body = new ArrayList<>();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).strip().startsWith("```")) body.add(lines.get(j++));
            if (j == lines.size()) throw new IllegalStateException(file + ":" + (i + 1) + ": a ```java block that never closes");
            blocks.add(new Block(file, i + 1, body, skipped));
            i = j;
        }
        return blocks;
    }

    /** The compilation unit of a block, by the convention above. */
    static Unit unit(Block block, int index) {
        List<String> lines = block.lines();
        List<String> source = new ArrayList<>();
        List<Integer> origin = new ArrayList<>();
        boolean wholeFile = lines.stream().anyMatch(l -> l.strip().startsWith("package "));
        String className = null;
        int first = 0;
        if (!wholeFile) {
            // the block's own imports (and comments or blank lines among them) come first
            while (first < lines.size() && (lines.get(first).isBlank() || lines.get(first).strip().startsWith("import ")
                    || lines.get(first).strip().startsWith("//"))) {
                add(source, origin, lines.get(first), block.fenceLine() + 1 + first);
                first++;
            }
            for (String common : COMMON_IMPORTS) add(source, origin, "import " + common + ";", 0);
        }
        String firstCode = lines.stream().skip(first).map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("//") && !l.startsWith("/*") && !l.startsWith("*"))
                .findFirst().orElse("");
        boolean declarations = wholeFile || TYPE_START.matcher(firstCode).matches()
                || (firstCode.startsWith("@") && nextTypeName(lines, first) != null);
        if (declarations) {
            for (String line : lines) {
                Matcher m = Pattern.compile("^public\\s+(?:(?:abstract|final|sealed|non-sealed|static)\\s+)*(?:class|interface|record|enum|@interface)\\s+(\\w+)")
                        .matcher(line.strip());
                if (className == null && m.find()) className = m.group(1);
            }
            if (className == null) className = "DocBlock" + index;
            for (int i = first; i < lines.size(); i++) add(source, origin, lines.get(i), block.fenceLine() + 1 + i);
        } else {
            className = "DocBlock" + index;
            add(source, origin, "class " + className + " { void snippet() throws Throwable {", 0);
            for (int i = first; i < lines.size(); i++) add(source, origin, lines.get(i), block.fenceLine() + 1 + i);
            add(source, origin, "}}", 0);
        }
        return new Unit(className, String.join("\n", source) + "\n", origin.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String nextTypeName(List<String> lines, int from) {
        for (int i = from; i < lines.size(); i++) {
            Matcher m = TYPE_START.matcher(lines.get(i).strip());
            if (m.matches()) return m.group(6);
        }
        return null;
    }

    private static void add(List<String> source, List<Integer> origin, String line, int markdownLine) {
        source.add(line);
        origin.add(markdownLine);
    }

    /** Compiles one unit in its own folder; returns javac's errors, each as "file:line: message". */
    static List<String> compile(Block block, Unit unit, Path workDir) throws IOException {
        Path dir = Files.createDirectories(workDir.resolve("block-" + block.fenceLine() + "-" + Math.abs(block.file().hashCode())));
        Path sourceFile = dir.resolve(unit.className() + ".java");
        Files.writeString(sourceFile, unit.source(), StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-classpath", classPath(), "-d", dir.resolve("classes").toString(),
                    "-parameters", "-proc:none", "--release", "17", "-Xlint:none");
            Files.createDirectories(dir.resolve("classes"));
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(sourceFile.toFile())).call();
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                long line = d.getLineNumber();
                int markdownLine = line >= 1 && line <= unit.markdownLines().length ? unit.markdownLines()[(int) line - 1] : 0;
                String at = display(block.file()) + ":" + (markdownLine > 0 ? markdownLine : block.fenceLine());
                errors.add(at + ": " + d.getMessage(Locale.ROOT) + (markdownLine > 0 ? "" : " (in the lines added around the block)"));
            }
            if (!ok && errors.isEmpty()) errors.add(block.where() + ": javac failed without an error message");
            return errors;
        }
    }

    /** A document's path from the repository's root, e.g. {@code docs/flow.md}. */
    static String display(Path file) {
        Path root = ROOT.toAbsolutePath().normalize();
        Path path = file.toAbsolutePath().normalize();
        return (path.startsWith(root) ? root.relativize(path) : path).toString().replace(File.separatorChar, '/');
    }

    /** The test class path: surefire names it (its own class path is a manifest-only jar). */
    static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    @TempDir
    Path workDir;

    @TestFactory
    Stream<DynamicTest> everyJavaBlockCompiles() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        int index = 0;
        for (Path document : documents()) {
            for (Block block : blocks(document)) {
                int n = index++;
                if (block.skipped()) continue;
                tests.add(DynamicTest.dynamicTest(block.where(), () -> {
                    List<String> errors = compile(block, unit(block, n), workDir);
                    if (!errors.isEmpty()) fail("the ```java block at " + block.where() + " does not compile:\n" + String.join("\n", errors));
                }));
            }
        }
        assertFalse(tests.isEmpty(), "no ```java block found in README.md or docs/*.md");
        return tests.stream();
    }

    /** The test itself: a block that does not compile is reported with the Markdown file and line of the fault. */
    @Test
    void aBrokenBlockIsReportedWithItsFileAndLine() throws IOException {
        Path doc = Files.createDirectories(workDir.resolve("docs")).resolve("broken.md");
        Files.writeString(doc, String.join("\n", "# A page", "", "```java",
                "Plan plan = Plan.builder().tool(\"a\", \"x.y\").build();", "int n = plan.tasks().size() + \"oops\";", "```", ""));
        List<Block> blocks = blocks(doc);
        assertEquals(1, blocks.size());
        List<String> errors = compile(blocks.get(0), unit(blocks.get(0), 0), workDir);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("docs/broken.md:5: incompatible types: "), errors.get(0));
        assertTrue(errors.get(0).endsWith("String cannot be converted to int"), errors.get(0));
    }

    @Test
    void classesSnippetsAndSkippedBlocksAreToldApart() throws IOException {
        Path doc = Files.createDirectories(workDir.resolve("docs")).resolve("kinds.md");
        Files.writeString(doc, String.join("\n",
                "```java", "import dev.langchain4j.agent.tool.Tool;", "", "public class Greeter {",
                "    @Tool(name = \"greet\", value = \"Greets\") public String greet(String name) { return \"hi \" + name; }", "}", "```",
                "<!-- java: not compiled, needs a library the build does not have -->", "```java", "new com.example.Missing();", "```",
                "```java", "Baton.Builder builder = Baton.builder().tools(new Object());", "```", ""));
        List<Block> blocks = blocks(doc);
        assertEquals(List.of(false, true, false), blocks.stream().map(Block::skipped).toList());
        assertEquals("Greeter", unit(blocks.get(0), 0).className());
        assertEquals(List.of(), compile(blocks.get(0), unit(blocks.get(0), 0), workDir));
        assertTrue(unit(blocks.get(2), 2).source().contains("void snippet() throws Throwable {"));
        assertEquals(List.of(), compile(blocks.get(2), unit(blocks.get(2), 2), workDir));
    }
}
