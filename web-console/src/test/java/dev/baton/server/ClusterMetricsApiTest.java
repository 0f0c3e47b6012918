package dev.baton.server;

import dev.baton.server.LiveMetricsApiTest.Sample;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster node's {@code /metrics} (PostgreSQL journal): the cluster bus's own Vert.x reports into the
 * node's registry under {@code vertx_cluster_*}, apart from the server's {@code vertx_*}, in valid text.
 */
class ClusterMetricsApiTest {
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-metrics");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theClusterBusReportsIntoTheNodesRegistry() {
        Cluster cluster = Cluster.start(servers, 2, List.of());
        cluster.awaitMembers(2);
        String runId = cluster.node(1).api().startRun("counted", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}")
                .path("id").asText();
        cluster.node(1).api().awaitRunStatus(runId, "SUCCEEDED");
        for (int i = 1; i <= 2; i++) {
            Api api = cluster.node(i).api();
            Api.Response r = api.get("/metrics");
            assertEquals(200, r.status(), r.body());
            Map<String, Sample> samples = LiveMetricsApiTest.parse(r.body());
            Set<String> names = new TreeSet<>();
            samples.values().forEach(s -> names.add(s.name()));
            for (String name : new String[]{"vertx_cluster_eventbus_handlers", "vertx_eventbus_handlers", "vertx_http_server_requests_total",
                    "jvm_memory_used_bytes", "baton_runs_started_total"}) {
                assertTrue(names.contains(name), "node " + i + " exports " + name + ": " + names);
            }
        }
    }
}
