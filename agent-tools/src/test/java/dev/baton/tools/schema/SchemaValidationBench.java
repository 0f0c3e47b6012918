package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.annotated.MethodTool;
import dev.baton.tools.annotated.OrderTools;
import dev.baton.tools.http.HttpRequestTool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Prints what one argument check costs, in ns, with the hand-written checker that was replaced
 * ({@link HandWrittenValidator}) and with {@link JsonSchemaValidator} (networknt, each schema
 * compiled once), on typical tool schemas; and, when the suite is beside the checkout, how many
 * of the JSON-Schema-Test-Suite's draft 2020-12 cases each gets wrong. Not a test: it asserts
 * nothing, and figures depend on the machine. Run it from the repository's root:
 *
 * <pre>{@code
 * mvn -o -q -pl agent-tools test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp agent-tools/target/test-classes:agent-tools/target/classes:$(cat /tmp/cp.txt) \
 *      dev.baton.tools.schema.SchemaValidationBench [shared folder]
 * }</pre>
 */
public final class SchemaValidationBench {

    private static final int ROUNDS = 7;
    private static final int WARMUP = 20_000;
    private static final int MEASURED = 100_000;

    private record Case(String name, JsonNode schema, JsonNode value) {
    }

    private static long sink;

    public static void main(String[] args) throws Exception {
        JsonNode http = new HttpRequestTool(ToolSettings.none()).descriptor().parameters();
        JsonNode order = MethodTool.allOf(new OrderTools()).stream()
                .filter(tool -> tool.descriptor().name().equals("orders.create")).findFirst().orElseThrow()
                .descriptor().parameters();
        List<Case> cases = List.of(
                new Case("http.request, valid", http, Json.parse(
                        "{\"method\":\"POST\",\"url\":\"https://example.com/hook\",\"headers\":{\"x-a\":\"1\"},\"body\":{\"k\":1},\"timeout\":\"PT5S\"}")),
                new Case("http.request, 2 violations", http, Json.parse("{\"method\":\"FETCH\",\"urll\":\"https://example.com\"}")),
                new Case("orders.create (@Tool, nested records), valid", order, Json.parse(
                        "{\"customer\":\"c-1\",\"lines\":[{\"sku\":\"A\",\"quantity\":2},{\"sku\":\"B\",\"quantity\":1}],\"priority\":\"HIGH\"}")),
                new Case("orders.create, nested violation", order, Json.parse(
                        "{\"customer\":\"c-1\",\"lines\":[{\"sku\":\"A\",\"quantity\":\"two\"}]}")));

        System.out.printf("%-48s %14s %14s%n", "ns per check (median of " + ROUNDS + " rounds)", "hand-written", "networknt");
        for (Case c : cases) {
            JsonSchemaValidator.validate(c.schema(), c.value()); // compiles and caches the schema
            double old = nanosPerCall(c, HandWrittenValidator::validate);
            double now = nanosPerCall(c, JsonSchemaValidator::validate);
            System.out.printf("%-48s %14.0f %14.0f%n", c.name(), old, now);
        }

        Path suite = Path.of(args.length > 0 ? args[0] : "../shared").resolve("data/json-schema-test-suite/draft2020-12");
        if (Files.isDirectory(suite)) suiteAgreement(suite);
        else System.out.println("(no suite at " + suite.toAbsolutePath() + ": pass the shared folder as the argument)");
        if (sink == 42) System.out.println();
    }

    private static double nanosPerCall(Case c, BiFunction<JsonNode, JsonNode, List<SchemaViolation>> check) {
        for (int i = 0; i < WARMUP; i++) sink += check.apply(c.schema(), c.value()).size();
        double[] rounds = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < MEASURED; i++) sink += check.apply(c.schema(), c.value()).size();
            rounds[r] = (System.nanoTime() - start) / (double) MEASURED;
        }
        Arrays.sort(rounds);
        return rounds[ROUNDS / 2];
    }

    /** How many of the suite's cases (those that need no remote document) each checker decides wrongly. */
    private static void suiteAgreement(Path folder) throws Exception {
        int cases = 0;
        int oldWrong = 0;
        int newWrong = 0;
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
        List<String> skipped = new ArrayList<>();
        for (Path file : files) {
            for (JsonNode group : Json.MAPPER.readTree(file.toFile())) {
                JsonNode schema = group.get("schema");
                if (!JsonSchemaValidator.schemaProblems(schema, "schema").isEmpty()) {
                    skipped.add(file.getFileName() + ": " + group.get("description").asText());
                    continue;
                }
                for (JsonNode test : group.get("tests")) {
                    cases++;
                    boolean valid = test.get("valid").asBoolean();
                    if (HandWrittenValidator.validate(schema, test.get("data")).isEmpty() != valid) oldWrong++;
                    if (JsonSchemaValidator.validate(schema, test.get("data")).isEmpty() != valid) newWrong++;
                }
            }
        }
        System.out.printf("JSON-Schema-Test-Suite draft 2020-12: %d cases (%d groups need remote documents and are left out);"
                + " hand-written wrong on %d, networknt wrong on %d%n", cases, skipped.size(), oldWrong, newWrong);
    }
}
