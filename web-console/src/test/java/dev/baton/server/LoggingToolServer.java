package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;

/**
 * A Baton server started as {@link Main} starts one (log format included), with one more tool,
 * {@value #TOOL}, that logs a line naming its run and returns its arguments: work of a run that
 * logs, for the log format tests. Run it with {@code ServerProcess.start(..., LoggingToolServer.class)}.
 */
public final class LoggingToolServer {
    public static final String TOOL = "test.log";
    /** What the tool logs; {@code String.format} with the run's id. */
    public static final String LINE = "the test tool runs for run %s";
    private static final Logger LOG = LoggerFactory.getLogger(LoggingToolServer.class);

    private LoggingToolServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        Config config = Config.load(args, System.getenv());
        Main.useLogFormat(Config.logFormat(args, System.getenv()));
        BatonServer server = BatonServer.start(config, tools -> tools.register(new BatonTool() {
            @Override
            public ToolDescriptor descriptor() {
                return ToolDescriptor.builder(TOOL).description("logs a line and echoes its arguments").idempotent(true).build();
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) {
                LOG.info(String.format(LINE, context.runId()));
                return args;
            }
        }));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            LOG.info("stopped");
        }, "baton-shutdown"));
        // ServerProcess reads the port from this line, as Main logs it in JSON.
        LOG.info("Baton is running at http://" + config.host() + ":" + server.port() + "/");
        new CountDownLatch(1).await();
    }
}
