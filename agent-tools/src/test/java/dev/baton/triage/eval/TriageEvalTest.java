package dev.baton.triage.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.Recipe;
import dev.baton.triage.TriageFixtures;

class TriageEvalTest {

    @Test
    void theHoldoutTakesAFixedShareOfEachCategory() {
        List<LabelledExample> all = TriageFixtures.slice(0, 10);
        List<List<LabelledExample>> split = TriageEval.holdout(all, 0.2, 42);
        List<LabelledExample> train = split.get(0);
        List<LabelledExample> test = split.get(1);
        assertEquals(all.size(), train.size() + test.size());
        assertEquals(new HashSet<>(all), union(train, test));
        Map<String, Integer> perCategory = new HashMap<>();
        for (LabelledExample e : test) perCategory.merge(e.category(), 1, Integer::sum);
        assertEquals(77, perCategory.size());
        assertTrue(perCategory.values().stream().allMatch(n -> n == 2), perCategory.toString());
        assertEquals(split, TriageEval.holdout(all, 0.2, 42), "the same seed gives the same split");
        assertTrue(!test.equals(TriageEval.holdout(all, 0.2, 43).get(1)), "another seed another split");
    }

    private static Set<LabelledExample> union(List<LabelledExample> a, List<LabelledExample> b) {
        Set<LabelledExample> s = new HashSet<>(a);
        s.addAll(b);
        return s;
    }

    @Test
    void badCommandLinesAreRefusedWithTheProblemAndTheUsage(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("x.csv"), "text,category\na,b\n");
        assertUsage("--examples is required", "--holdout", "0.2");
        assertUsage("unknown option --bogus", "--examples", csv.toString(), "--bogus", "1");
        assertUsage("give --test or --holdout, not both", "--examples", csv.toString(), "--test", csv.toString(), "--holdout", "0.2");
        assertUsage("--threshold must be auto or 0..1", "--examples", csv.toString(), "--threshold", "1.5");
        assertUsage("cannot read", "--examples", dir.resolve("missing.csv").toString());
        assertUsage("needs a value", "--examples");
        TriageEval.Settings s = TriageEval.parse(new String[] {"--examples", csv.toString(), "--threshold", "auto"});
        assertNull(s.threshold());
        assertEquals(0.2, s.holdout());
        assertEquals(42, s.seed());
        assertEquals("knn-bge",
                TriageEval.parse(new String[] {"--examples", csv.toString(), "--recipe", "knn-bge"}).options().recipe().name());
    }

    private static void assertUsage(String problem, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TriageEval.parse(args));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().contains("usage: java -jar baton.jar triage-eval"), e.getMessage());
    }

    @Test
    void scoresCategoriesQueuesAndTheReviewThreshold(@TempDir Path dir) throws Exception {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        List<LabelledExample> test = TriageFixtures.slice(30, 2);
        List<String> cats = new ArrayList<>(new TreeSet<>(classifier.categories()));
        // two queues: the first half of the categories and the rest
        StringBuilder routing = new StringBuilder("{\"queues\": [{\"name\": \"a\", \"categories\": {");
        for (int i = 0; i < 38; i++) routing.append(i == 0 ? "" : ",").append('"').append(cats.get(i)).append("\": \"P3\"");
        routing.append("}}, {\"name\": \"b\", \"categories\": {");
        for (int i = 38; i < cats.size(); i++) routing.append(i == 38 ? "" : ",").append('"').append(cats.get(i)).append("\": \"P4\"");
        routing.append("}}]}");
        Map<String, String> queues = TriageEval.queues(Files.writeString(dir.resolve("routing.json"), routing));
        assertEquals("a", queues.get(cats.get(0)));
        assertEquals("b", queues.get(cats.get(40)));

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TriageEval.Report all = TriageEval.evaluate(classifier, 1155, test, queues, 0.0, 4, 0, 0, "SOFTMAX_TFIDF",
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(test.size(), all.testSize());
        assertTrue(all.accuracy() > 0.5 && all.accuracy() <= 1, "accuracy " + all.accuracy());
        assertTrue(all.queueAccuracy() >= all.accuracy(), "a right category is a right queue");
        assertEquals(0.0, all.reviewedShare());
        assertEquals(all.accuracy(), all.acceptedPrecision(), 1e-9);
        assertTrue(all.macroF1() > 0 && all.macroF1() <= 1);
        assertTrue(all.ticketsPerSecond() > 0);
        assertTrue(all.p99Millis() >= all.p50Millis());
        for (int i = 1; i < all.worstPairs().size(); i++) {
            assertTrue(all.worstPairs().get(i - 1).count() >= all.worstPairs().get(i).count());
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("category accuracy") && printed.contains("queue accuracy")
                && printed.contains("sent to review") && printed.contains("worst confused pairs"), printed);

        double t = classifier.suggestedThreshold(0.9);
        TriageEval.Report thresholded = TriageEval.evaluate(classifier, 1155, test, queues, t, 4, 0, 0, "SOFTMAX_TFIDF",
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertTrue(thresholded.reviewedShare() > 0 && thresholded.reviewedShare() < 1, "reviewed " + thresholded.reviewedShare());
        assertTrue(thresholded.acceptedPrecision() >= all.accuracy(),
                "precision above the threshold " + thresholded.acceptedPrecision() + " vs " + all.accuracy());
        TriageEval.Report none = TriageEval.evaluate(classifier, 1155, test, null, 1.01, 2, 0, 0, "SOFTMAX_TFIDF",
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(1.0, none.reviewedShare());
        assertTrue(Double.isNaN(none.acceptedPrecision()));
        assertTrue(Double.isNaN(none.queueAccuracy()));
    }

    @Test
    void theCommandRunsEndToEndOnAFile(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("examples.csv"), ExamplesCsv.format(TriageFixtures.slice(0, 5)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = TriageEval.main(new String[] {"--examples", csv.toString(), "--holdout", "0.2", "--seed", "42",
                        "--threshold", "0.5", "--folds", "3", "--recipe", "lr-minilm", "--cache-dir", TriageFixtures.cacheDir().toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains("training on 308 examples, testing on 77"), printed);
        assertTrue(printed.contains("review threshold       0.5000"), printed);
        assertTrue(printed.contains("recipe lr-minilm,"), printed);
        assertTrue(printed.contains("queue accuracy         n/a"), printed);

        Path broken = Files.writeString(dir.resolve("broken.csv"), "text,category\n\"unclosed,a\n");
        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        assertEquals(2, TriageEval.main(new String[] {"--examples", broken.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err2, true, StandardCharsets.UTF_8)));
        assertTrue(err2.toString(StandardCharsets.UTF_8).contains("line 2: quoted field is never closed"), err2.toString());
    }

    @Test
    void compareCommandLinesPutTheDefaultFirstAndNameTheKnownRecipes(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("x.csv"), "text,category\na,b\n");
        String examples = csv.toString();
        assertNull(TriageEval.parse(new String[] {"--examples", examples}).compare(), "one recipe unless asked");
        assertEquals(Recipe.presets(), TriageEval.parse(new String[] {"--examples", examples, "--compare"}).compare());
        assertEquals(Recipe.presets(), TriageEval.parse(new String[] {"--compare", "--examples", examples}).compare());
        assertEquals(List.of(Recipe.DEFAULT, Recipe.named("knn-bge")),
                TriageEval.parse(new String[] {"--examples", examples, "--recipes", "knn-bge,default,knn-bge"}).compare(),
                "the default first, each recipe once");
        assertEquals(List.of(Recipe.DEFAULT, Recipe.named("lr-minilm"), Recipe.named("knn-bge")),
                TriageEval.parse(new String[] {"--examples", examples, "--compare", "--recipes", "lr-minilm,knn-bge"}).compare());

        assertUsage("no classifier recipe 'bogus'; known: default, " + Recipe.DEFAULT.name(),
                "--examples", examples, "--recipes", "lr-minilm,bogus");
        assertUsage("no classifier recipe 'bogus'; known: default, ", "--examples", examples, "--recipe", "bogus");
        assertUsage("--recipes needs recipe names separated by commas", "--examples", examples, "--recipes", "lr-minilm,,knn-bge");
        assertUsage("not both", "--examples", examples, "--recipe", "lr-minilm", "--recipes", "knn-bge");
        assertUsage("not both", "--examples", examples, "--recipe", "lr-minilm", "--compare");
        assertUsage("unexpected argument lr-minilm", "--examples", examples, "--compare", "lr-minilm");

        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertEquals(0, TriageEval.main(new String[] {"--help"}, new PrintStream(help, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        String usage = help.toString(StandardCharsets.UTF_8);
        for (Recipe r : Recipe.presets()) assertTrue(usage.contains(r.name()), usage);
        assertTrue(usage.contains("--compare") && usage.contains("--recipes NAME,NAME"), usage);
    }

    @Test
    void comparesRecipesOnOneSplitEmbeddingOnceTheDefaultFirst(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("examples.csv"), ExamplesCsv.format(TriageFixtures.slice(0, 5)));
        Path cache = dir.resolve("cache"); // empty: the first recipe embeds, the others must not
        TriageEval.Settings s = TriageEval.parse(new String[] {"--examples", csv.toString(), "--holdout", "0.2",
                "--seed", "42", "--folds", "3", "--clients", "2", "--recipes", "lr-minilm,knn-bge",
                "--cache-dir", cache.toString()});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<TriageEval.Row> rows = TriageEval.compare(s, new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);

        assertEquals(List.of(Recipe.DEFAULT.name(), "lr-minilm", "knn-bge"),
                rows.stream().map(r -> r.recipe().name()).toList(), printed);
        int train = 308;
        int dims = 384; // MiniLM's and BGE's
        assertEquals(2L * train, rows.get(0).examplesEmbedded(), "the default embeds with both encoders");
        assertEquals(0, rows.get(1).examplesEmbedded(), "MiniLM's embeddings come from the cache");
        assertEquals(0, rows.get(2).examplesEmbedded(), "BGE's embeddings come from the cache");
        for (TriageEval.Row row : rows) {
            TriageEval.Report r = row.report();
            String what = row.recipe().name() + ": " + r;
            assertEquals(train, r.trainSize(), what);
            assertEquals(77, r.testSize(), what);
            assertTrue(r.accuracy() > 0.4 && r.accuracy() <= 1, what);
            assertTrue(r.macroF1() > 0.3 && r.macroF1() <= 1, what);
            assertEquals(1.96 * Math.sqrt(r.accuracy() * (1 - r.accuracy()) / 77), row.accuracyMargin(), 1e-12, what);
            assertTrue(r.crossValidatedAccuracy() > 0.3 && r.crossValidatedAccuracy() <= 1, what);
            assertTrue(r.threshold() > 0 && r.threshold() <= 1, what);
            assertTrue(row.coverage() >= 0 && row.coverage() <= 1, what);
            assertTrue(row.coverage() == 0 ? Double.isNaN(r.acceptedPrecision())
                    : r.acceptedPrecision() >= 0 && r.acceptedPrecision() <= 1, what);
            assertTrue(r.trainSeconds() > 0 && r.trainSeconds() < 60, what);
            assertTrue(r.ticketsPerSecond() > 0, what);
            assertTrue(row.memoryBytes() > (long) train * dims * 4, "the embeddings kept and more: " + what);
            assertTrue(printed.contains("| " + (row.recipe().equals(Recipe.DEFAULT)
                    ? "**" + Recipe.DEFAULT.name() + "** (default)" : row.recipe().name()) + " | "), printed);
        }
        assertTrue(rows.get(0).memoryBytes() > 2L * train * dims * 4, "the default keeps both encoders' embeddings");
        assertTrue(rows.get(1).memoryBytes() > rows.get(2).memoryBytes() + 77L * dims * 4,
                "a regression keeps its weights besides the embeddings");
        assertTrue(printed.indexOf(Recipe.DEFAULT.name() + "** (default) |") < printed.indexOf("| lr-minilm |")
                && printed.indexOf("| lr-minilm |") < printed.indexOf("| knn-bge |"), printed);
        assertTrue(printed.contains("| recipe | test accuracy (95%) | macro-F1 | auto-routed at ≥ 0.98 precision (threshold)"
                + " | precision reached | CV accuracy | train s | memory MB | tickets/s | one ticket p50 ms | answered at first look |"), printed);

        // the embeddings stay in the cache, once per encoder; the scratch folders and their models are gone
        try (Stream<Path> top = Files.list(cache)) {
            assertEquals(List.of("triage"), top.map(p -> p.getFileName().toString()).toList());
        }
        try (Stream<Path> entries = Files.list(cache.resolve("triage"))) {
            List<String> names = entries.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.stream().allMatch(n -> n.startsWith("embeddings-")), names.toString());
        }
    }
}
