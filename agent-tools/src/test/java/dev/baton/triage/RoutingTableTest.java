package dev.baton.triage;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The routing table: the demo parses; every mistake is reported with the queue and field; rules and review decide as documented. */
class RoutingTableTest {

    private static final String TABLE = """
            {"queues": [
              {"name": "security", "webhook": "https://hooks.example.com:8443/sec",
               "categories": {"lost_or_stolen_card": "P1", "change_pin": "P4"}},
              {"name": "cards", "categories": {"card_arrival": "P3"}}],
             "slas": {"P1": "PT15M", "P3": "PT8H", "P4": "P1D"},
             "rules": [{"keywords": ["chargeback", "stolen wallet"], "category": "lost_or_stolen_card"}],
             "review": {"threshold": 0.6, "rules": [{"priority": "P1"}]}}
            """;

    @Test
    void theBundledDemoHas77CategoriesIn8QueuesAndAnAutoThreshold() {
        RoutingTable demo = RoutingTable.bundledDemo();
        assertEquals(8, demo.queues().size());
        assertEquals(77, demo.categories().size());
        assertNull(demo.review().threshold(), "auto");
        assertEquals(Duration.ofDays(1), demo.slas().get("P4"));
        assertTrue(demo.webhookHosts().isEmpty());
    }

    @Test
    void routesReviewsAndKeywordRulesDecideAsTheTableSays() {
        RoutingTable t = RoutingTable.parse(TABLE, "routing.json");
        RoutingTable.Route route = t.route("lost_or_stolen_card", null);
        assertEquals("security", route.queue());
        assertEquals("P1", route.priority());
        assertEquals(Duration.ofMinutes(15), route.sla());
        assertEquals("cards", t.route("lost_or_stolen_card", "cards").queue(), "a person may send it to another queue");
        assertEquals("P1", t.route("lost_or_stolen_card", "cards").priority(), "the category keeps its priority");

        assertTrue(t.reviewReason(route, 0.99, "classifier", 0.6).contains("every P1"));
        RoutingTable.Route card = t.route("card_arrival", null);
        assertNull(t.reviewReason(card, 0.61, "classifier", 0.6));
        assertTrue(t.reviewReason(card, 0.59, "classifier", 0.6).contains("below the review threshold 0.60"));
        assertNull(t.reviewReason(card, 0.10, "rule", 0.6), "a keyword rule is certain");

        assertEquals("STOLEN wallet", t.keywordRule("Help, STOLEN wallet in Rome").keyword(), "as found, any case");
        assertNull(t.keywordRule("chargebacks are not a whole-word match"));
        assertEquals(java.util.Set.of("hooks.example.com:8443"), t.webhookHosts());
        assertEquals(3, t.categories().size());
    }

    @Test
    void everyMistakeNamesTheQueueAndField() {
        assertMessage("{\"queues\": [{\"name\": \"cards\", \"categories\": {\"card_arrival\": \"P9\"}}]}",
                "queue 'cards', field 'categories.card_arrival'", "P9");
        assertMessage("{\"queues\": [{\"name\": \"cards\", \"categories\": {}}]}", "queue 'cards', field 'categories'");
        assertMessage("{\"queues\": [{\"name\": \"cards\", \"webhook\": \"ftp://x\", \"categories\": {\"a\": \"P1\"}}]}",
                "queue 'cards', field 'webhook'");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}}, {\"name\": \"b\", \"categories\": {\"x\": \"P2\"}}]}",
                "queue 'b'", "already taken by queue 'a'");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}}], \"slas\": {\"P1\": \"soon\"}}",
                "field 'slas.P1'");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}}], \"review\": {\"threshold\": 2}}",
                "review.threshold");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}}], \"review\": {\"rules\": [{\"queue\": \"b\"}]}}",
                "review.rules[0]", "no queue is named 'b'");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}}], \"rules\": [{\"keywords\": [\"k\"], \"category\": \"y\"}]}",
                "rules[0], field 'category'");
        assertMessage("{\"queues\": [{\"name\": \"a\", \"categories\": {\"x\": \"P1\"}, \"colour\": 1}]}", "queue 'a'", "unknown field 'colour'");
        assertMessage("{\"queues\": [", "routing.json", "not valid JSON");
        assertMessage("{}", "field 'queues'");
    }

    private static void assertMessage(String json, String... fragments) {
        RoutingTableException e = assertThrows(RoutingTableException.class, () -> RoutingTable.parse(json, "routing.json"));
        assertTrue(e.getMessage().startsWith("routing.json"), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }
}
