package dev.baton.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.Cluster;
import dev.baton.server.testing.ServerProcess;
import dev.baton.server.testing.ServerProcesses;
import dev.baton.server.testing.UpstreamCalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tickets ({@code POST /api/tickets} with an {@code Idempotency-Key}) posted to different nodes of a
 * cluster are created once (the same key on another node gives the same ticket) and delivered once
 * each to their queue's webhook, also when a node dies while its tickets wait to be delivered (the
 * webhook answers 503 until that node is dead; the delivery's retries are carried on elsewhere).
 *
 * <p>Model-free and classifier-free: a keyword rule of the routing table classifies the tickets.
 */
class ClusterTicketsTest {
    private static final int TICKETS_PER_NODE = 2;
    private static final Duration AWAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final WireMockExtension hooks = WireMockExtension.newInstance().options(options().dynamicPort().bindAddress("127.0.0.1")).build();

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses("cluster-tickets");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void ticketsPostedToDifferentNodesAreDeliveredOnceEachAcrossANodesDeath() throws IOException {
        hooks.stubFor(post(urlPathEqualTo("/hooks/cards")).willReturn(aResponse().withStatus(503).withBody("down for now")));
        Path routing = routingTable(servers.logDir());
        Cluster cluster = Cluster.start(servers, 3, List.of("--routing", routing.toString()));
        cluster.awaitMembers(3);

        Map<String, String> ticketByKey = new LinkedHashMap<>();
        int i = 0;
        for (ServerProcess node : cluster.live()) {
            for (int k = 0; k < TICKETS_PER_NODE; k++, i++) {
                String key = "ticket-" + i;
                Api.Response r = node.api().post("/api/tickets", Json.write(ticket(i)), "application/json", key);
                assertEquals(202, r.status(), r.body());
                ticketByKey.put(key, r.json().path("id").asText());
            }
        }
        // The same key on another node: the same ticket, not a second one.
        Api.Response again = cluster.node(3).api().post("/api/tickets", Json.write(ticket(0)), "application/json", "ticket-0");
        assertTrue(again.status() == 200 || again.status() == 202, again.body());
        assertEquals(ticketByKey.get("ticket-0"), again.json().path("id").asText(), "one key, one ticket, whichever node: " + again.body());

        // Every ticket has tried its webhook (and met the 503): its delivery now waits on a retry timer.
        Api.await(() -> deliveredTicketIds(), ids -> ids.containsAll(ticketByKey.values()), AWAIT,
                "every ticket to try its webhook");
        String firstRun = cluster.node(1).api().get("/api/tickets/" + ticketByKey.get("ticket-0")).json().path("runId").asText();
        ServerProcess victim = Api.await(() -> cluster.owner(firstRun), o -> o != null, AWAIT, "the ticket's run to have an owner");
        ClusterTakeoverTest.say("killing " + cluster.name(victim) + ", owner of ticket-0's run " + firstRun);
        victim.kill();
        hooks.stubFor(post(urlPathEqualTo("/hooks/cards")).willReturn(aResponse().withStatus(200).withBody("{}")
                .withHeader("Content-Type", "application/json")));

        ServerProcess reader = cluster.live().get(0);
        for (String id : ticketByKey.values()) {
            JsonNode t = Api.await(() -> reader.api().get("/api/tickets/" + id).json(),
                    ticket -> "DELIVERED".equals(ticket.path("delivery").asText()) || "FAILED".equals(ticket.path("status").asText()),
                    AWAIT, "ticket " + id + " to be delivered");
            assertEquals("ROUTED", t.path("status").asText(), t.toString());
            assertEquals("DELIVERED", t.path("delivery").asText(), t.toString());
            assertEquals("cards", t.path("queue").asText(), t.toString());
        }
        JsonNode listed = reader.api().get("/api/tickets?limit=500").json().path("tickets");
        assertEquals(ticketByKey.size(), listed.size(), "one ticket per key: " + listed);

        // Once each: one key per ticket, and one successful delivery per key.
        List<UpstreamCalls.Call> calls = UpstreamCalls.of(hooks, "/hooks/cards");
        var byKey = UpstreamCalls.byKey(calls);
        UpstreamCalls.assertOnceEach(byKey, "/hooks/cards");
        assertEquals(ticketByKey.size(), byKey.size(), "one delivery key per ticket: " + byKey.keySet());
        Map<String, Set<String>> keysByTicket = hooks.getAllServeEvents().stream()
                .collect(Collectors.groupingBy(e -> ticketId(e.getRequest().getBodyAsString()),
                        Collectors.mapping(e -> e.getRequest().getHeader("Idempotency-Key"), Collectors.toSet())));
        keysByTicket.forEach((ticket, keys) -> assertEquals(1, keys.size(), "ticket " + ticket + " was delivered under one key: " + keys));
        assertEquals(Set.copyOf(ticketByKey.values()), keysByTicket.keySet());
    }

    private List<String> deliveredTicketIds() {
        List<String> ids = new ArrayList<>();
        hooks.getAllServeEvents().forEach(e -> ids.add(ticketId(e.getRequest().getBodyAsString())));
        return ids;
    }

    private static String ticketId(String body) {
        try {
            return Json.parse(body).path("ticket").path("ticketId").asText();
        } catch (IOException e) {
            throw new AssertionError("a delivery that is not JSON: " + body, e);
        }
    }

    private static ObjectNode ticket(int i) {
        ObjectNode t = Json.object();
        t.put("subject", "cluster ticket " + i);
        t.put("body", "Ticket " + i + " about the cluster: my new card has not arrived yet.");
        return t;
    }

    /** The bundled routing table, with a webhook on "cards", a fixed threshold, and the keyword "cluster" sending tickets to cards. */
    private static Path routingTable(Path dir) throws IOException {
        ObjectNode table;
        try (InputStream in = ClusterTicketsTest.class.getResourceAsStream("/dev/baton/triage/banking77/routing.json")) {
            table = (ObjectNode) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        for (JsonNode q : table.get("queues")) {
            if (q.get("name").asText().equals("cards")) ((ObjectNode) q).put("webhook", "http://127.0.0.1:" + hooks.getPort() + "/hooks/cards");
        }
        ((ObjectNode) table.get("review")).put("threshold", 0.4);
        ArrayNode rules = table.putArray("rules");
        rules.addObject().put("category", "card_arrival").putArray("keywords").add("cluster");
        Files.createDirectories(dir);
        Path file = dir.resolve("routing.json");
        Files.writeString(file, table.toPrettyString());
        return file;
    }
}
