package dev.baton.examples.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.examples.tools.CurrencyConverterTool;
import dev.baton.examples.tools.InventoryTools;
import dev.baton.json.Json;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.tools.ToolRegistry;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Baton inside your own application, without the HTTP server: register tools, start the
 * orchestrator on a journal, run a plan, approve the gated step, read the result.
 *
 * <pre>{@code
 * mvn -q -pl examples exec:java -Dexec.mainClass=dev.baton.examples.embed.EmbeddedRuntimeExample
 * }</pre>
 *
 * <p>The same in fewer lines with the builder API: {@link QuickStartExample}.
 *
 * <p>The journal here is {@code memory} (nothing survives the process). Pass {@code ""} and a
 * folder to {@link Journals#open} for a durable H2 file, or a {@code jdbc:postgresql:} URL.
 */
public final class EmbeddedRuntimeExample {

    /** The plan: check stock and price in parallel, then reserve (a tool that requires approval). */
    static final String PLAN = """
            {"tasks": [
              {"id": "stock", "title": "Check stock", "tool": "inventory.stockLevel", "args": {"sku": "${input.sku}"}},
              {"id": "price", "title": "Price in EUR", "tool": "currency.convert",
               "args": {"amount": "${input.priceUsd}", "from": "USD", "to": "EUR"}},
              {"id": "reserve", "title": "Reserve the units", "tool": "inventory.reserve",
               "args": {"sku": "${input.sku}", "quantity": "${input.quantity}"}, "dependsOn": ["stock", "price"]}
            ]}""";

    private EmbeddedRuntimeExample() {
    }

    public static void main(String[] args) throws Exception {
        JsonNode run = orderTwoUnits();
        System.out.println("run " + run.path("id").asText() + " ended " + run.path("status").asText());
        System.out.println("result: " + run.path("result").toPrettyString());
    }

    /** Runs the plan end to end and returns the finished run as the API would show it. */
    public static JsonNode orderTwoUnits() throws Exception {
        ToolRegistry tools = new ToolRegistry();
        tools.registerAnnotated(new InventoryTools(Map.of("SKU-1", 10)));
        tools.register(new CurrencyConverterTool());

        Vertx vertx = Vertx.vertx();
        Journal journal = Journals.open("memory", Path.of("."));
        Orchestrator orchestrator = Orchestrator.start(vertx, journal, tools, OrchestratorOptions.defaults())
                .await(30, TimeUnit.SECONDS);
        try {
            ObjectNode input = Json.object().put("sku", "SKU-1").put("priceUsd", 25.0).put("quantity", 2);
            String runId = orchestrator.submit(new RunRequest("reserve two units of SKU-1", input, Json.parse(PLAN), null, null, null))
                    .await(30, TimeUnit.SECONDS).runId();

            // inventory.reserve requires approval: wait until it asks, then decide as a person would.
            awaitApprovalRequest(orchestrator, runId);
            orchestrator.decide(new ApprovalDecision(runId, "reserve", true, "example-approver", false, "looks right", null))
                    .await(30, TimeUnit.SECONDS);

            return orchestrator.whenFinished(runId).await(30, TimeUnit.SECONDS);
        } finally {
            orchestrator.close();
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitApprovalRequest(Orchestrator orchestrator, String runId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean waiting = orchestrator.approvals("PENDING").await(10, TimeUnit.SECONDS).stream()
                    .anyMatch(a -> a.runId().equals(runId) && a.taskId().equals("reserve"));
            if (waiting) return;
            Thread.sleep(10);
        }
        throw new IllegalStateException("the reserve task never asked for approval");
    }
}
