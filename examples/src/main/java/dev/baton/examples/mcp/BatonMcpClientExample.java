package dev.baton.examples.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Baton seen from an MCP client, as an assistant would use it: connect to a Baton server's
 * {@code /mcp} with a bearer token, start a run whose second step needs a person, hear of its
 * progress through its resource, and answer the approval when Baton offers it by elicitation.
 * This client is the official MCP Java SDK's; a desktop or IDE assistant does the same, showing the
 * elicitation to its user as a form.
 *
 * <pre>{@code
 * BATON_TOKENS='me:approver+operator:s3cret-token-of-24-chars' java -jar web-console/target/baton.jar &
 * mvn -q -pl examples exec:java -Dexec.mainClass=dev.baton.examples.mcp.BatonMcpClientExample \
 *     -Dexec.args="http://127.0.0.1:8080 s3cret-token-of-24-chars"
 * }</pre>
 */
public final class BatonMcpClientExample {

    /** Draft a message, then send it once a person says so. */
    static final String PLAN = """
            {"tasks": [
              {"id": "draft", "title": "Draft the message", "tool": "echo", "args": {"text": "the build is green"}},
              {"id": "send", "title": "Send it", "tool": "echo", "args": {"sent": "${draft.output.text}"}, "approval": "required",
               "dependsOn": ["draft"]}
            ]}""";

    private BatonMcpClientExample() {
    }

    public static void main(String[] args) throws Exception {
        JsonNode run = startAndApprove(args.length > 0 ? args[0] : "http://127.0.0.1:8080", args.length > 1 ? args[1] : null);
        System.out.println("run " + run.path("id").asText() + " ended " + run.path("status").asText());
    }

    /**
     * Starts the run through MCP, approves its gated step when Baton asks (elicitation), and
     * returns the finished run as the resource {@code baton://runs/{id}} shows it.
     */
    public static JsonNode startAndApprove(String baton, String token) throws Exception {
        BlockingQueue<String> updated = new LinkedBlockingQueue<>();
        var transport = HttpClientStreamableHttpTransport.builder(baton).endpoint("/mcp")
                .httpRequestCustomizer((request, method, uri, body, context) -> {
                    if (token != null) request.header("Authorization", "Bearer " + token);
                })
                .build();
        try (McpSyncClient client = McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("baton-example", "1"))
                .requestTimeout(Duration.ofSeconds(30))
                // Declaring elicitation lets Baton offer this user the approvals they may decide.
                .capabilities(McpSchema.ClientCapabilities.builder().elicitation().build())
                .elicitation(BatonMcpClientExample::askTheUser)
                .resourcesUpdateConsumer(contents -> contents.forEach(c -> updated.add(c.uri())))
                .build()) {
            client.initialize();
            McpSchema.CallToolResult started = client.callTool(new McpSchema.CallToolRequest("start_run",
                    Map.of("goal", "announce the green build", "plan", Json.MAPPER.convertValue(Json.parse(PLAN), Map.class))));
            if (Boolean.TRUE.equals(started.isError())) throw new IllegalStateException("start_run refused: " + started.content());
            String runUri = "baton://runs/" + Json.MAPPER.valueToTree(started.structuredContent()).path("id").asText();
            client.subscribeResource(new McpSchema.SubscribeRequest(runUri));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                JsonNode run = read(client, runUri);
                String status = run.path("status").asText();
                if (List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(status)) return run;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IllegalStateException("the run did not finish in time: " + run);
                updated.poll(left, TimeUnit.NANOSECONDS); // the next change of any followed run, then read again
            }
        }
    }

    /** What an assistant would show its user as a form; this example approves at once. */
    private static McpSchema.ElicitResult askTheUser(McpSchema.ElicitFormRequest request) {
        System.out.println("Baton asks: " + request.message());
        return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT,
                Map.of("decision", "approve", "comment", "approved from an MCP client"));
    }

    private static JsonNode read(McpSyncClient client, String uri) throws Exception {
        McpSchema.ReadResourceResult result = client.readResource(new McpSchema.ReadResourceRequest(uri));
        return Json.parse(((McpSchema.TextResourceContents) result.contents().get(0)).text());
    }
}
