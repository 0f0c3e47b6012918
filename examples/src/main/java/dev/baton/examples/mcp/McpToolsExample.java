package dev.baton.examples.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.mcp.McpCallListener;
import dev.baton.tools.mcp.McpServerSpec;
import dev.baton.tools.mcp.McpTools;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An MCP server's tools in a Baton plan: connect to the MCP project's reference "everything"
 * server over stdio, run a plan that calls two of its tools, and approve the one the configuration
 * puts behind a person. Both tools say they are read-only, so neither would wait by itself; a tool
 * that says nothing, or says it may destroy, would wait without being listed in
 * {@code approvalRequired}.
 *
 * <pre>{@code
 * bash .ci/mcp.sh        # installs the reference server into .ci/mcp/node_modules
 * mvn -q -pl examples exec:java -Dexec.mainClass=dev.baton.examples.mcp.McpToolsExample -Dexec.args=.ci/mcp
 * }</pre>
 *
 * The server could as well be {@code npx -y @modelcontextprotocol/server-everything}, a Python
 * server under {@code uvx}, or one over HTTP ({@link McpServerSpec#http}); the server itself reads
 * the same description from {@code BATON_MCP_SERVERS}, a JSON file in the format desktop and IDE
 * assistants use.
 */
public final class McpToolsExample {

    /** Echo a greeting and add two numbers, in parallel; the sum waits for a person. */
    static final String PLAN = """
            {"tasks": [
              {"id": "greet", "title": "Echo a greeting", "tool": "everything.echo", "args": {"message": "hello from Baton"}},
              {"id": "sum", "title": "Add the numbers", "tool": "everything.get-sum", "args": {"a": "${input.a}", "b": "${input.b}"}}
            ]}""";

    private McpToolsExample() {
    }

    public static void main(String[] args) throws Exception {
        JsonNode run = greetAndAdd(Path.of(args.length > 0 ? args[0] : ".ci/mcp"));
        System.out.println("run " + run.path("id").asText() + " ended " + run.path("status").asText());
        System.out.println("result: " + run.path("result").toPrettyString());
    }

    /** The reference server as Baton starts it: {@code node <peers>/node_modules/.../dist/index.js stdio}. */
    public static McpServerSpec everything(Path peers) {
        Path index = peers.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js").toAbsolutePath();
        return McpServerSpec.stdio("everything", "node", List.of(index.toString(), "stdio"), Map.of())
                .withAllow(Set.of("echo", "get-sum"))        // take only these two of its tools
                .withApprovalRequired(Set.of("get-sum")); // and let a person approve every sum
    }

    /** Runs the plan end to end and returns the finished run as the API would show it. */
    public static JsonNode greetAndAdd(Path peers) throws Exception {
        ToolRegistry tools = new ToolRegistry();
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        Journal journal = Journals.open("memory", Path.of("."));
        try (McpTools mcp = McpTools.connect(List.of(everything(peers)), tools, McpCallListener.NONE, Duration.ofSeconds(20))) {
            Orchestrator orchestrator = Orchestrator.start(vertx, journal, tools, OrchestratorOptions.defaults())
                    .await(30, TimeUnit.SECONDS);
            try {
                String runId = orchestrator.submit(new RunRequest("greet and add", Json.object().put("a", 2).put("b", 40),
                        Json.parse(PLAN), null, null, null)).await(30, TimeUnit.SECONDS).runId();
                awaitApprovalRequest(orchestrator, runId, "sum");
                orchestrator.decide(new ApprovalDecision(runId, "sum", true, "example-approver", false, "fine", null))
                        .await(30, TimeUnit.SECONDS);
                return orchestrator.whenFinished(runId).await(60, TimeUnit.SECONDS);
            } finally {
                orchestrator.close();
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitApprovalRequest(Orchestrator orchestrator, String runId, String taskId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean waiting = orchestrator.approvals("PENDING").await(10, TimeUnit.SECONDS).stream()
                    .anyMatch(a -> a.runId().equals(runId) && a.taskId().equals(taskId));
            if (waiting) return;
            Thread.sleep(10);
        }
        throw new IllegalStateException("task " + taskId + " never asked for approval");
    }
}
