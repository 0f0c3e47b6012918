package dev.baton.triage.eval;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.baton.triage.Classification;
import dev.baton.triage.EmbeddingClassifier;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.Prediction;
import dev.baton.triage.TicketClassifiers;
import dev.baton.triage.TicketText;

/**
 * Does a classifier trained on one-line examples keep its accuracy on long, email-shaped tickets?
 * Holds out a fixed-seed share of each category, trains on the rest, and scores the held-out
 * examples as one-liners and as {@link LongTickets}, classified as they come
 * ({@code classifier.apply(ticket)}, whatever the classifier does with a long ticket), with
 * accuracy by where the request is and by what the quoted message is.
 *
 * <pre>
 * mvn -o -q -pl agent-tools compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp agent-tools/target/classes:$(cat /tmp/cp.txt) dev.baton.triage.eval.LongTicketEval \
 *     --examples agent-tools/src/main/resources/dev/baton/triage/banking77/train.csv --cache-dir /tmp/long-cache
 * </pre>
 *
 * Options: {@code --seed} (the long tickets', 42), {@code --limit N} (every k-th held-out example, N of them),
 * {@code --threads} (callers, 4), {@code --test FILE} (train on all of {@code --examples} and make the long tickets of
 * FILE's requests, e.g. BANKING77's official test split), {@code --timing true} (embedding times only).
 *
 * {@link #run} takes any classifier as a function, so the same figures can be taken of another one.
 */
public final class LongTicketEval {

    /** One row of the table: a way of classifying, its accuracy overall and by position and quote. */
    public record Row(String name, int tickets, double accuracy, double millisPerTicket,
                      Map<LongTickets.Position, Double> byPosition, Map<LongTickets.Quote, Double> byQuote) {
    }

    /** A way of classifying a long ticket with the classifier under test. */
    public record Variant(String name, Function<LongTickets.LongTicket, Classification> classify) {
    }

    private LongTicketEval() {
    }

    /**
     * The standard rows: one-liners and long tickets as they come.
     *
     * @param classifier the classifier under test, trained on examples other than {@code test}
     * @param test       held-out examples
     * @param seed       the long tickets' seed
     * @param threads    concurrent callers
     */
    public static List<Row> run(Function<TicketText, Classification> classifier, List<LabelledExample> test, long seed,
                                int threads, PrintStream out) throws Exception {
        return run(standardVariants(classifier), test, seed, threads, out);
    }

    /** The rows for these variants, printed as a table. */
    public static List<Row> run(List<Variant> variants, List<LabelledExample> test, long seed, int threads,
                                PrintStream out) throws Exception {
        List<LongTickets.LongTicket> tickets = LongTickets.of(test, seed);
        double meanChars = tickets.stream().mapToInt(t -> t.ticket().joined().length()).average().orElse(0);
        double meanClean = tickets.stream().mapToInt(t -> t.ticket().classifierText().length()).average().orElse(0);
        out.printf(Locale.ROOT, "%d long tickets, seed %d: %.0f characters on average (%d to %d), %.0f once cleaned%n",
                tickets.size(), seed, meanChars,
                tickets.stream().mapToInt(t -> t.ticket().joined().length()).min().orElse(0),
                tickets.stream().mapToInt(t -> t.ticket().joined().length()).max().orElse(0), meanClean);
        out.printf(Locale.ROOT, "| %-58s | accuracy | ±95%% | start | middle | end | no quote | support | same cat. | other cat. | ms/ticket |%n", "classified from");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        List<Row> rows = new ArrayList<>();
        for (Variant v : variants) {
            Row r = score(v, tickets, threads);
            rows.add(r);
            double ci = 1.96 * Math.sqrt(r.accuracy() * (1 - r.accuracy()) / r.tickets());
            out.printf(Locale.ROOT, "| %-58s | %.4f | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f |%n",
                    r.name(), r.accuracy(), ci,
                    r.byPosition().get(LongTickets.Position.START), r.byPosition().get(LongTickets.Position.MIDDLE),
                    r.byPosition().get(LongTickets.Position.END), r.byQuote().get(LongTickets.Quote.NONE),
                    r.byQuote().get(LongTickets.Quote.SUPPORT_REPLY), r.byQuote().get(LongTickets.Quote.SAME_CATEGORY),
                    r.byQuote().get(LongTickets.Quote.OTHER_CATEGORY), r.millisPerTicket());
            out.flush();
        }
        return rows;
    }

    /** One-liners (the example's text as the body) and long tickets as they come. */
    public static List<Variant> standardVariants(Function<TicketText, Classification> classifier) {
        return List.of(
                new Variant("one-liners (the held-out examples as they are)",
                        t -> classifier.apply(new TicketText("", t.query()))),
                new Variant("long tickets as they come (the classifier's own reading)",
                        t -> classifier.apply(t.ticket())));
    }

    /** Classifies every ticket with {@code threads} callers and counts. */
    public static Row score(Variant variant, List<LongTickets.LongTicket> tickets, int threads) throws Exception {
        Classification[] results = new Classification[tickets.size()];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < Math.max(1, threads); c++) {
                futures.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < tickets.size()) results[i] = variant.classify().apply(tickets.get(i));
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
        double millis = (System.nanoTime() - start) / 1e6 * Math.max(1, threads) / tickets.size();
        int right = 0;
        Map<LongTickets.Position, int[]> pos = new EnumMap<>(LongTickets.Position.class);
        Map<LongTickets.Quote, int[]> quote = new EnumMap<>(LongTickets.Quote.class);
        for (int i = 0; i < tickets.size(); i++) {
            LongTickets.LongTicket t = tickets.get(i);
            boolean ok = t.category().equals(results[i].category());
            if (ok) right++;
            int[] p = pos.computeIfAbsent(t.position(), k -> new int[2]);
            int[] q = quote.computeIfAbsent(t.quote(), k -> new int[2]);
            p[1]++;
            q[1]++;
            if (ok) {
                p[0]++;
                q[0]++;
            }
        }
        Map<LongTickets.Position, Double> byPosition = new EnumMap<>(LongTickets.Position.class);
        for (LongTickets.Position p : LongTickets.Position.values()) byPosition.put(p, share(pos.get(p)));
        Map<LongTickets.Quote, Double> byQuote = new EnumMap<>(LongTickets.Quote.class);
        for (LongTickets.Quote q : LongTickets.Quote.values()) byQuote.put(q, share(quote.get(q)));
        return new Row(variant.name(), tickets.size(), (double) right / tickets.size(), millis, byPosition, byQuote);
    }

    private static double share(int[] k) {
        return k == null || k[1] == 0 ? Double.NaN : (double) k[0] / k[1];
    }

    /**
     * Classifies each text and keeps the answer a combination of them favours: the most confident
     * one, or the category with the highest summed probability (each answer's top four).
     */
    public static Classification combine(List<Classification> answers, boolean mostConfident) {
        if (mostConfident) {
            Classification best = answers.get(0);
            for (Classification c : answers) if (c.confidence() > best.confidence()) best = c;
            return best;
        }
        Map<String, Double> sum = new LinkedHashMap<>();
        for (Classification c : answers) {
            sum.merge(c.category(), c.confidence(), Double::sum);
            for (Prediction p : c.alternatives()) sum.merge(p.category(), p.confidence(), Double::sum);
        }
        var top = sum.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        return new Classification(top.getKey(), top.getValue() / answers.size(), List.of(), "classifier", null);
    }

    /**
     * How long one ticket takes to embed with each encoder (median of single {@code embed} calls):
     * a one-liner, a long ticket as it comes, and its cleaned text.
     */
    public static void embeddingTimes(List<LongTickets.LongTicket> tickets, PrintStream out) {
        // the longest tickets, whose cost matters
        List<LongTickets.LongTicket> longest = tickets.stream()
                .sorted(java.util.Comparator.comparingInt((LongTickets.LongTicket t) -> -t.ticket().joined().length()))
                .limit(30).toList();
        Map<String, Function<LongTickets.LongTicket, String>> texts = new LinkedHashMap<>();
        texts.put("one-liner (the request alone)", LongTickets.LongTicket::query);
        texts.put("long ticket, joined()", t -> t.ticket().joined());
        texts.put("long ticket, classifierText()", t -> t.ticket().classifierText());
        out.printf(Locale.ROOT, "the %d longest tickets: %.0f characters on average, %.0f once cleaned%n", longest.size(),
                longest.stream().mapToInt(t -> t.ticket().joined().length()).average().orElse(0),
                longest.stream().mapToInt(t -> t.ticket().classifierText().length()).average().orElse(0));
        out.println("| text | MiniLM ms (median) | BGE ms (median) |");
        out.println("|---|---|---|");
        Map<String, dev.langchain4j.model.embedding.EmbeddingModel> models = new LinkedHashMap<>();
        models.put("MiniLM", dev.baton.embedding.Embeddings.minilm());
        models.put("BGE", dev.baton.embedding.Embeddings.bge());
        Map<String, Function<LongTickets.LongTicket, List<String>>> rows = new LinkedHashMap<>();
        texts.forEach((k, f) -> rows.put(k, t -> List.of(f.apply(t))));
        rows.put("long ticket, chunks() (one embedAll call)", t -> t.ticket().chunks().texts());
        for (var text : rows.entrySet()) {
            StringBuilder row = new StringBuilder("| " + text.getKey());
            for (var model : models.values()) {
                for (int i = 0; i < 3; i++) embedAll(model, text.getValue().apply(longest.get(i))); // warm up
                double[] ms = new double[longest.size()];
                for (int i = 0; i < longest.size(); i++) {
                    List<String> t = text.getValue().apply(longest.get(i));
                    long a = System.nanoTime();
                    embedAll(model, t);
                    ms[i] = (System.nanoTime() - a) / 1e6;
                }
                java.util.Arrays.sort(ms);
                row.append(String.format(Locale.ROOT, " | %.1f", ms[ms.length / 2]));
            }
            out.println(row.append(" |"));
        }
        out.printf(Locale.ROOT, "(chunks per long ticket: %.1f on average)%n",
                longest.stream().mapToInt(t -> t.ticket().chunks().texts().size()).average().orElse(0));
    }

    private static void embedAll(dev.langchain4j.model.embedding.EmbeddingModel model, List<String> texts) {
        if (texts.size() == 1) model.embed(texts.get(0));
        else model.embedAll(texts.stream().map(dev.langchain4j.data.segment.TextSegment::from).toList());
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        Path examples = Path.of(a.getOrDefault("--examples", "agent-tools/src/main/resources/dev/baton/triage/banking77/train.csv"));
        Path cacheDir = Path.of(a.getOrDefault("--cache-dir", "/tmp/long-cache"));
        long seed = Long.parseLong(a.getOrDefault("--seed", "42"));
        int limit = Integer.parseInt(a.getOrDefault("--limit", "0"));
        int threads = Integer.parseInt(a.getOrDefault("--threads", "4"));
        boolean timing = Boolean.parseBoolean(a.getOrDefault("--timing", "false"));
        List<LabelledExample> all = ExamplesCsv.read(examples);
        // with --test, train on every example and make the long tickets of another file's requests
        List<List<LabelledExample>> split = a.containsKey("--test") ? List.of(all, ExamplesCsv.read(Path.of(a.get("--test"))))
                : TriageEval.holdout(all, 0.2, 42);
        List<LabelledExample> test = split.get(1);
        if (limit > 0 && limit < test.size()) {
            // every k-th example: all categories stay in
            List<LabelledExample> sub = new ArrayList<>();
            double step = (double) test.size() / limit;
            for (int i = 0; i < limit; i++) sub.add(test.get((int) (i * step)));
            test = sub;
        }
        if (timing) {
            embeddingTimes(LongTickets.of(test, seed), System.out);
            return;
        }
        System.out.printf(Locale.ROOT, "training on %d examples (%s, %s), testing on %d%n", split.get(0).size(), examples,
                a.containsKey("--test") ? "all of them; requests from " + a.get("--test") : "20% of each category held out, seed 42",
                test.size());
        try (EmbeddingClassifier classifier = TicketClassifiers.embedded(split.get(0), cacheDir,
                EmbeddingClassifier.Options.defaults())) {
            classifier.ready().get();
            List<Variant> variants = standardVariants(classifier::classify);
            run(variants, test, seed, threads, System.out);
        }
    }
}
