package dev.baton.triage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Produces the bundled demo's trained state that ships in the jar: embeds the bundled BANKING77
 * examples with every encoder of the default recipe and trains with the default options, into an
 * empty temporary cache folder (the bundled layer switched off, so nothing is reused), then copies
 * the cache entries and a {@code manifest.json} into
 * {@code agent-tools/src/main/resources/dev/baton/triage/banking77/pretrained/}, replacing what was
 * there. Run from the repository root (takes minutes):
 *
 * <pre>{@value #COMMAND}</pre>
 *
 * <p>The entries' names hold the examples' SHA-256 and the options, so a bundle made for other
 * examples or options is never used, only missed; {@code PretrainedStateTest} fails when that
 * happens to the bundled demo, saying to rerun this.
 */
public final class Pretrain {

    /** How to run it from the repository root. */
    public static final String COMMAND = "mvn -o -B -q -pl agent-tools -am compile dependency:build-classpath"
            + " -Dmdep.outputFile=target/classpath.txt && java -cp agent-tools/target/classes:$(cat agent-tools/target/classpath.txt)"
            + " dev.baton.triage.Pretrain";

    /** Where the entries go, from the repository root. */
    static final Path OUTPUT = Path.of("agent-tools/src/main/resources" + EmbeddingCache.BUNDLED);
    static final String MANIFEST = "manifest.json";

    private Pretrain() {
    }

    public static void main(String[] args) throws Exception {
        Path out = args.length > 0 ? Path.of(args[0]) : OUTPUT;
        if (args.length == 0 && !Files.isDirectory(Path.of("agent-tools/src/main/resources"))) {
            System.err.println("Run from the repository root (or give the output folder): " + COMMAND);
            System.exit(2);
        }
        byte[] csv;
        try (InputStream in = Pretrain.class.getResourceAsStream(TicketClassifiers.BUNDLED_EXAMPLES)) {
            csv = in.readAllBytes();
        }
        String sha = EmbeddingCache.sha256(csv);
        List<LabelledExample> examples = ExamplesCsv.parse(ExamplesCsv.decode(csv, "bundled"), "bundled");
        EmbeddingClassifier.Options options = EmbeddingClassifier.Options.defaults();
        Path tmp = Files.createTempDirectory("baton-pretrain-");
        long start = System.nanoTime();
        long embedNanos;
        try (EmbeddingClassifier c = new EmbeddingClassifier(new EmbeddingCache(tmp, null), examples, sha,
                TicketClassifiers.encoders(), options)) {
            System.out.printf(Locale.ROOT, "Pretraining recipe %s on %d bundled examples (train.csv sha256 %s) in %s%n",
                    options.recipe().name(), examples.size(), sha, tmp);
            long embedDone = 0;
            while (true) {
                try {
                    c.ready().get(10, TimeUnit.SECONDS);
                    break;
                } catch (TimeoutException e) {
                    EmbeddingClassifier.Progress p = c.progress();
                    if (embedDone == 0 && p.phase() == EmbeddingClassifier.Progress.Phase.TRAINING) embedDone = System.nanoTime();
                    System.out.printf(Locale.ROOT, "  %s: %d of %d embeddings, %d of %d folds, %d s elapsed, about %s s left%n",
                            p.phase(), p.embedded(), p.toEmbed(), p.foldsTrained(), p.folds(), p.elapsed().toSeconds(),
                            p.remaining() == null ? "?" : p.remaining().toSeconds());
                }
            }
            embedNanos = (embedDone == 0 ? System.nanoTime() : embedDone) - start;
            if (c.examplesEmbedded() == 0 || c.trainings() == 0) {
                throw new IllegalStateException("expected to embed and train from scratch, but embedded " + c.examplesEmbedded()
                        + " and trained " + c.trainings() + " times");
            }
        }
        long totalNanos = System.nanoTime() - start;

        // How long the state takes to load (the same entries, read from the folder)
        long loadStart = System.nanoTime();
        try (EmbeddingClassifier c = new EmbeddingClassifier(new EmbeddingCache(tmp, null), examples, sha,
                TicketClassifiers.encoders(), options)) {
            c.ready().get(5, TimeUnit.MINUTES);
            if (c.examplesEmbedded() != 0 || c.trainings() != 0) throw new IllegalStateException("the entries just written were not used");
        }
        long loadNanos = System.nanoTime() - loadStart;

        Files.createDirectories(out);
        try (DirectoryStream<Path> old = Files.newDirectoryStream(out, "*.bin")) {
            for (Path p : old) Files.delete(p);
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode manifest = json.createObjectNode();
        manifest.put("examples", TicketClassifiers.BUNDLED_EXAMPLES);
        manifest.put("examplesSha256", sha);
        manifest.put("examplesCount", examples.size());
        manifest.put("recipe", options.recipe().name());
        manifest.put("optionsKey", options.key());
        ArrayNode encoders = manifest.putArray("encoders");
        options.recipe().encoders().forEach(encoders::add);
        ArrayNode entries = manifest.putArray("entries");
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> made = Files.newDirectoryStream(tmp, "*.bin")) {
            made.forEach(files::add);
        }
        files.sort(null);
        long bytes = 0;
        for (Path f : files) {
            Path target = out.resolve(f.getFileName().toString());
            Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            ObjectNode e = entries.addObject();
            String name = f.getFileName().toString();
            e.put("file", name);
            e.put("kind", name.substring(0, name.indexOf('-')));
            e.put("bytes", Files.size(f));
            e.put("sha256", EmbeddingCache.sha256(Files.readAllBytes(f)));
            bytes += Files.size(f);
        }
        manifest.put("createdAt", Instant.now().toString());
        manifest.put("command", COMMAND);
        ObjectNode took = manifest.putObject("measured");
        took.put("embedAndTrain", Duration.ofNanos(totalNanos).toString());
        took.put("embed", Duration.ofNanos(embedNanos).toString());
        took.put("loadFromEntries", Duration.ofNanos(loadNanos).toString());
        json.writeValue(out.resolve(MANIFEST).toFile(), manifest);
        for (Path f : files) Files.delete(f);
        Files.delete(tmp);
        System.out.printf(Locale.ROOT, "Wrote %d entries (%.1f MB) and %s to %s: embedded and trained in %d s (embedding %d s),"
                        + " loading them takes %d ms%n", files.size(), bytes / 1e6, MANIFEST, out, totalNanos / 1_000_000_000,
                embedNanos / 1_000_000_000, loadNanos / 1_000_000);
    }
}
