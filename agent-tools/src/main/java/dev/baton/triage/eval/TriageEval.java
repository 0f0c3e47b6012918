package dev.baton.triage.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.baton.triage.Classification;
import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.Encoder;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.Recipe;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketClassifier;
import dev.baton.triage.TicketClassifiers;
import dev.baton.triage.TicketText;

/**
 * The {@code triage-eval} command: scores the embedding classifier on a labelled CSV before a team
 * switches auto-routing on. Trains on the examples (or on all but a fixed-seed share of each
 * category), classifies the test tickets from several threads at once, and prints category
 * accuracy and macro-F1, queue accuracy, the share sent to review and the precision of the rest
 * at the threshold, the worst confused pairs, tickets per second and latency percentiles. With
 * {@code --compare} or {@code --recipes} it scores several {@link Recipe recipes} on the same split
 * and prints one table, the default recipe first (see {@link #compare}).
 */
public final class TriageEval {

    /**
     * What to evaluate.
     *
     * @param examples  the labelled examples file
     * @param test      a separate test file, or null to hold out {@code holdout} of each category
     * @param holdout   the share of each category held out when there is no test file
     * @param seed      the holdout's random seed
     * @param routing   a routing file (queues[].categories), or null for no queue accuracy
     * @param threshold the review threshold, or null for auto (cross-validated on the training part)
     * @param target    the precision the auto threshold aims at
     * @param options   the classifier's settings
     * @param clients   concurrent callers for the throughput pass
     * @param cacheDir  the embedding cache, null for the default
     * @param compare   the recipes to compare, {@link Recipe#DEFAULT} first; null to score {@code options.recipe()} alone
     */
    public record Settings(Path examples, Path test, double holdout, long seed, Path routing, Double threshold,
                           double target, EmbeddingClassifier.Options options, int clients, Path cacheDir,
                           List<Recipe> compare) {
    }

    /** A pair of categories the classifier confused: how often {@code actual} was called {@code predicted}. */
    public record Confusion(String actual, String predicted, int count) {
    }

    /** The scores. Queue accuracy is NaN without a routing file. */
    public record Report(int trainSize, int testSize, String method, double trainSeconds, double accuracy,
                         double macroF1, double queueAccuracy, double threshold, double reviewedShare,
                         double acceptedPrecision, List<Confusion> worstPairs, double ticketsPerSecond,
                         double p50Millis, double p99Millis, double sequentialP50Millis,
                         double sequentialP99Millis, double crossValidatedAccuracy, double firstLookShare) {
    }

    /**
     * One recipe's line in the comparison.
     *
     * @param recipe             the recipe
     * @param report             its scores on the test part; {@code trainSeconds} is cross-validation and the final
     *                           fit, embedding and reading the cache left out
     * @param memoryBytes        the trained state's approximate size: the example embeddings it keeps and the model
     *                           as cached (weights, standardisation, out-of-fold calibration)
     * @param examplesEmbedded   example embeddings this recipe computed (0 when the cache had them all)
     */
    public record Row(Recipe recipe, Report report, long memoryBytes, long examplesEmbedded) {

        /** The share of the test tickets routed without review. */
        public double coverage() {
            return 1 - report.reviewedShare();
        }

        /** Half the width of the test accuracy's 95% interval, {@code 1.96 sqrt(p (1 - p) / n)}. */
        public double accuracyMargin() {
            double p = report.accuracy();
            return 1.96 * Math.sqrt(p * (1 - p) / report.testSize());
        }
    }

    /** The training and test parts, and how they were made. */
    private record Split(List<LabelledExample> train, List<LabelledExample> test, String description) {
    }

    /**
     * The example embeddings' cache entries ({@code EmbeddingClassifier} names them so): the comparison shares
     * them between recipes. Were they renamed, each recipe would embed again, which the test notices.
     */
    private static final String EMBEDDINGS_GLOB = "embeddings-*.bin";

    private TriageEval() {
    }

    /** Splits each category's examples with a fixed seed: {@code [train, test]}, test about {@code share} of each. */
    public static List<List<LabelledExample>> holdout(List<LabelledExample> examples, double share, long seed) {
        Map<String, List<LabelledExample>> byCategory = new LinkedHashMap<>();
        for (LabelledExample e : examples) byCategory.computeIfAbsent(e.category(), c -> new ArrayList<>()).add(e);
        Random rnd = new Random(seed);
        List<LabelledExample> train = new ArrayList<>();
        List<LabelledExample> test = new ArrayList<>();
        for (List<LabelledExample> list : byCategory.values()) {
            List<LabelledExample> shuffled = new ArrayList<>(list);
            java.util.Collections.shuffle(shuffled, rnd);
            int held = (int) Math.round(share * shuffled.size());
            if (held >= shuffled.size()) held = shuffled.size() - 1; // keep one to learn from
            test.addAll(shuffled.subList(0, held));
            train.addAll(shuffled.subList(held, shuffled.size()));
        }
        return List.of(train, test);
    }

    /** Category to queue, from a routing table file (checked as the server checks it at start). */
    public static Map<String, String> queues(Path routing) {
        Map<String, String> out = new HashMap<>();
        for (RoutingTable.Queue queue : RoutingTable.load(routing).queues()) {
            queue.categories().keySet().forEach(category -> out.put(category, queue.name()));
        }
        return out;
    }

    private static Split split(Settings s) throws IOException {
        List<LabelledExample> all = ExamplesCsv.read(s.examples());
        if (s.test() != null) return new Split(all, ExamplesCsv.read(s.test()), s.test().toString());
        List<List<LabelledExample>> split = holdout(all, s.holdout(), s.seed());
        return new Split(split.get(0), split.get(1),
                String.format(Locale.ROOT, "%.0f%% of each category held out, seed %d", s.holdout() * 100, s.seed()));
    }

    /** Runs the evaluation and prints it. */
    public static Report run(Settings s, PrintStream out) throws Exception {
        Split split = split(s);
        List<LabelledExample> train = split.train();
        List<LabelledExample> test = split.test();
        Map<String, String> queueOf = s.routing() == null ? null : queues(s.routing());
        out.printf(Locale.ROOT, "training on %d examples, testing on %d (%s)%n", train.size(), test.size(), split.description());
        long t0 = System.nanoTime();
        try (EmbeddingClassifier classifier = TicketClassifiers.embedded(train, s.cacheDir(), s.options())) {
            classifier.ready().get();
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "recipe %s, ready in %.1f s (computed %d example embeddings, the rest from the cache)%n",
                    classifier.recipe().name(), trainSeconds, classifier.examplesEmbedded());
            double threshold = s.threshold() != null ? s.threshold() : classifier.suggestedThreshold(s.target());
            return evaluate(classifier, train.size(), test, queueOf, threshold, s.clients(), trainSeconds,
                    classifier.crossValidatedAccuracy(), classifier.recipe().name(), out);
        }
    }

    /**
     * Scores each of {@code s.compare()} on the same split and prints one table, the default first.
     * Each recipe trains in a scratch cache folder beside the cache: the example embeddings are
     * linked in from the cache (so they are computed once, by the first recipe that needs an
     * encoder, and moved back for the next), while the weights are always fitted, so the train time
     * is measured even when an earlier run cached that model. The scratch folder is deleted after.
     */
    public static List<Row> compare(Settings s, PrintStream out) throws Exception {
        Split split = split(s);
        Map<String, String> queueOf = s.routing() == null ? null : queues(s.routing());
        out.printf(Locale.ROOT, "training on %d examples, testing on %d (%s); comparing %d recipes, %d-fold cross-validation%n",
                split.train().size(), split.test().size(), split.description(), s.compare().size(), s.options().folds());
        Path root = s.cacheDir() != null ? s.cacheDir() : TicketClassifiers.defaultCacheDir();
        Path shared = root.resolve("triage"); // where TicketClassifiers keeps the classifier's cache
        Files.createDirectories(shared);
        Map<String, Encoder> encoders = new LinkedHashMap<>();
        for (Encoder e : TicketClassifiers.encoders()) encoders.put(e.name(), e);
        // the rows are printed as they come: a long comparison shows its first figures early
        printTableHead(s, queueOf != null, out);
        List<Row> rows = new ArrayList<>();
        for (Recipe recipe : s.compare()) {
            Row row = compareOne(recipe, s, split, queueOf, root, shared, encoders);
            rows.add(row);
            printTableRow(row, queueOf != null, out);
        }
        printTableNotes(rows, s, out);
        return rows;
    }

    private static Row compareOne(Recipe recipe, Settings s, Split split, Map<String, String> queueOf, Path root,
                                  Path shared, Map<String, Encoder> encoders) throws Exception {
        Path scratch = Files.createTempDirectory(root, "triage-compare-");
        try {
            linkEmbeddings(shared, scratch);
            List<LabelledExample> train = split.train();
            Report report;
            long embedded;
            try (EmbeddingClassifier classifier = new EmbeddingClassifier(train, EmbeddingClassifier.keyOf(train),
                    List.copyOf(encoders.values()), scratch, s.options().withRecipe(recipe))) {
                double trainSeconds = awaitTraining(classifier);
                double threshold = s.threshold() != null ? s.threshold() : classifier.suggestedThreshold(s.target());
                report = measure(classifier, train.size(), split.test(), queueOf, threshold, s.clients(), trainSeconds,
                        classifier.crossValidatedAccuracy(), recipe.name());
                embedded = classifier.examplesEmbedded();
            }
            long dims = 0;
            for (String e : recipe.encoders()) dims += encoders.get(e).model().dimension();
            long modelBytes = 0;
            PathMatcher isEmbeddings = scratch.getFileSystem().getPathMatcher("glob:" + EMBEDDINGS_GLOB);
            try (Stream<Path> files = Files.list(scratch)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (!isEmbeddings.matches(f.getFileName()) && Files.isRegularFile(f)) modelBytes += Files.size(f);
                }
            }
            keepNewEmbeddings(scratch, shared);
            return new Row(recipe, report, train.size() * dims * Float.BYTES + modelBytes, embedded);
        } finally {
            deleteTree(scratch);
        }
    }

    /**
     * Waits for the classifier's first model and returns the seconds it spent training: from the last
     * moment it was seen loading or embedding until it is ready, so embedding and reading the cache
     * are left out (to within the 10 ms it is looked at).
     */
    private static double awaitTraining(EmbeddingClassifier classifier) throws Exception {
        var ready = classifier.ready();
        long trainingFrom = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            EmbeddingClassifier.Progress.Phase phase = classifier.progress().phase();
            if (phase == EmbeddingClassifier.Progress.Phase.LOADING || phase == EmbeddingClassifier.Progress.Phase.EMBEDDING) {
                trainingFrom = now;
            }
            try {
                ready.get(10, TimeUnit.MILLISECONDS);
                return (System.nanoTime() - trainingFrom) / 1e9;
            } catch (TimeoutException stillTraining) {
                // look at the phase again
            }
        }
    }

    /** Hard-links (or copies, across file systems) the cached example embeddings into the scratch folder. */
    private static void linkEmbeddings(Path shared, Path scratch) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(shared, EMBEDDINGS_GLOB)) {
            for (Path entry : entries) {
                Path link = scratch.resolve(entry.getFileName());
                try {
                    Files.createLink(link, entry);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(entry, link);
                }
            }
        }
    }

    /** Moves the embeddings a recipe computed into the cache, for the recipes after it and later runs. */
    private static void keepNewEmbeddings(Path scratch, Path shared) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(scratch, EMBEDDINGS_GLOB)) {
            for (Path entry : entries) {
                Path target = shared.resolve(entry.getFileName());
                if (!Files.exists(target)) Files.move(entry, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static void printTableHead(Settings s, boolean queues, PrintStream out) {
        String routed = s.threshold() != null
                ? String.format(Locale.ROOT, "auto-routed at threshold %.2f", s.threshold())
                : String.format(Locale.ROOT, "auto-routed at ≥ %.2f precision (threshold)", s.target());
        out.println();
        out.println("| recipe | test accuracy (95%) | macro-F1 |" + (queues ? " queue accuracy |" : "") + " " + routed
                + " | precision reached | CV accuracy | train s | memory MB | tickets/s | one ticket p50 ms | answered at first look |");
        out.println("|---|---|---|" + (queues ? "---|" : "") + "---|---|---|---|---|---|---|---|");
    }

    private static void printTableRow(Row row, boolean queues, PrintStream out) {
        Function<Double, String> num = v -> Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
        Report r = row.report();
        String name = row.recipe().equals(Recipe.DEFAULT) ? "**" + row.recipe().name() + "** (default)" : row.recipe().name();
        out.printf(Locale.ROOT, "| %s | %.4f ± %.4f | %.4f |%s %.1f%% (%.3f) | %s | %s | %.1f | %.1f | %.1f | %.1f | %s |%n",
                name, r.accuracy(), row.accuracyMargin(), r.macroF1(),
                queues ? " " + num.apply(r.queueAccuracy()) + " |" : "",
                row.coverage() * 100, r.threshold(), num.apply(r.acceptedPrecision()), num.apply(r.crossValidatedAccuracy()),
                r.trainSeconds(), row.memoryBytes() / 1e6, r.ticketsPerSecond(), r.sequentialP50Millis(),
                Double.isNaN(r.firstLookShare()) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", r.firstLookShare() * 100));
    }

    private static void printTableNotes(List<Row> rows, Settings s, PrintStream out) {
        int n = rows.isEmpty() ? 0 : rows.get(0).report().testSize();
        out.println();
        out.printf(Locale.ROOT, "test accuracy: on the %d test tickets, ± half its 95%% interval, 1.96 sqrt(p (1 - p) / n)%n", n);
        if (s.threshold() == null) {
            out.printf(Locale.ROOT, "auto-routed: the test tickets at or above the threshold suggestedThreshold(%.2f) chosen%n", s.target());
            out.println("  from the training part's out-of-fold predictions (that precision with one standard error to spare);");
            out.println("  precision reached: theirs on the test part");
        } else {
            out.println("auto-routed: the test tickets at or above the threshold; precision reached: theirs on the test part");
        }
        out.printf(Locale.ROOT, "CV accuracy: %d-fold cross-validation on the training part; train s: those folds and the final fit%n",
                s.options().folds());
        out.println("  (embeddings read from the cache, not counted); memory: the example embeddings kept (4 bytes a");
        out.println("  dimension) and the model as cached (weights, standardisation, calibration; a TF-IDF vocabulary not counted)");
        out.printf(Locale.ROOT, "tickets/s: classify alone over the test part, %d callers at once; one ticket p50: one caller alone%n",
                s.clients());
        out.println("answered at first look: the tickets the recipe's first look answered by one encoder alone (n/a: no first look)");
        out.println("example embeddings computed (the rest read from the cache): " + String.join(", ",
                rows.stream().map(r -> r.recipe().name() + " " + r.examplesEmbedded()).toList()));
    }

    /** Scores a classifier on labelled tickets and prints the report. */
    public static Report evaluate(TicketClassifier classifier, int trainSize, List<LabelledExample> test,
                                  Map<String, String> queueOf, double threshold, int clients, double trainSeconds,
                                  double cvAccuracy, String method, PrintStream out) throws Exception {
        Report r = measure(classifier, trainSize, test, queueOf, threshold, clients, trainSeconds, cvAccuracy, method);
        print(r, clients, out);
        return r;
    }

    /** Scores a classifier on labelled tickets: every test ticket from {@code clients} callers at once, and a sample from one caller. */
    private static Report measure(TicketClassifier classifier, int trainSize, List<LabelledExample> test,
                                  Map<String, String> queueOf, double threshold, int clients, double trainSeconds,
                                  double cvAccuracy, String method) throws Exception {
        // single caller first: the latency of one ticket arriving alone (a sample is enough)
        int sample = Math.min(200, test.size());
        long[] seqNanos = new long[sample];
        for (int i = 0; i < sample; i++) {
            long a = System.nanoTime();
            classifier.classify(new TicketText("", test.get(i).text()));
            seqNanos[i] = System.nanoTime() - a;
        }
        // then every test ticket, from many callers at once (tickets arriving together)
        Classification[] results = new Classification[test.size()];
        long[] nanos = new long[test.size()];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, clients));
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < Math.max(1, clients); c++) {
            futures.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < test.size()) {
                    long a = System.nanoTime();
                    results[i] = classifier.classify(new TicketText("", test.get(i).text()));
                    nanos[i] = System.nanoTime() - a;
                }
                return null;
            }));
        }
        for (Future<?> f : futures) f.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();

        int right = 0;
        int queueRight = 0;
        int accepted = 0;
        int acceptedRight = 0;
        Map<String, int[]> counts = new HashMap<>(); // category -> {tp, fp, fn}
        Map<String, Integer> confused = new HashMap<>();
        TreeSet<String> cats = new TreeSet<>();
        for (int i = 0; i < test.size(); i++) {
            String actual = test.get(i).category();
            String predicted = results[i].category();
            cats.add(actual);
            boolean ok = actual.equals(predicted);
            if (ok) {
                right++;
                counts.computeIfAbsent(actual, k -> new int[3])[0]++;
            } else {
                counts.computeIfAbsent(predicted, k -> new int[3])[1]++;
                counts.computeIfAbsent(actual, k -> new int[3])[2]++;
                confused.merge(actual + "\u0000" + predicted, 1, Integer::sum);
            }
            if (queueOf != null && queueOf.get(actual) != null && queueOf.get(actual).equals(queueOf.get(predicted))) {
                queueRight++;
            }
            if (results[i].confidence() >= threshold) {
                accepted++;
                if (ok) acceptedRight++;
            }
        }
        double f1Sum = 0;
        for (String c : cats) {
            int[] k = counts.getOrDefault(c, new int[3]);
            double p = k[0] + k[1] == 0 ? 0 : (double) k[0] / (k[0] + k[1]);
            double r = k[0] + k[2] == 0 ? 0 : (double) k[0] / (k[0] + k[2]);
            f1Sum += p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
        List<Confusion> worst = confused.entrySet().stream()
                .map(e -> {
                    String[] parts = e.getKey().split("\u0000");
                    return new Confusion(parts[0], parts[1], e.getValue());
                })
                .sorted(Comparator.comparingInt(Confusion::count).reversed()
                        .thenComparing(Confusion::actual).thenComparing(Confusion::predicted))
                .limit(10).toList();
        int n = test.size();
        return new Report(trainSize, n, method, trainSeconds, (double) right / n, f1Sum / cats.size(),
                queueOf == null ? Double.NaN : (double) queueRight / n, threshold, 1 - (double) accepted / n,
                accepted == 0 ? Double.NaN : (double) acceptedRight / accepted, worst, n / seconds,
                percentile(nanos, 0.50), percentile(nanos, 0.99), percentile(seqNanos, 0.50),
                percentile(seqNanos, 0.99), cvAccuracy,
                classifier instanceof EmbeddingClassifier e && e.recipe().firstLook() != null ? e.firstLookShare() : Double.NaN);
    }

    private static double percentile(long[] nanos, double q) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int idx = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
    }

    private static void print(Report r, int clients, PrintStream out) {
        Function<Double, String> pct = v -> Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
        out.println();
        out.printf(Locale.ROOT, "category accuracy      %s   (cross-validated on the training part: %s)%n",
                pct.apply(r.accuracy()), pct.apply(r.crossValidatedAccuracy()));
        out.printf(Locale.ROOT, "category macro-F1      %s%n", pct.apply(r.macroF1()));
        out.printf(Locale.ROOT, "queue accuracy         %s%n", pct.apply(r.queueAccuracy()));
        out.printf(Locale.ROOT, "review threshold       %.4f%n", r.threshold());
        out.printf(Locale.ROOT, "sent to review         %.1f%%%n", r.reviewedShare() * 100);
        out.printf(Locale.ROOT, "precision of the rest  %s%n", pct.apply(r.acceptedPrecision()));
        if (!Double.isNaN(r.firstLookShare())) {
            out.printf(Locale.ROOT, "answered at first look %.1f%% (by one encoder alone)%n", r.firstLookShare() * 100);
        }
        out.printf(Locale.ROOT, "throughput             %.1f tickets/s (%d callers at once)%n", r.ticketsPerSecond(), clients);
        out.printf(Locale.ROOT, "latency, %d callers     p50 %.1f ms, p99 %.1f ms%n", clients, r.p50Millis(), r.p99Millis());
        out.printf(Locale.ROOT, "latency, one caller    p50 %.1f ms, p99 %.1f ms%n", r.sequentialP50Millis(), r.sequentialP99Millis());
        out.println("worst confused pairs (actual -> predicted: count)");
        for (Confusion c : r.worstPairs()) out.printf(Locale.ROOT, "  %-36s -> %-36s %d%n", c.actual(), c.predicted(), c.count());
    }

    /** Parses the command line (after {@code triage-eval}); throws IllegalArgumentException with the usage on error. */
    public static Settings parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw usage("unexpected argument " + a);
            if (a.equals("--compare")) { // the one flag without a value
                opts.put("compare", "");
                continue;
            }
            if (i + 1 >= args.length) throw usage(a + " needs a value");
            opts.put(a.substring(2), args[++i]);
        }
        List<String> known = List.of("examples", "test", "holdout", "seed", "routing", "threshold", "target",
                "recipe", "recipes", "compare", "clients", "cache-dir", "folds", "epochs", "learning-rate", "l2",
                "tfidf-weight");
        for (String k : opts.keySet()) if (!known.contains(k)) throw usage("unknown option --" + k);
        if (!opts.containsKey("examples")) throw usage("--examples is required");
        if (opts.containsKey("test") && opts.containsKey("holdout")) throw usage("give --test or --holdout, not both");
        if (opts.containsKey("recipe") && (opts.containsKey("compare") || opts.containsKey("recipes"))) {
            throw usage("give --recipe (one recipe) or --compare/--recipes (several), not both");
        }
        try {
            List<Recipe> compare = null;
            if (opts.containsKey("recipes")) {
                compare = recipes(opts.get("recipes"));
            } else if (opts.containsKey("compare")) {
                compare = Recipe.presets();
            }
            EmbeddingClassifier.Options o = EmbeddingClassifier.Options.defaults()
                    .withReadyTimeout(Duration.ofHours(1));
            if (opts.containsKey("recipe")) o = o.withRecipe(Recipe.named(opts.get("recipe")));
            if (opts.containsKey("folds")) o = o.withFolds(Integer.parseInt(opts.get("folds")));
            o = o.withTraining(
                    Integer.parseInt(opts.getOrDefault("epochs", String.valueOf(o.epochs()))),
                    Double.parseDouble(opts.getOrDefault("learning-rate", String.valueOf(o.learningRate()))),
                    Double.parseDouble(opts.getOrDefault("l2", String.valueOf(o.l2()))),
                    Double.parseDouble(opts.getOrDefault("tfidf-weight", String.valueOf(o.sparseWeight()))));
            String th = opts.getOrDefault("threshold", "auto");
            Double threshold = th.equals("auto") ? null : Double.valueOf(th);
            if (threshold != null && (threshold < 0 || threshold > 1)) throw usage("--threshold must be auto or 0..1");
            double holdout = Double.parseDouble(opts.getOrDefault("holdout", "0.2"));
            if (holdout <= 0 || holdout >= 1) throw usage("--holdout must be between 0 and 1");
            Path examples = Path.of(opts.get("examples"));
            Path test = opts.containsKey("test") ? Path.of(opts.get("test")) : null;
            Path routing = opts.containsKey("routing") ? Path.of(opts.get("routing")) : null;
            for (Path p : new Path[] {examples, test, routing}) {
                if (p != null && !Files.isReadable(p)) throw usage("cannot read " + p);
            }
            return new Settings(examples, test, holdout, Long.parseLong(opts.getOrDefault("seed", "42")), routing,
                    threshold, Double.parseDouble(opts.getOrDefault("target", "0.98")), o,
                    Integer.parseInt(opts.getOrDefault("clients", "8")),
                    opts.containsKey("cache-dir") ? Path.of(opts.get("cache-dir")) : null, compare);
        } catch (NumberFormatException e) {
            throw usage("not a number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("triage-eval:")) throw e;
            throw usage(e.getMessage());
        }
    }

    /** {@code --recipes a,b,c}: the default first, then these, each once. */
    private static List<Recipe> recipes(String list) {
        LinkedHashSet<Recipe> out = new LinkedHashSet<>();
        out.add(Recipe.DEFAULT);
        for (String name : list.split(",", -1)) {
            if (name.isBlank()) throw usage("--recipes needs recipe names separated by commas: " + list);
            out.add(Recipe.named(name));
        }
        return List.copyOf(out);
    }

    private static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException("triage-eval: " + problem + "\n" + USAGE);
    }

    /** The command's usage text. */
    public static final String USAGE = """
            usage: java -jar baton.jar triage-eval --examples FILE [--test FILE | --holdout 0.2 --seed 42]
                   [--routing routing.json] [--threshold auto|0.NN] [--target 0.98]
                   [--recipe default|NAME | --compare | --recipes NAME,NAME,...] [--folds 5]
                   [--clients 8] [--cache-dir DIR]
              --examples   labelled tickets, CSV with the header text,category
              --test       score on this file; otherwise hold out --holdout of each category (seed --seed)
              --routing    a routing table, to score queues as well as categories
              --threshold  tickets below it go to review; auto = the lowest threshold whose accepted
                           tickets reach --target precision in cross-validation on the training part,
                           with one standard error to spare
              --recipe     the classifier recipe to score (default: %s)
              --compare    score every recipe on the same split and print one table, the default first
              --recipes    compare the default with these recipes only
              --folds      cross-validation folds on the training part (calibration, threshold, CV accuracy)
              --clients    concurrent callers for the throughput pass
              --cache-dir  embedding cache (default ~/.cache/baton): embeddings are computed once
              --epochs, --learning-rate, --l2, --tfidf-weight  Adam's settings (the adam-* recipe only;
                           the L-BFGS recipes use LogisticRegression's defaults)
              recipes: %s""".formatted(Recipe.DEFAULT.name(),
            String.join(", ", Recipe.presets().stream().map(Recipe::name).toList()));

    /** Runs the command from a plain {@code java} command line. */
    public static void main(String[] args) {
        System.exit(main(args, System.out, System.err));
    }

    /** Entry point for {@code triage-eval}; returns the process exit code. */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        Settings s;
        try {
            s = parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        try {
            if (s.compare() != null) {
                compare(s, out);
            } else {
                run(s, out);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("triage-eval: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("triage-eval: failed: " + e);
            return 1;
        }
    }
}
