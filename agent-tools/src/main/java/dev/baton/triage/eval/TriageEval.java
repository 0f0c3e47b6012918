package dev.baton.triage.eval;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;


import dev.baton.triage.Classification;
import dev.baton.triage.EmbeddingClassifier;
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
 * at the threshold, the worst confused pairs, tickets per second and latency percentiles.
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
     */
    public record Settings(Path examples, Path test, double holdout, long seed, Path routing, Double threshold,
                           double target, EmbeddingClassifier.Options options, int clients, Path cacheDir) {
    }

    /** A pair of categories the classifier confused: how often {@code actual} was called {@code predicted}. */
    public record Confusion(String actual, String predicted, int count) {
    }

    /** The scores. Queue accuracy is NaN without a routing file. */
    public record Report(int trainSize, int testSize, String method, double trainSeconds, double accuracy,
                         double macroF1, double queueAccuracy, double threshold, double reviewedShare,
                         double acceptedPrecision, List<Confusion> worstPairs, double ticketsPerSecond,
                         double p50Millis, double p99Millis, double sequentialP50Millis,
                         double sequentialP99Millis, double crossValidatedAccuracy) {
    }

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

    /** Runs the evaluation and prints it. */
    public static Report run(Settings s, PrintStream out) throws Exception {
        List<LabelledExample> all = ExamplesCsv.read(s.examples());
        List<LabelledExample> train;
        List<LabelledExample> test;
        if (s.test() != null) {
            train = all;
            test = ExamplesCsv.read(s.test());
        } else {
            List<List<LabelledExample>> split = holdout(all, s.holdout(), s.seed());
            train = split.get(0);
            test = split.get(1);
        }
        Map<String, String> queueOf = s.routing() == null ? null : queues(s.routing());
        out.printf(Locale.ROOT, "training on %d examples, testing on %d (%s)%n", train.size(), test.size(),
                s.test() != null ? s.test().toString()
                        : String.format(Locale.ROOT, "%.0f%% of each category held out, seed %d", s.holdout() * 100, s.seed()));
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

    /** Scores a classifier on labelled tickets and prints the report. */
    public static Report evaluate(TicketClassifier classifier, int trainSize, List<LabelledExample> test,
                                  Map<String, String> queueOf, double threshold, int clients, double trainSeconds,
                                  double cvAccuracy, String method, PrintStream out) throws Exception {
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
        Report r = new Report(trainSize, n, method, trainSeconds, (double) right / n, f1Sum / cats.size(),
                queueOf == null ? Double.NaN : (double) queueRight / n, threshold, 1 - (double) accepted / n,
                accepted == 0 ? Double.NaN : (double) acceptedRight / accepted, worst, n / seconds,
                percentile(nanos, 0.50), percentile(nanos, 0.99), percentile(seqNanos, 0.50),
                percentile(seqNanos, 0.99), cvAccuracy);
        print(r, clients, out);
        return r;
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
            if (i + 1 >= args.length) throw usage(a + " needs a value");
            opts.put(a.substring(2), args[++i]);
        }
        List<String> known = List.of("examples", "test", "holdout", "seed", "routing", "threshold", "target",
                "recipe", "clients", "cache-dir", "folds", "epochs", "learning-rate", "l2", "tfidf-weight");
        for (String k : opts.keySet()) if (!known.contains(k)) throw usage("unknown option --" + k);
        if (!opts.containsKey("examples")) throw usage("--examples is required");
        if (opts.containsKey("test") && opts.containsKey("holdout")) throw usage("give --test or --holdout, not both");
        try {
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
                    opts.containsKey("cache-dir") ? Path.of(opts.get("cache-dir")) : null);
        } catch (NumberFormatException e) {
            throw usage("not a number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("triage-eval:")) throw e;
            throw usage(e.getMessage());
        }
    }

    private static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException("triage-eval: " + problem + "\n" + USAGE);
    }

    /** The command's usage text. */
    public static final String USAGE = """
            usage: java -jar baton.jar triage-eval --examples FILE [--test FILE | --holdout 0.2 --seed 42]
                   [--routing routing.json] [--threshold auto|0.NN] [--target 0.98]
                   [--recipe default|NAME] [--clients 8] [--cache-dir DIR]
              --examples   labelled tickets, CSV with the header text,category
              --test       score on this file; otherwise hold out --holdout of each category (seed --seed)
              --routing    a routing table, to score queues as well as categories
              --threshold  tickets below it go to review; auto = the lowest threshold whose accepted
                           tickets reach --target precision in cross-validation on the training part""";

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
            run(s, out);
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
