package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /api/runs: newest first, paged with limit and cursor without duplicates or gaps, filtered by status. */
class RunListingApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();
    /** In creation order. */
    static final List<String> created = new ArrayList<>();
    static final Set<String> succeeded = new LinkedHashSet<>();
    static final Set<String> failed = new LinkedHashSet<>();
    static final java.util.Map<String, String> goals = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        for (int i = 0; i < 7; i++) {
            boolean fail = i == 2 || i == 5;
            // a host off the allowlist fails at once and for good
            String plan = fail
                    ? "{\"tasks\": [{\"id\": \"a\", \"tool\": \"http.request\", \"args\": {\"method\": \"GET\", \"url\": \"http://example.invalid/x\"}}]}"
                    : "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {\"n\": " + i + "}}]}";
            String id = api.startRun("run " + i, plan).path("id").asText();
            created.add(id);
            goals.put(id, "run " + i);
            (fail ? failed : succeeded).add(id);
        }
        for (String id : created) awaitListed(id, failed.contains(id) ? "FAILED" : "SUCCEEDED");
    }

    /** Waits until the runs list (the journal's view, a moment behind GET /api/runs/{id}) shows the run in this status. */
    static void awaitListed(String runId, String status) {
        api.awaitRunStatus(runId, status);
        Api.await(() -> api.get("/api/runs?limit=500").json().path("runs"), runs -> {
            for (JsonNode run : runs) if (run.path("id").asText().equals(runId)) return run.path("status").asText().equals(status);
            return false;
        }, java.time.Duration.ofSeconds(10), "run " + runId + " listed as " + status);
    }

    /** Every page of the query, following {@code next} until it is null. */
    private static List<JsonNode> pages(String query) {
        List<JsonNode> pages = new ArrayList<>();
        String cursor = null;
        do {
            String path = "/api/runs?" + query + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            Api.Response response = api.get(path);
            assertEquals(200, response.status(), response.body());
            JsonNode page = response.json();
            pages.add(page);
            cursor = page.path("next").isNull() ? null : page.path("next").asText();
            assertTrue(pages.size() < 100, "paging does not end");
        } while (cursor != null);
        return pages;
    }

    private static List<String> ids(List<JsonNode> pages) {
        List<String> ids = new ArrayList<>();
        for (JsonNode page : pages) for (JsonNode run : page.path("runs")) ids.add(run.path("id").asText());
        return ids;
    }

    private static void assertNewestFirst(List<JsonNode> pages) {
        Instant previous = Instant.MAX;
        for (JsonNode page : pages) {
            for (JsonNode run : page.path("runs")) {
                Instant at = Instant.parse(run.path("createdAt").asText());
                assertFalse(at.isAfter(previous), "newest first: " + run + " comes after a run created at " + previous);
                previous = at;
            }
        }
    }

    @Test
    void pagingWithALimitVisitsEveryRunOnceNewestFirst() {
        List<JsonNode> pages = pages("limit=3");
        List<Integer> sizes = new ArrayList<>();
        for (int left = created.size(); left > 0; left -= 3) sizes.add(Math.min(3, left));
        assertEquals(sizes, pages.stream().map(p -> p.path("runs").size()).toList(), created.size() + " runs in pages of 3");
        assertTrue(pages.get(pages.size() - 1).path("next").isNull(), "next is null on the last page");
        List<String> ids = ids(pages);
        assertEquals(ids.size(), new HashSet<>(ids).size(), "no duplicates: " + ids);
        assertEquals(new HashSet<>(created), new HashSet<>(ids), "no gaps");
        assertNewestFirst(pages);
        java.util.Map<String, Instant> createdAt = new java.util.HashMap<>();
        for (JsonNode page : pages) for (JsonNode run : page.path("runs")) createdAt.put(run.path("id").asText(), Instant.parse(run.path("createdAt").asText()));
        // (runs created in the same millisecond may come in either order)
        assertEquals(createdAt.get(created.get(created.size() - 1)), createdAt.get(ids.get(0)), "the newest run comes first");
        assertEquals(createdAt.get(created.get(0)), createdAt.get(ids.get(ids.size() - 1)), "the oldest run comes last");
        assertEquals(ids, ids(pages("limit=500")), "paging and one big page agree on the order");
    }

    @Test
    void aPageHoldsRunSummaries() {
        JsonNode page = api.get("/api/runs?limit=1").json();
        JsonNode run = page.path("runs").get(0);
        assertTrue(created.contains(run.path("id").asText()), run.toString());
        assertEquals(goals.get(run.path("id").asText()), run.path("goal").asText());
        assertEquals(failed.contains(run.path("id").asText()) ? "FAILED" : "SUCCEEDED", run.path("status").asText());
        assertFalse(Instant.parse(run.path("updatedAt").asText()).isBefore(Instant.parse(run.path("createdAt").asText())));
        assertFalse(page.path("next").isNull(), "more runs follow");
    }

    @Test
    void runsCreatedWhilePagingDoNotShiftThePages() {
        Api.Response first = api.get("/api/runs?limit=3");
        List<String> ids = new ArrayList<>();
        for (JsonNode run : first.json().path("runs")) ids.add(run.path("id").asText());
        String newcomer = api.startRun("newcomer", "{\"tasks\": [{\"id\": \"a\", \"tool\": \"echo\", \"args\": {}}]}").path("id").asText();
        try {
            String cursor = first.json().path("next").asText();
            while (cursor != null) {
                JsonNode page = api.get("/api/runs?limit=3&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)).json();
                for (JsonNode run : page.path("runs")) ids.add(run.path("id").asText());
                cursor = page.path("next").isNull() ? null : page.path("next").asText();
            }
            assertEquals(created.size(), ids.size(), "no duplicates and no gaps while a run was created: " + ids);
            assertEquals(new HashSet<>(created), new HashSet<>(ids));
            assertFalse(ids.contains(newcomer), "the newer run belongs before the first page, not after it");
            assertEquals(newcomer, api.get("/api/runs?limit=1").json().path("runs").get(0).path("id").asText());
        } finally {
            awaitListed(newcomer, "SUCCEEDED");
            created.add(newcomer);
            goals.put(newcomer, "newcomer");
            succeeded.add(newcomer);
        }
    }

    @Test
    void theStatusFilterListsOnlyRunsInThatStatus() {
        List<JsonNode> failedPages = pages("status=FAILED&limit=1");
        List<String> newestFirst = new ArrayList<>(failed);
        java.util.Collections.reverse(newestFirst);
        assertEquals(newestFirst, ids(failedPages), "the failed runs, newest first");
        for (JsonNode page : failedPages) for (JsonNode run : page.path("runs")) assertEquals("FAILED", run.path("status").asText());

        List<String> succeededIds = ids(pages("status=SUCCEEDED&limit=2"));
        assertEquals(new HashSet<>(succeeded), new HashSet<>(succeededIds));
        assertEquals(succeeded.size(), succeededIds.size());
        assertEquals(0, api.get("/api/runs?status=CANCELLED").json().path("runs").size());
        assertTrue(api.get("/api/runs?status=CANCELLED").json().path("next").isNull());
    }
}
