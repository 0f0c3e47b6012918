package dev.baton.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifications across kill -9: the outbox in the journal's database keeps a notification that
 * was not yet accepted, and the catch-up at start stores one whose event became durable just
 * before a crash; neither is lost, and a notification already sent is not sent again.
 */
class NotificationCrashTest {
    WireMockServer hooks;
    Path rulesFile;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("notification-crash");

    @BeforeEach
    void setUp() throws IOException {
        hooks = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hooks.start();
        hooks.stubFor(post(urlEqualTo("/upstream/down")).willReturn(aResponse().withStatus(404)));
        rulesFile = servers.dataDir().resolve("notifications.json");
        Files.writeString(rulesFile, """
                {"checkEvery": "100ms",
                 "retry": {"maxAttempts": 50, "initialBackoff": "200ms", "maxBackoff": "300ms"},
                 "rules": [{"name": "failures", "on": "run_failed", "webhook": "http://127.0.0.1:%d/hook/failures"}]}"""
                .formatted(hooks.port()));
    }

    @AfterEach
    void tearDown() {
        hooks.stop();
    }

    private ServerProcess start(boolean withRules) {
        return servers.start(null, withRules ? List.of("--notifications", rulesFile.toString()) : List.of(), List.of());
    }

    private String failingRun(Api api, String goal) {
        String plan = """
                {"tasks": [{"id": "call", "tool": "http.request",
                            "args": {"method": "POST", "url": "http://127.0.0.1:%d/upstream/down"}, "retry": {"maxAttempts": 1}}]}"""
                .formatted(hooks.port());
        String id = api.startRun(goal, plan).path("id").asText();
        api.awaitRunStatus(id, "FAILED");
        return id;
    }

    private List<LoggedRequest> sendsAbout(String runId) {
        return hooks.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/hook/failures"))).stream()
                .filter(r -> r.getBodyAsString().contains("\"runId\":\"" + runId + "\"")).toList();
    }

    private List<LoggedRequest> awaitSends(String runId, int count) {
        return Api.await(() -> sendsAbout(runId), l -> l.size() >= count, Duration.ofSeconds(20),
                count + " webhook request(s) about " + runId);
    }

    /** The outbox's SENT count as /metrics shows it. */
    private static double sentInOutbox(Api api) {
        for (String line : api.get("/metrics").body().split("\n")) {
            if (line.startsWith("baton_notifications{status=\"SENT\"} ")) return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
        }
        return -1;
    }

    @Test
    void aNotificationPendingAtACrashIsSentOnceAfterTheRestart() {
        hooks.stubFor(post(urlEqualTo("/hook/failures")).willReturn(aResponse().withStatus(503)));
        ServerProcess first = start(true);
        String runId = failingRun(first.api(), "crash while the webhook is down");
        awaitSends(runId, 2); // stored, tried, retried: it is in the outbox
        first.kill();

        hooks.stubFor(post(urlEqualTo("/hook/failures")).willReturn(aResponse().withStatus(200)));
        int before = sendsAbout(runId).size();
        ServerProcess second = start(true);
        awaitSends(runId, before + 1);
        Api.await(() -> sentInOutbox(second.api()), n -> n >= 1, Duration.ofSeconds(10), "the outbox to record the send");
        // a later notification goes out after it; the first is not sent again
        String later = failingRun(second.api(), "a later failure");
        awaitSends(later, 1);
        List<LoggedRequest> sends = sendsAbout(runId);
        assertEquals(before + 1, sends.size(), "the 503s before the crash and one accepted send after it");
        assertEquals(1, sends.stream().map(r -> r.getHeader("Idempotency-Key")).distinct().count(),
                "every attempt, before and after the crash, has the same Idempotency-Key");
    }

    @Test
    void anEventDurableBeforeTheCrashIsNotifiedByTheCatchUpAndOnlyOnce() {
        hooks.stubFor(post(urlEqualTo("/hook/failures")).willReturn(aResponse().withStatus(200)));
        // A run that failed while no notification was stored (as if the process died between the
        // event's commit and the outbox write): here, a server without rules.
        ServerProcess first = start(false);
        String runId = failingRun(first.api(), "failed before the crash");
        first.kill();
        assertEquals(0, sendsAbout(runId).size());

        ServerProcess second = start(true);
        awaitSends(runId, 1);
        Api.await(() -> sentInOutbox(second.api()), n -> n >= 1, Duration.ofSeconds(10), "the outbox to record the send");
        second.kill();

        ServerProcess third = start(true);
        String later = failingRun(third.api(), "after two restarts");
        awaitSends(later, 1); // the catch-up ran before this run's events
        assertEquals(1, sendsAbout(runId).size(), "caught up once; the next start found it sent");
        assertTrue(sendsAbout(later).get(0).getBodyAsString().contains("after two restarts"));
    }
}
