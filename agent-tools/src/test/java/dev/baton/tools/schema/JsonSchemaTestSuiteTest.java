package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The official JSON-Schema-Test-Suite, draft 2020-12 (without {@code optional/}), run through
 * {@link JsonSchemaValidator}: one test per case, each must pass.
 *
 * <p>The suite's files are not in this repository: they are read from
 * {@code shared/data/json-schema-test-suite/} beside the checkout ({@code ../shared} from the
 * repository's root), or from the folder the system property {@code baton.shared.dir} or the
 * variable {@code BATON_SHARED_DIR} names. The suite is MIT-licensed (its LICENSE lies beside it).
 *
 * <p>Cases that need the suite's remote documents (served at {@code http://localhost:1234/} by
 * its own harness, not present here: {@code refRemote.json}, some {@code dynamicRef.json} and
 * {@code vocabulary.json} groups) are skipped, and only those: a group is skipped when the
 * validator refuses its schema for nothing but a document under that address, which it
 * never fetches.
 */
class JsonSchemaTestSuiteTest {

    private static final String SUITE = "data/json-schema-test-suite/draft2020-12";
    private static final String REMOTES = "http://localhost:1234/";

    @TestFactory
    Stream<DynamicNode> draft2020_12() throws IOException {
        Path folder = suiteFolder();
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() > 40, "expected the suite's 46 files in " + folder + ", found " + files.size());
        List<DynamicNode> containers = new ArrayList<>();
        for (Path file : files) {
            JsonNode groups = Json.MAPPER.readTree(file.toFile());
            List<DynamicNode> groupNodes = new ArrayList<>();
            for (JsonNode group : groups) groupNodes.add(group(file.getFileName().toString(), group));
            containers.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), file.toUri(), groupNodes.stream()));
        }
        return containers.stream();
    }

    private static DynamicNode group(String file, JsonNode group) {
        JsonNode schema = group.get("schema");
        String description = group.get("description").asText();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode test : group.get("tests")) {
            String name = test.get("description").asText() + " (valid: " + test.get("valid").asBoolean() + ")";
            tests.add(DynamicTest.dynamicTest(name, () -> {
                List<SchemaViolation> problems = JsonSchemaValidator.schemaProblems(schema, "schema");
                if (!problems.isEmpty()) {
                    if (problems.stream().allMatch(problem -> problem.message().contains(REMOTES))) {
                        abort("needs the suite's remote documents: " + problems);
                    }
                    fail(file + " / " + description + ": schema refused: " + problems);
                }
                List<SchemaViolation> violations = JsonSchemaValidator.validate(schema, test.get("data"));
                assertEquals(test.get("valid").asBoolean(), violations.isEmpty(),
                        () -> file + " / " + description + " / " + name + ": " + test.get("data") + " against " + schema
                                + " gave " + violations);
            }));
        }
        return DynamicContainer.dynamicContainer(description, tests.stream());
    }

    /** The suite's draft 2020-12 folder; fails, saying where it looked and how to point elsewhere, when absent. */
    static Path suiteFolder() {
        String configured = System.getProperty("baton.shared.dir", System.getenv("BATON_SHARED_DIR"));
        Path shared = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : repositoryRoot().resolveSibling("shared");
        Path folder = shared.resolve(SUITE).toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            fail("the JSON-Schema-Test-Suite is missing: expected its draft 2020-12 files in " + folder
                    + " (shared/ beside the checkout; or set -Dbaton.shared.dir=<the shared folder> or BATON_SHARED_DIR)");
        }
        return folder;
    }

    /** The checkout's root: the nearest folder up from the working directory whose pom.xml has no parent pom above it. */
    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        Path root = dir;
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("pom.xml"))) root = p;
            else break;
        }
        return root;
    }
}
