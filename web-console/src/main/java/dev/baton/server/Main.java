package dev.baton.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar baton.jar [--port 8080] [--host 127.0.0.1] [--data-dir baton-data] [--db-url URL]
 * [--http-allowed-hosts h1,h2] [--tokens name:role:token,...]}. Each option has an environment
 * variable ({@code BATON_PORT}, ...); see {@link Config}. SIGTERM and Ctrl-C shut down cleanly.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(usage());
            return;
        }
        Config config;
        BatonServer server;
        try {
            config = Config.load(args, System.getenv());
            server = BatonServer.start(config);
            server.tickets().triage().warmUp(); // embed and train the ticket classifier now, not on the first ticket
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
        System.out.println("Baton is running at http://" + displayHost(config.host()) + ":" + server.port() + "/");
        stopped.await();
    }

    private static String displayHost(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    static String usage() {
        StringBuilder text = new StringBuilder("usage: java -jar baton.jar [options]\n\noptions (each also an environment variable):\n");
        for (Config.Setting s : Config.Setting.values()) {
            text.append(String.format("  %-22s %-26s default: %s%n", s.option() + " VALUE", s.variable(),
                    s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue()));
        }
        text.append("\nenvironment only: OPENAI_API_KEY (kept off the command line), BATON_MODEL_TEMPERATURE, BATON_MODEL_TIMEOUT,\n")
            .append("  BATON_MODEL_MAX_CONCURRENCY, BATON_MODEL_MAX_RETRIES, BATON_MODEL_CACHE_SIZE (see the README)\n");
        return text.toString();
    }
}
