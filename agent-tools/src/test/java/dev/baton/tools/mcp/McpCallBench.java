package dev.baton.tools.mcp;

import dev.baton.json.Json;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolRegistry;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Not a test (surefire skips it): what Baton's MCP tool layer adds to a call, measured as an
 * {@code echo} through {@link Tool#call} (registry tool, _meta, result mapping, listener) against
 * the same call through the bare SDK client, on the same server, alternating, 1,000 of each after
 * a warm-up, over stdio and streamable HTTP. The orchestrator's own share is the benchmarks
 * module's business.
 *
 * <pre>
 * mvn -o -q -pl agent-tools test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * BATON_TEST_MCP_DIR=$(bash .ci/mcp.sh | tail -n 1) java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
 *   -cp agent-tools/target/test-classes:agent-tools/target/classes:$(cat /tmp/cp.txt) dev.baton.tools.mcp.McpCallBench 1000
 * </pre>
 * Measured here (2 busy cores, node 20): stdio p50 0.58 ms bare, 0.69 ms through the tool (+0.11 ms);
 * HTTP p50 4.53 ms bare, 4.60 ms through the tool (+0.07 ms).
 */
public final class McpCallBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Path dir = Path.of(System.getenv(McpPeers.DIR_ENV));
        Path script = McpPeers.everythingScript(dir);
        try (McpPeers.HttpEverything http = new McpPeers.HttpEverything(Path.of("target/mcp-bench-http.log")).start()) {
            run("stdio", McpServerSpec.stdio("b", "node", List.of(script.toString(), "stdio"), Map.of()),
                    new StdioClientTransport(ServerParameters.builder("node").args(script.toString(), "stdio").build(),
                            new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper())), n);
            run("http", McpServerSpec.http("b", http.url(), Map.of()),
                    HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + http.url().getPort()).build(), n);
        }
    }

    private static void run(String label, McpServerSpec spec, McpClientTransport direct, int n) throws Exception {
        ToolRegistry registry = new ToolRegistry();
        McpAsyncClient client = McpClient.async(direct).build();
        try (McpTools mcp = McpTools.connect(List.of(spec), registry, McpCallListener.NONE, Duration.ofSeconds(30))) {
            client.initialize().block(Duration.ofSeconds(30));
            Tool echo = registry.find("b.echo").orElseThrow();
            long[] viaBaton = new long[n];
            long[] bare = new long[n];
            for (int i = -200; i < n; i++) {
                long t0 = System.nanoTime();
                echo.call(Json.parse("{\"message\":\"hi\"}"), new ToolContext("r", "t", 1, "k" + i, Instant.now().plusSeconds(10)));
                long t1 = System.nanoTime();
                client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "hi"), null)).block(Duration.ofSeconds(10));
                long t2 = System.nanoTime();
                if (i >= 0) {
                    viaBaton[i] = t1 - t0;
                    bare[i] = t2 - t1;
                }
            }
            Arrays.sort(viaBaton);
            Arrays.sort(bare);
            System.out.printf("%s: bare SDK p50 %.3f ms p99 %.3f ms | Baton tool p50 %.3f ms p99 %.3f ms | added p50 %.3f ms%n", label,
                    ms(bare, 0.5), ms(bare, 0.99), ms(viaBaton, 0.5), ms(viaBaton, 0.99), ms(viaBaton, 0.5) - ms(bare, 0.5));
        } finally {
            client.closeGracefully().block(Duration.ofSeconds(10));
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
