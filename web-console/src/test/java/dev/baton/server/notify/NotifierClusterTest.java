package dev.baton.server.notify;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.journal.NotificationOutbox;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.PostgresTestDatabase;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import dev.baton.tools.http.HttpRequestTool;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two nodes' notifiers on one PostgreSQL outbox, both sending what is due: every notification
 * reaches the webhook exactly once. Before claims (issue 13) both sent every message they saw due.
 */
class NotifierClusterTest {
    private static final int MESSAGES = 40;

    private WireMockServer hooks;
    private PostgresTestDatabase db;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void start() {
        hooks = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hooks.start();
        // A receiver that takes a moment, as real ones do: long enough for two senders to overlap.
        hooks.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200).withFixedDelay(30)));
        db = PostgresTestDatabase.create();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
        hooks.stop();
        if (db != null) db.close();
    }

    /** One node: its Vert.x, its journal's pool on the shared database, its notifier. */
    private Notifier node(NotificationRules rules) {
        Vertx vertx = Vertx.vertx();
        closing.add(() -> vertx.close().await(10, TimeUnit.SECONDS));
        Journal journal = Journals.open(db.url(), null);
        closing.add(journal);
        ToolRegistry tools = new ToolRegistry();
        BuiltinTools.register(tools, ToolSettings.allowingHosts("127.0.0.1"));
        Notifier notifier = Notifier.start(vertx, journal, tools.find(HttpRequestTool.NAME).orElseThrow(), rules, Clock.systemUTC());
        closing.add(notifier);
        return notifier;
    }

    @Test
    void twoNodesSendEveryNotificationOnce() throws Exception {
        NotificationRules rules = NotificationRules.parse("""
                {"checkEvery": "50ms", "retry": {"maxAttempts": 5, "initialBackoff": "100ms", "maxBackoff": "200ms"},
                 "rules": [{"name": "failures", "on": "run_failed", "webhook": "http://127.0.0.1:%d/hook"}]}"""
                .formatted(hooks.port()), Set.of("127.0.0.1"));
        Notifier a = node(rules);
        Notifier b = node(rules);
        NotificationOutbox outbox = a.outbox();
        Instant now = Instant.now();
        for (int i = 0; i < MESSAGES; i++) {
            outbox.add("failures", "run-" + i, "http://127.0.0.1:" + hooks.port() + "/hook", "{\"n\": " + i + "}", now);
        }
        Await.until("every notification sent", Duration.ofSeconds(60),
                () -> outbox.counts().getOrDefault(NotificationOutbox.SENT, 0L), sent -> sent == MESSAGES);
        // Stop both (a send under way finishes first), then count what arrived.
        a.close();
        b.close();
        Map<String, Integer> arrivals = new TreeMap<>();
        for (LoggedRequest r : hooks.findAll(postRequestedFor(urlEqualTo("/hook")))) arrivals.merge(r.getBodyAsString(), 1, Integer::sum);
        Map<String, Integer> twice = new TreeMap<>(arrivals);
        twice.values().removeIf(n -> n == 1);
        assertEquals(Map.of(), twice, "notifications that arrived more than once");
        assertEquals(MESSAGES, arrivals.size(), arrivals.toString());
        assertEquals(MESSAGES, a.sent() + b.sent(), "sends the two notifiers counted");
    }
}
