package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * /mcp on a node that does not own the run: a subscriber there hears the run's changes (the
 * event relay brings them from the owner), and an approval offered there by elicitation is
 * decided on the owner.
 */
class ClusterMcpTest {
    private static final Duration AWAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-mcp");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSubscriberOnAnotherNodeHearsTheRunAndDecidesItsApprovalByElicitation() {
        Cluster cluster = Cluster.start(servers, 2, List.of());
        cluster.awaitMembers(2);
        String runId = cluster.node(1).api().startRun("followed from another node", McpServerApiTest.GATED_PLAN).path("id").asText();
        ServerProcess owner = Api.await(() -> cluster.owner(runId), o -> o != null, AWAIT, "run " + runId + " to have an owner");
        ServerProcess other = cluster.notOwner(runId);
        owner.api().awaitTaskStatus(runId, "send", "WAITING_APPROVAL");

        List<JsonNode> updates = new CopyOnWriteArrayList<>();
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        try (McpSyncClient client = McpServerApiTest.client(other.api().base(), null, request -> {
            asked.add(request);
            return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("decision", "approve", "comment", "from the other node"));
        }, contents -> contents.forEach(c -> updates.add(McpServerApiTest.json(((McpSchema.TextResourceContents) c).text()))))) {
            client.initialize();
            client.subscribeResource(new McpSchema.SubscribeRequest("baton://runs/" + runId));
            JsonNode last = Api.await(() -> updates.isEmpty() ? null : updates.get(updates.size() - 1),
                    u -> u != null && u.path("status").asText().equals("SUCCEEDED"), AWAIT, "the update of the run's end on the other node");
            assertEquals(runId, last.path("id").asText());
        }
        assertEquals(1, asked.size());
        JsonNode approval = Api.task(owner.api().run(runId), "send").path("approval");
        assertEquals("local", approval.path("decidedBy").asText());
        assertEquals("from the other node", approval.path("comment").asText());
        assertEquals(cluster.name(owner), cluster.name(Api.await(() -> cluster.owner(runId), o -> o != null, AWAIT, "owner")),
                "the run stayed with its owner");
    }
}
