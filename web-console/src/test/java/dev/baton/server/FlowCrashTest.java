package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;



import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kills (SIGKILL) a real server while a failed run is unwinding and starts another on the same
 * journal: compensations that finished are not repeated; the one cut off runs again, same
 * attempt, same idempotency key; the run then ends FAILED. On H2 and on PostgreSQL.
 */
class FlowCrashTest {
    enum Store { H2, POSTGRES }

    /** How long the first undo of 'first' is held: far longer than the test, so that the kill always cuts it off. */
    private static final Duration HELD = Duration.ofSeconds(60);
    private static final Duration AWAIT = Duration.ofSeconds(30);

    /** The upstream the plans call; reset before each test. */
    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance().options(options().dynamicPort().bindAddress("127.0.0.1")).build();

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("flow-crash");


    @ParameterizedTest
    @EnumSource(Store.class)
    @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void compensationsAreNotRepeatedAfterACrash(Store store) {
        String dbUrl = store == Store.H2 ? null : servers.postgresUrl();
        upstream.stubFor(post("/orders/one").willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"id\": \"one\"}")));
        upstream.stubFor(post("/orders/two").willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"id\": \"two\"}")));
        upstream.stubFor(delete("/orders/two").willReturn(aResponse().withStatus(204)));
        // The first undo of 'first' is cut off by the kill; the one made again after the restart answers at once.
        upstream.stubFor(delete("/orders/one").inScenario("undo").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("cut off")
                .willReturn(aResponse().withStatus(204).withFixedDelay((int) HELD.toMillis())));
        upstream.stubFor(delete("/orders/one").inScenario("undo").whenScenarioStateIs("cut off").willReturn(aResponse().withStatus(204)));
        upstream.stubFor(get("/missing").willReturn(aResponse().withStatus(404)));
        String base = "http://127.0.0.1:" + upstream.getPort();
        String plan = """
                {"tasks": [
                  {"id": "first", "tool": "http.request", "args": {"method": "POST", "url": "%1$s/orders/one"},
                   "compensate": {"tool": "http.request", "args": {"method": "DELETE", "url": "%1$s/orders/${first.output.body.id}"}}},
                  {"id": "second", "tool": "http.request", "args": {"method": "POST", "url": "%1$s/orders/two"}, "dependsOn": ["first"],
                   "compensate": {"tool": "http.request", "args": {"method": "DELETE", "url": "%1$s/orders/${second.output.body.id}"}}},
                  {"id": "last", "tool": "http.request", "args": {"url": "%1$s/missing"}, "dependsOn": ["second"]}
                ]}""".formatted(base);

        ServerProcess first = servers.start(dbUrl);
        String runId = first.api().startRun("unwind through a crash", plan).path("id").asText();
        first.api().awaitRun(runId, run -> run.path("status").asText().equals("COMPENSATING")
                && Api.task(run, "second").path("compensation").path("status").asText().equals("SUCCEEDED")
                && Api.task(run, "first").path("compensation").path("status").asText().equals("RUNNING"), AWAIT);
        Api.await(() -> upstream.findAll(deleteRequestedFor(urlEqualTo("/orders/one"))).size(), n -> n == 1, AWAIT,
                "the compensation of 'first' to reach the upstream");
        first.kill();

        ServerProcess second = servers.start(dbUrl);
        JsonNode done = second.api().awaitRun(runId, run -> run.path("status").asText().equals("FAILED"), AWAIT);
        assertEquals("FAILED", done.path("status").asText(), () -> done + "\n" + second.logTail());
        List<String> deletes = upstream.findAll(deleteRequestedFor(anyUrl())).stream()
                .map(r -> r.getUrl() + " " + r.getHeader("Idempotency-Key")).toList();
        assertEquals(List.of("/orders/two " + runId + "/second/compensate", "/orders/one " + runId + "/first/compensate",
                "/orders/one " + runId + "/first/compensate"), deletes, "second undone once; first again, with its key");
        assertEquals(1, Api.task(done, "first").path("compensation").path("attempts").asInt(), "the same attempt, not a new one");

        List<JsonNode> events = second.api().events(runId, null, 10_000);
        for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).path("seq").asLong(), "gap-free events");
        assertEquals(1, count(events, "CompensationStarted", "second"));
        assertEquals(1, count(events, "CompensationSucceeded", "second"));
        assertEquals(2, count(events, "CompensationStarted", "first"), "started before the crash and once again after it");
        assertEquals(1, count(events, "CompensationSucceeded", "first"));
        assertEquals("RunFailed", events.get(events.size() - 1).path("type").asText());
    }

    private static long count(List<JsonNode> events, String type, String taskId) {
        return events.stream().filter(e -> e.path("type").asText().equals(type) && e.path("taskId").asText().equals(taskId)).count();
    }
}
