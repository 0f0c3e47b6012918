package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import io.vertx.core.Vertx;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.mcp.McpCallListener;
import dev.baton.tools.mcp.McpServerSpec;
import dev.baton.tools.mcp.McpServerStatus;
import dev.baton.tools.mcp.McpTools;
import dev.baton.tools.schema.JsonSchemaValidator;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Part "mcp": what Baton adds to a call of an MCP server's tool, over calling the same server
 * directly with the official Java SDK's client. Both sides call the reference "everything"
 * server's {@code echo} tool, alternately, 1,000 times each (after a warm-up), over stdio (a child
 * process each) and over streamable HTTP (one server process, a session each).
 *
 * <p>"Through Baton" is what the orchestrator does for a tool task once it has decided to call:
 * the registry lookup, the arguments checked against the tool's schema, the call with the
 * idempotency key in {@code _meta}, the result mapped to the task's output. The added time is the
 * difference of the two distributions' percentiles (not of single pairs, whose noise would swamp it).
 *
 * <p>Needs Node and the MCP peers: {@code bash .ci/mcp.sh} installs them; the folder it prints is
 * read from {@code -Dbench.mcp.dir} or {@code BATON_TEST_MCP_DIR} (default {@code .ci/mcp}).
 */
final class McpBench {
    private static final double GOAL_ADDED_P50_MS = 1.0;

    private final Vertx vertx;
    private final Report report;
    private final int calls = Options.integer("bench.mcp.calls", 1_000);
    private final int warmup = Options.integer("bench.mcp.warmup", 300);
    private final int runs = Options.integer("bench.mcp.runs", 300);

    McpBench(Vertx vertx, Report report) {
        this.vertx = vertx;
        this.report = report;
    }

    void run() throws Exception {
        Path server = everythingServer();
        report.section(String.format("MCP: a tool call through Baton against the SDK's client calling the same server directly, %,d calls each", calls));
        measure("stdio", stdio(server), null);
        int port = freePort();
        ProcessBuilder http = new ProcessBuilder("node", server.toString(), "streamableHttp").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        http.environment().put("PORT", Integer.toString(port));
        Process process = http.start();
        try {
            awaitPort(port, Duration.ofSeconds(30));
            measure("streamable HTTP", McpServerSpec.http("everything", URI.create("http://127.0.0.1:" + port + "/mcp"), Map.of()), port);
        } finally {
            process.destroy();
            process.onExit().get();
        }
    }

    private static McpServerSpec stdio(Path server) {
        return McpServerSpec.stdio("everything", "node", List.of(server.toString(), "stdio"), Map.of());
    }

    private void measure(String transport, McpServerSpec spec, Integer httpPort) throws Exception {
        ToolRegistry registry = new ToolRegistry();
        try (McpTools mcp = McpTools.connect(List.of(spec), registry, McpCallListener.NONE, Duration.ofSeconds(30));
             McpSyncClient direct = directClient(spec, httpPort)) {
            McpServerStatus status = mcp.status("everything").orElseThrow();
            if (status.state() != McpServerStatus.State.CONNECTED) throw new IllegalStateException("not connected: " + status);
            direct.initialize();
            BatonTool echo = registry.find("everything.echo").orElseThrow();
            JsonNode args = Json.parse("{\"message\": \"hello from the benchmark\"}");
            McpSchema.CallToolRequest request = McpSchema.CallToolRequest.builder().name("echo")
                    .arguments(Map.of("message", "hello from the benchmark")).build();

            double[] viaBaton = new double[calls];
            double[] viaSdk = new double[calls];
            for (int i = -warmup; i < calls; i++) {
                // alternate which goes first, so that neither always meets a warmer server
                boolean batonFirst = (i & 1) == 0;
                long a = batonFirst ? throughBaton(echo, args, i) : direct(direct, request);
                long b = batonFirst ? direct(direct, request) : throughBaton(echo, args, i);
                if (i < 0) continue;
                viaBaton[i] = (batonFirst ? a : b) / 1e6;
                viaSdk[i] = (batonFirst ? b : a) / 1e6;
            }
            Stats baton = Stats.of(viaBaton);
            Stats sdk = Stats.of(viaSdk);
            report.say("%-16s direct (SDK client)  p50 %.3f ms  p99 %.3f ms", transport, sdk.median(), sdk.percentile(99));
            report.say("%-16s through Baton         p50 %.3f ms  p99 %.3f ms", transport, baton.median(), baton.percentile(99));
            double addedP50 = baton.median() - sdk.median();
            double addedP99 = baton.percentile(99) - sdk.percentile(99);
            report.goal("MCP call, Baton's added p50 (" + transport + ")", addedP50, "ms", GOAL_ADDED_P50_MS, true,
                    String.format("%+.3f ms", addedP50));
            report.info("MCP call, Baton's added p99 (" + transport + ")", String.format("%+.3f ms", addedP99));
            wholeTasks(transport, registry);
        }
    }

    /**
     * For scale: a whole one-task run (submit to finished, in-memory journal) calling the MCP
     * server's echo, against the same run calling Baton's built-in echo. The difference is what an
     * MCP tool costs a task over a tool in the JVM: the round trip to the server, nothing else.
     */
    private void wholeTasks(String transport, ToolRegistry registry) throws Exception {
        BuiltinTools.register(registry, ToolSettings.none());
        Journal journal = Journals.open("memory", Path.of("."));
        Orchestrator orchestrator = Async.await(Orchestrator.start(vertx, journal, registry, OrchestratorOptions.defaults()), 60);
        try {
            double[] mcp = new double[runs];
            double[] local = new double[runs];
            for (int i = -runs / 5; i < runs; i++) {
                boolean mcpFirst = (i & 1) == 0;
                double a = oneTaskRun(orchestrator, mcpFirst ? "everything.echo" : "echo");
                double b = oneTaskRun(orchestrator, mcpFirst ? "echo" : "everything.echo");
                if (i < 0) continue;
                mcp[i] = mcpFirst ? a : b;
                local[i] = mcpFirst ? b : a;
            }
            Stats viaMcp = Stats.of(mcp);
            Stats inJvm = Stats.of(local);
            report.say("%-16s a one-task run, submit to finished: MCP echo p50 %.2f ms p99 %.2f ms; built-in echo p50 %.2f ms p99 %.2f ms",
                    transport, viaMcp.median(), viaMcp.percentile(99), inJvm.median(), inJvm.percentile(99));
            report.info("one-task run, MCP echo over built-in (" + transport + ")",
                    String.format("%+.2f ms p50", viaMcp.median() - inJvm.median()));
        } finally {
            orchestrator.close();
            journal.close();
        }
    }

    private static double oneTaskRun(Orchestrator orchestrator, String tool) throws Exception {
        JsonNode plan = Json.parse("{\"tasks\": [{\"id\": \"say\", \"tool\": \"" + tool + "\", \"args\": {\"message\": \"hi\"}}]}");
        long start = System.nanoTime();
        String runId = Async.await(orchestrator.submit(new RunRequest("bench", Json.object(), plan, null, null, null)), 30).runId();
        JsonNode run = Async.await(orchestrator.whenFinished(runId), 30);
        double took = (System.nanoTime() - start) / 1e6;
        if (!"SUCCEEDED".equals(run.path("status").asText())) throw new IllegalStateException("the run failed: " + run);
        return took;
    }

    /** The orchestrator's part of a tool task: find the tool, check the arguments, call it. */
    private static long throughBaton(BatonTool echo, JsonNode args, int i) throws Exception {
        long start = System.nanoTime();
        if (!JsonSchemaValidator.validate(echo.descriptor().parameters(), args).isEmpty()) throw new IllegalStateException("args refused");
        JsonNode output = echo.call(args, new ToolContext("r_bench", "t" + i, 1, "r_bench:t" + i, Instant.now().plusSeconds(30)));
        long took = System.nanoTime() - start;
        if (output == null || output.isNull()) throw new IllegalStateException("no output");
        return took;
    }

    private static long direct(McpSyncClient client, McpSchema.CallToolRequest request) {
        long start = System.nanoTime();
        McpSchema.CallToolResult result = client.callTool(request);
        long took = System.nanoTime() - start;
        if (Boolean.TRUE.equals(result.isError())) throw new IllegalStateException("the direct call failed: " + result);
        return took;
    }

    private static McpSyncClient directClient(McpServerSpec spec, Integer httpPort) {
        JacksonMcpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
        McpClientTransport transport;
        if (spec.transport() instanceof McpServerSpec.Stdio stdio) {
            transport = new StdioClientTransport(ServerParameters.builder(stdio.command()).args(stdio.args()).build(), mapper);
        } else {
            transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + httpPort).endpoint("/mcp").jsonMapper(mapper).build();
        }
        return McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
    }

    private static Path everythingServer() {
        String dir = Options.text("bench.mcp.dir", System.getenv().getOrDefault("BATON_TEST_MCP_DIR", ".ci/mcp"));
        Path index = Path.of(dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        if (!Files.isRegularFile(index)) {
            throw new IllegalStateException("the MCP reference server is not installed at " + index.toAbsolutePath()
                    + ": run `bash .ci/mcp.sh` and pass the folder it prints as -Dbench.mcp.dir");
        }
        return index.toAbsolutePath();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the everything server did not listen on " + port);
                Thread.sleep(50);
            }
        }
    }
}
