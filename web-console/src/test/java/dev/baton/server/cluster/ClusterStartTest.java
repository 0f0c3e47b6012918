package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three servers started at the same moment on one empty PostgreSQL database (issue 13: the second
 * used to exit with "duplicate key value violates unique constraint pg_type_typname_nsp_index" as
 * both created the tables) all come up, and form one cluster: each lists the three nodes, itself once.
 */
class ClusterStartTest {
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-start");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void threeNodesStartedAtOnceOnAnEmptyDatabaseAllComeUpAsOneCluster() {
        Cluster cluster = Cluster.startAtOnce(servers, 3, List.of());
        cluster.awaitMembers(3);

        Set<Long> epochs = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (ServerProcess node : cluster.live()) {
            JsonNode view = Cluster.view(node);
            JsonNode self = view.path("node");
            assertEquals(cluster.name(node), self.path("id").asText(), "a node is named by BATON_NODE_ID: " + view);
            assertTrue(epochs.add(self.path("epoch").asLong()), "every node has an epoch of its own: " + view);
            ids.add(self.path("id").asText());
            for (JsonNode member : view.path("nodes")) {
                assertEquals(member.path("id").asText().equals(self.path("id").asText()), member.path("self").asBoolean(),
                        "'self' marks the node that answers, and only it: " + view);
            }
            JsonNode health = node.api().get("/api/health").json();
            assertEquals(3, health.path("cluster").path("nodes").asInt(), "/api/health counts the cluster's nodes: " + health);
        }
        assertEquals(Set.of("node-1", "node-2", "node-3"), ids);
        assertTrue(epochs.stream().allMatch(e -> e > 0), "epochs come from the sequence, from 1: " + epochs);

        // One cluster, one journal: a run posted to one node is read on the others.
        String runId = cluster.node(1).api().startRun("one journal", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"x\": 1}}]}")
                .path("id").asText();
        for (ServerProcess node : cluster.live()) {
            node.api().awaitRunStatus(runId, "SUCCEEDED");
        }
        Api.Response unknown = cluster.node(2).api().get("/api/runs/r_does_not_exist");
        assertEquals(404, unknown.status(), unknown.body());
    }
}
