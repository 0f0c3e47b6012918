package dev.baton.examples.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every relative link of README.md, docs/*.md and benchmarks/README.md leads somewhere: the file
 * exists, and a {@code #fragment} names a heading of that file as GitHub makes its anchor (lower
 * case, punctuation dropped but for {@code -} and {@code _}, spaces to {@code -}, {@code -1},
 * {@code -2} for repeats). The README was split into docs/; this keeps the pieces pointing at each
 * other as they move.
 */
class DocsLinksTest {
    private static final Path ROOT = Path.of("..");
    /** {@code [text](target)} or {@code ![alt](target)}; the target has no spaces (a title after it is not used here). */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*\\s*$");

    static List<Path> documents(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(root.resolve("README.md"));
        Path bench = root.resolve("benchmarks").resolve("README.md");
        if (Files.exists(bench)) files.add(bench);
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    /** GitHub's anchor for a heading's text. */
    static String anchor(String heading) {
        String text = heading.replaceAll("`", "").replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").strip().toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') out.appendCodePoint(c);
            else if (c == ' ') out.append('-');
        });
        return out.toString();
    }

    /** The anchors of a Markdown file's headings (outside code fences), repeats numbered as GitHub does. */
    static Set<String> anchors(Path file) throws IOException {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fence = false;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.stripLeading().startsWith("```")) fence = !fence;
            if (fence) continue;
            Matcher m = HEADING.matcher(line);
            if (!m.matches()) continue;
            String a = anchor(m.group(1));
            int n = seen.merge(a, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? a : a + "-" + n);
        }
        return anchors;
    }

    /** Broken links of one file, each as {@code file:line: target (why)}. */
    static List<String> brokenLinks(Path root, Path file) throws IOException {
        List<String> broken = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        boolean fence = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.stripLeading().startsWith("```")) fence = !fence;
            if (fence) continue;
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-zA-Z][a-zA-Z+.-]*:.*")) continue; // http:, https:, mailto:
                int hash = target.indexOf('#');
                String path = hash < 0 ? target : target.substring(0, hash);
                String fragment = hash < 0 ? null : target.substring(hash + 1);
                Path to = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
                String where = root.relativize(file) + ":" + (i + 1) + ": " + target;
                if (!Files.exists(to)) {
                    broken.add(where + " (no such file)");
                } else if (fragment != null && to.toString().endsWith(".md") && !anchors(to).contains(fragment)) {
                    broken.add(where + " (no heading with that anchor in " + root.relativize(to) + ")");
                }
            }
        }
        return broken;
    }

    @Test
    void everyRelativeLinkLeadsToAFileAndAHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path file : documents(ROOT)) broken.addAll(brokenLinks(ROOT, file));
        assertEquals(List.of(), broken);
    }

    @Test
    void anchorsAreGitHubs() {
        assertEquals("what-httprequest-may-reach", anchor("What `http.request` may reach"));
        assertEquals("mcp-tools-from-anywhere-baton-from-anywhere", anchor("MCP: tools from anywhere, Baton from anywhere"));
        assertEquals("figures-benchmark-part-5--dbenchflow", anchor("Figures (benchmark part 5, `-Dbench=flow`)"));
    }

    /** The test itself: a missing file, a missing heading and a repeated heading's anchor. */
    @Test
    void brokenLinksAreFoundWithTheirLine(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("README.md"), String.join("\n", "# Baton", "",
                "[a](docs/a.md) [b](docs/b.md) [c](docs/a.md#two-1) [d](docs/a.md#three)", "",
                "```sh", "[not a link](nowhere.md)", "```", "[web](https://example.com/x.md)", ""));
        Files.writeString(root.resolve("docs").resolve("a.md"), String.join("\n", "# A", "## Two", "## Two", "[back](../README.md#baton)", ""));
        assertEquals(List.of("README.md:3: docs/b.md (no such file)",
                "README.md:3: docs/a.md#three (no heading with that anchor in docs/a.md)"), brokenLinks(root, root.resolve("README.md")));
        assertEquals(List.of(), brokenLinks(root, root.resolve("docs").resolve("a.md")));
    }
}
