package dev.baton.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.baton.embedding.Embeddings;
import dev.baton.triage.TicketClassifiers;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar baton.jar [--port 8080] [--host 127.0.0.1] [--data-dir baton-data] [--db-url URL]
 * [--http-allowed-hosts h1,h2] [--tokens name:role:token,...]}, or
 * {@code java -jar baton.jar triage-eval --examples FILE ...} to score the ticket classifier. Each option has an environment
 * variable ({@code BATON_PORT}, ...); see {@link Config}. SIGTERM and Ctrl-C shut down cleanly.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("triage-eval")) {
            // scores the ticket classifier on a labelled CSV; see dev.baton.triage.eval.TriageEval
            System.exit(dev.baton.triage.eval.TriageEval.main(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
            return;
        }
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(usage());
            return;
        }
        // First, before anything loads: the server runs in a JVM that maps its classes from an archive an earlier start
        // made, when it can (see ClassArchive); that JVM reads the settings (and refuses wrong ones) itself.
        Path cacheDir = ClassArchive.cacheDir(args, System.getenv());
        Optional<Integer> child = ClassArchive.run(cacheDir, System.getenv(ClassArchive.VARIABLE));
        if (child.isPresent()) {
            System.exit(child.get());
            return;
        }
        ClassArchive.stopWithParent();
        Config config;
        BatonServer server;
        Config.LogFormat format;
        try {
            config = Config.load(args, System.getenv());
            format = Config.logFormat(args, System.getenv());
            // Unpacked once into the cache folder, rather than inflated from the jar at every start.
            Embeddings.keepUnpackedIn((config.triage().cacheDir() != null ? config.triage().cacheDir()
                    : TicketClassifiers.defaultCacheDir()).resolve("models"));
            useLogFormat(format);
            server = BatonServer.start(config);
        } catch (ConfigException e) {
            System.err.println("baton: cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: finishing journal writes");
            server.close();
            log.info("stopped");
            stopped.countDown();
        }, "baton-shutdown"));
        ClassArchive.started();
        String running = "Baton is running at http://" + displayHost(config.host()) + ":" + server.port() + "/";
        // In JSON, every line of the output is a log event, this one too.
        if (format == Config.LogFormat.JSON) log.info(running);
        else System.out.println(running);
        stopped.await();
    }

    /**
     * Applies BATON_LOG_FORMAT (--log-format) to logback's configuration (logback.xml picks the appender by the
     * system property baton.log.format). Another SLF4J backend on the classpath is left as it is.
     */
    static void useLogFormat(Config.LogFormat format) {
        String appender = format.name().toLowerCase(java.util.Locale.ROOT);
        System.setProperty("baton.log.format", appender);
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) return;
        // Logback configured itself just now (nothing logs before this at start), with the property already set:
        // configuring it again would cost the start a second reading of logback.xml. Only a configuration made
        // earlier, with another format, is redone.
        if (context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(appender) != null) return;
        context.reset();
        try {
            new ch.qos.logback.classic.util.ContextInitializer(context).autoConfig();
        } catch (ch.qos.logback.core.joran.spi.JoranException e) {
            System.err.println("baton: the logging configuration failed: " + e.getMessage());
        }
    }

    private static String displayHost(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    static String usage() {
        StringBuilder text = new StringBuilder("usage: java -jar baton.jar [options]\n\noptions (each also an environment variable):\n");
        for (Config.Setting s : Config.Setting.values()) {
            text.append(String.format("  %-22s %-26s default: %s%n", s.option() + " VALUE", s.variable(), s.describedDefault()));
        }
        text.append("\nenvironment only: OPENAI_API_KEY (kept off the command line), BATON_MODEL_TEMPERATURE, BATON_MODEL_TIMEOUT,\n")
            .append("  BATON_MODEL_MAX_CONCURRENCY, BATON_MODEL_MAX_RETRIES, BATON_MODEL_CACHE_SIZE (see docs/configuration.md),\n")
            .append("  BATON_CLASS_ARCHIVE=false (start without the class archive the first start makes in BATON_TRIAGE_CACHE_DIR/cds)\n")
            .append("\nor: java -jar baton.jar triage-eval --examples FILE [--test FILE | --holdout 0.2 --seed 42] ...\n")
            .append("  scores the ticket classifier (run it with --help for its options)\n");
        return text.toString();
    }
}
