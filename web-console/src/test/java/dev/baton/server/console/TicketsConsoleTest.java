package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.triage.ExamplesCsv;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.TicketClassifiers;
import dev.baton.server.Config;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import dev.baton.server.testing.Tokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's /tickets page in a real headless Chromium against a real server that triages
 * without a model: tickets posted through the API listed with their fields and SLA countdown,
 * the review inbox (Enter confirms, the searchable picker corrects), decisions made elsewhere
 * showing live, untrusted subjects shown as text, the filters and pages, and the roles.
 */
class TicketsConsoleTest {
    /** BANKING77 examples per category given to the classifier: enough to classify, cheap to embed. */
    static final int EXAMPLES_PER_CATEGORY = 15;
    /** Embeddings are cached by content, so every test run after the first embeds nothing. */
    static final Path CACHE = Path.of("target", "triage-cache");
    /**
     * Below this confidence a ticket waits for review (the test's routing table fixes it, not
     * "auto"). High, so that a ticket of made-up words waits for review whatever the classifier
     * learned from the tests' earlier decisions (it learns from every confirmation, so after a few
     * the next made-up ticket can look familiar enough to pass a lower threshold).
     */
    static final double THRESHOLD = 0.99;
    static final java.util.Random RANDOM = new java.util.Random(77);

    /**
     * Text no banking intent resembles, so the classifier is unsure of it; new words each time,
     * since after a person routes one such ticket the classifier routes the next one like it the
     * same way (as it should).
     */
    static String gibberish() {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 4; w++) {
            if (w > 0) text.append(' ');
            for (int c = 0, n = 4 + RANDOM.nextInt(4); c < n; c++) text.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return text.toString();
    }

    static Path fixtures;
    /**
     * One server for the class, with tokens (one classifier to train, which takes a minute on a
     * busy machine).
     */
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        fixtures = Files.createTempDirectory("baton-tickets-ui-");
        return config().withTokens(Tokens.all());
    });
    static final Api api = servers.api().as(Tokens.ADMIN);
    Browser.Tab tab;
    Page page;

    /** A first ticket waits until the classifier is ready, so the tests' own tickets are triaged at once. */
    @BeforeAll
    static void start() {
        JsonNode warmUp = post(api, "I am still waiting on my card?", null);
        Api.await(() -> api.get("/api/tickets/" + warmUp.path("id").asText()).json(),
                t -> !"TRIAGING".equals(t.path("status").asText()), Duration.ofMinutes(4), "the classifier to be ready");
    }

    @BeforeEach
    void openTab() {
        tab = signedIn(Tokens.ADMIN);
        page = tab.page;
    }

    /** A tab whose pages use this token (as if typed into the console's sign-in form). */
    private static Browser.Tab signedIn(String token) {
        Browser.Tab t = servers.browser().open(api.base());
        t.context.addInitScript("sessionStorage.setItem('baton.token', " + Json.write(token) + ")");
        return t;
    }

    @AfterEach
    void closeTab() {
        tab.close();
    }

    /**
     * The triage settings of the tests: the first 15 examples of each category of the bundled
     * BANKING77 train.csv (as TicketsApiTest, so both share the embedding cache in
     * target/triage-cache and the second embeds nothing) and the demo routing table with a fixed
     * review threshold rather than "auto".
     */
    static Config config() throws IOException {
        Path examples = fixtures.resolve("examples.csv");
        Path routingFile = fixtures.resolve("routing.json");
        if (!Files.exists(examples)) {
            List<LabelledExample> all = ExamplesCsv.parse(bundled(TicketClassifiers.BUNDLED_EXAMPLES), "train.csv");
            Map<String, Integer> taken = new HashMap<>();
            List<LabelledExample> train = new ArrayList<>();
            for (LabelledExample e : all) if (taken.merge(e.category(), 1, Integer::sum) <= EXAMPLES_PER_CATEGORY) train.add(e);
            Files.writeString(examples, ExamplesCsv.format(train));
            ObjectNode routing = (ObjectNode) Json.parse(bundled("/dev/baton/triage/banking77/routing.json"));
            routing.putObject("review").put("threshold", THRESHOLD);
            Files.writeString(routingFile, routing.toPrettyString());
        }
        return TestServer.config().withTriage(new Config.TriageConfig(routingFile, examples, null, CACHE.toAbsolutePath()));
    }

    static String bundled(String resource) throws IOException {
        try (InputStream in = TicketClassifiers.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Posts a ticket and waits for its triage; returns the ticket as the API has it then. */
    static JsonNode ticket(Api client, String subject, String body) {
        JsonNode ticket = post(client, subject, body);
        if ("TRIAGING".equals(ticket.path("status").asText())) {
            String id = ticket.path("id").asText();
            ticket = Api.await(() -> client.get("/api/tickets/" + id).json(), t -> !"TRIAGING".equals(t.path("status").asText()),
                    Duration.ofSeconds(60), "ticket " + id + " triaged");
        }
        return ticket;
    }

    private static JsonNode post(Api client, String subject, String body) {
        var request = Json.object();
        request.put("subject", subject);
        if (body != null) request.put("body", body);
        request.put("externalId", "ui-" + UUID.randomUUID());
        Api.Response response = client.post("/api/tickets?wait=PT10S", request);
        assertEquals(200, response.status(), "POST /api/tickets?wait: " + response.body());
        return response.json();
    }

    static JsonNode awaitTicket(Api client, String id, String status) {
        return Api.await(() -> client.get("/api/tickets/" + id).json(), t -> status.equals(t.path("status").asText()),
                Duration.ofSeconds(30), "ticket " + id + " " + status);
    }

    private Locator row(String id) {
        return page.locator("tr[data-ticket-id=\"" + id + "\"]");
    }

    private Locator review(String id) {
        return page.locator("#review li[data-ticket-id=\"" + id + "\"]");
    }

    private Locator detail() {
        return page.locator("#ticket-detail");
    }

    private static Locator button(Locator scope, String name) {
        return scope.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName(name).setExact(true));
    }

    private void assertQuietPage() {
        assertEquals(List.of(), tab.errors, "console errors");
        assertEquals(List.of(), tab.dialogs, "dialogs");
    }

    @Test
    void ticketsPostedThroughTheApiAreListedWithTheirFieldsAndNewOnesAppearLive() {
        JsonNode card = ticket(api, "I am still waiting on my card?", "It has been a week since I ordered it.");
        JsonNode stolen = ticket(api, "I lost my wallet and all my cards were in it.", null);
        if (!"ROUTED".equals(card.path("status").asText())) {
            // confirmed, so that it has an SLA running (the SLA starts when a ticket is routed)
            Api.Response confirmed = api.post("/api/tickets/" + card.path("id").asText() + "/route",
                    Map.of("category", card.path("category").asText()));
            assertEquals(200, confirmed.status(), confirmed.body());
            card = awaitTicket(api, card.path("id").asText(), "ROUTED");
        }
        page.clock().install();
        page.navigate("/tickets");
        for (JsonNode t : List.of(card, stolen)) {
            Locator tr = row(t.path("id").asText());
            assertThat(tr).hasAttribute("data-status", t.path("status").asText());
            assertThat(tr.locator("td.subject")).hasText(t.path("subject").asText());
            assertThat(tr.locator("td.category")).hasText(t.path("category").asText());
            assertThat(tr.locator("td.queue")).hasText(t.path("queue").asText());
            assertThat(tr.locator("td.priority")).hasText(t.path("priority").asText());
            assertThat(tr.locator("td.confidence")).hasText(Math.round(t.path("confidence").asDouble() * 100) + "%");
        }
        // the SLA counts down in the page: a quarter of an hour later it shows less time left
        Locator sla = row(card.path("id").asText()).locator("td.sla");
        assertThat(sla).hasText(java.util.regex.Pattern.compile("^\\d+ (min|h|d) \\d+"));
        String before = sla.textContent();
        page.clock().fastForward("15:00");
        assertThat(sla).not().hasText(before);
        page.evaluate("() => { window.sameDocument = true; }");

        JsonNode later = ticket(api, "How do I top up my account by card?", null);
        assertThat(row(later.path("id").asText())).hasAttribute("data-status", later.path("status").asText());
        assertEquals(true, page.evaluate("() => window.sameDocument === true"), "shown live, without a reload");
        tab.screenshot("tickets-list");
        assertQuietPage();
    }

    @Test
    void aTicketBatonIsUnsureOfIsConfirmedInTheInboxWithTheEnterKey() {
        JsonNode unsure = ticket(api, gibberish(), null);
        String id = unsure.path("id").asText();
        assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), "below the threshold: " + unsure);
        assertTrue(unsure.path("confidence").asDouble() < THRESHOLD, unsure.toString());
        page.navigate("/tickets");
        Locator item = review(id);
        assertThat(item).hasAttribute("data-status", "AWAITING_APPROVAL");
        assertThat(item.locator("code.proposed")).hasText(unsure.path("category").asText());
        assertThat(button(item, "Confirm")).isVisible();
        // one picker for the page, in the detail pane of the selected ticket (not one per card)
        item.focus();
        assertThat(detail()).hasAttribute("data-ticket-id", id);
        assertThat(button(detail(), "Route")).isVisible();
        assertThat(page.locator("select.category-pick")).hasCount(1);
        tab.screenshot("tickets-review-inbox");

        item.focus();
        page.keyboard().press("Enter");
        assertThat(item).hasCount(0);
        assertThat(row(id)).hasAttribute("data-status", "ROUTED");
        JsonNode routed = awaitTicket(api, id, "ROUTED");
        assertEquals(unsure.path("category").asText(), routed.path("category").asText(), "confirmed as proposed");
        assertThat(row(id).locator("td.category")).hasText(routed.path("category").asText());
        assertQuietPage();
    }

    @Test
    void aTicketIsCorrectedThroughTheSearchablePickerAndShowsItsNewCategoryAndQueue() {
        JsonNode unsure = ticket(api, gibberish(), null);
        String id = unsure.path("id").asText();
        assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
        page.navigate("/tickets");
        Locator item = review(id);
        item.locator("h2").click(); // selects it: the detail pane's picker decides for the selected ticket
        assertThat(detail()).hasAttribute("data-ticket-id", id);
        Locator search = detail().getByLabel("Category", new Locator.GetByLabelOptions().setExact(true));
        search.fill("stolen card");
        Locator options = detail().locator("select.category-pick option");
        assertThat(options).hasCount(1);
        assertThat(options.first()).hasAttribute("value", "lost_or_stolen_card");
        detail().getByLabel("Comment (optional)").fill("a lost card, surely");
        tab.screenshot("tickets-review-picker");
        button(detail(), "Route").click();

        assertThat(item).hasCount(0);
        assertThat(row(id)).hasAttribute("data-status", "ROUTED");
        assertThat(row(id).locator("td.category")).hasText("lost_or_stolen_card");
        assertThat(row(id).locator("td.queue")).hasText("security");
        JsonNode routed = awaitTicket(api, id, "ROUTED");
        assertEquals("lost_or_stolen_card", routed.path("category").asText());
        assertEquals("security", routed.path("queue").asText());
        assertQuietPage();
    }

    @Test
    void theSearchIsDrivenByTheKeyboardAlone() {
        JsonNode unsure = ticket(api, gibberish(), null);
        String id = unsure.path("id").asText();
        assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
        page.navigate("/tickets");
        Locator item = review(id);
        assertThat(item).isVisible();
        item.focus();
        page.keyboard().press("c"); // c corrects: the page's one picker, for the selected ticket
        assertThat(page.locator("#category-search")).isFocused();
        page.keyboard().type("exchange rate");
        page.keyboard().press("Enter");
        assertThat(item).hasCount(0);
        JsonNode routed = awaitTicket(api, id, "ROUTED");
        assertTrue(routed.path("category").asText().contains("exchange_rate"), routed.toString());
        assertQuietPage();
    }

    @Test
    void aReviewerWorksThroughTheInboxWithEnterAlone() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            JsonNode unsure = ticket(api, gibberish(), null);
            assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
            ids.add(unsure.path("id").asText());
        }
        page.navigate("/tickets");
        for (String id : ids) assertThat(review(id)).isVisible();
        // the inbox lists the newest first; k moves up to the previous ticket
        review(ids.get(0)).focus();
        page.keyboard().press("k");
        assertEquals(ids.get(1), page.evaluate("() => document.activeElement.dataset.ticketId"));
        page.keyboard().press("Enter");
        assertThat(review(ids.get(1))).hasCount(0);
        // the focus moved on to the next ticket, so the next Enter decides that one
        assertThat(review(ids.get(0))).isFocused();
        page.keyboard().press("Enter");
        assertThat(review(ids.get(0))).hasCount(0);
        for (String id : ids) awaitTicket(api, id, "ROUTED");
        assertQuietPage();
    }

    @Test
    void aDecisionMadeElsewhereShowsUpLive() {
        JsonNode unsure = ticket(api, gibberish(), null);
        String id = unsure.path("id").asText();
        assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
        page.navigate("/tickets");
        assertThat(review(id)).isVisible();
        page.evaluate("() => { window.sameDocument = true; }");
        Api.Response decided = api.post("/api/tickets/" + id + "/route", Map.of("category", "card_arrival"));
        assertEquals(200, decided.status(), decided.body());
        assertThat(review(id)).hasCount(0);
        assertThat(row(id).locator("td.category")).hasText("card_arrival");
        assertThat(row(id)).hasAttribute("data-status", "ROUTED");
        assertEquals(true, page.evaluate("() => window.sameDocument === true"), "no reload");
        assertQuietPage();
    }

    @Test
    void aSubjectWithMarkupIsShownAsText() {
        String subject = "<img src=x onerror=alert(1)> my card <b>never</b> came";
        JsonNode t = ticket(api, subject, "<script>window.pwned=1</script>");
        page.navigate("/tickets");
        assertThat(row(t.path("id").asText()).locator("td.subject")).hasText(subject);
        if ("AWAITING_APPROVAL".equals(t.path("status").asText())) assertThat(review(t.path("id").asText()).locator("h2")).hasText(subject);
        assertEquals(0, page.locator("main img").count());
        assertEquals(0, page.locator("main b").count());
        assertEquals("undefined", page.evaluate("() => typeof window.pwned"));
        assertQuietPage();
    }

    @Test
    void theFiltersAndPagesNarrowTheList() {
        JsonNode stolen = ticket(api, "My card was stolen yesterday, please block it", null);
        JsonNode unsure = ticket(api, gibberish(), null);
        assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
        String queue = stolen.path("queue").asText();
        assertFalse(queue.isEmpty(), stolen.toString());

        page.navigate("/tickets");
        page.locator("#queue-filter").selectOption(queue);
        page.waitForURL("**/tickets?queue=" + queue);
        assertThat(row(stolen.path("id").asText())).isVisible();
        for (String other : page.locator("#ticket-list tr[data-ticket-id] td.queue").allTextContents()) assertEquals(queue, other);

        page.navigate("/tickets");
        page.locator("#ticket-status-filter").selectOption("AWAITING_APPROVAL");
        page.waitForURL("**/tickets?status=AWAITING_APPROVAL");
        assertThat(row(unsure.path("id").asText())).isVisible();
        if (!"AWAITING_APPROVAL".equals(stolen.path("status").asText())) assertThat(row(stolen.path("id").asText())).hasCount(0);
        List<?> statuses = (List<?>) page.locator("#ticket-list tr[data-ticket-id]").evaluateAll("rows => rows.map(r => r.dataset.status)");
        assertFalse(statuses.isEmpty());
        for (Object status : statuses) assertEquals("AWAITING_APPROVAL", status);
        tab.screenshot("tickets-filtered");

        // pages of one ticket each, through the API's cursor
        page.navigate("/tickets?limit=1");
        assertThat(page.locator("#ticket-list tr[data-ticket-id]")).hasCount(1);
        String first = page.locator("#ticket-list tr[data-ticket-id]").getAttribute("data-ticket-id");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Older tickets →")).click();
        page.waitForURL("**cursor=**");
        assertThat(page.locator("#ticket-list tr[data-ticket-id]")).hasCount(1);
        assertThat(page.locator("#ticket-list tr[data-ticket-id=\"" + first + "\"]")).hasCount(0);
        assertQuietPage();
    }

    @Test
    void viewersSeeNoActionsAndApproversDecide() {
        {
            JsonNode unsure = ticket(api.as(Tokens.OPERATOR), gibberish(), null);
            String id = unsure.path("id").asText();
            assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
            try (Browser.Tab viewer = servers.browser().open(api.base())) {
                Page p = signIn(viewer, Tokens.VIEWER, "/tickets");
                Locator item = p.locator("#review li[data-ticket-id=\"" + id + "\"]");
                assertThat(item).isVisible();
                assertThat(p.locator("#ticket-list tr[data-ticket-id=\"" + id + "\"]")).isVisible();
                for (String name : List.of("Confirm", "Route")) assertThat(button(p.locator("main"), name)).hasCount(0);
                assertThat(p.locator("#view")).containsText("Deciding needs the approver role");
                viewer.screenshot("tickets-role-viewer");
            }
            try (Browser.Tab approver = servers.browser().open(api.base())) {
                Page p = signIn(approver, Tokens.APPROVER, "/tickets");
                Locator item = p.locator("#review li[data-ticket-id=\"" + id + "\"]");
                button(item, "Confirm").click();
                assertThat(item).hasCount(0);
                assertThat(p.locator("#ticket-list tr[data-ticket-id=\"" + id + "\"]")).hasAttribute("data-status", "ROUTED");
            }
        }
    }

    @Test
    void theTicketsPageHasItsOwnAddressAndTheStrictPolicy() {
        var response = page.navigate("/tickets?status=ROUTED");
        assertEquals(200, response.status());
        String csp = response.headers().get("content-security-policy");
        assertNotNull(csp);
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
        assertThat(page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Tickets").setExact(true)))
                .hasAttribute("aria-current", "page");
        assertThat(page.locator("#ticket-status-filter")).hasValue("ROUTED");
        assertQuietPage();
    }

    // ------------------------------------------------------------------ the detail pane and the keyboard (issue 16)

    /**
     * A reviewer works three tickets with the keyboard alone, from the moment the page is open
     * (no click): / searches, each selected ticket's body shows whole in the detail pane (line
     * breaks kept) with the classifier's top three and an SLA running although it waits for review;
     * Enter confirms, c and a typed search correct, ? lists the keys and Escape closes them. Keys
     * typed into a field are text, not shortcuts.
     */
    @Test
    void aReviewerConfirmsAndCorrectsWithTheKeyboardAloneAndReadsEachBody() {
        String tag = "zjk" + Integer.toString(RANDOM.nextInt(1 << 20), 36) + "q"; // has j and k in it: typed, not obeyed
        List<String> ids = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String body = "Hello,\n" + gibberish() + " " + tag + "\n\nline three of ticket " + i;
            JsonNode unsure = ticket(api, gibberish(), body);
            assertEquals("AWAITING_APPROVAL", unsure.path("status").asText(), unsure.toString());
            ids.add(unsure.path("id").asText());
            bodies.add(body);
        }
        page.navigate("/tickets");
        for (String id : ids) assertThat(review(id)).isVisible();
        // no click: the keys work on the page as it opens
        page.keyboard().press("/");
        assertThat(page.locator("#ticket-search")).isFocused();
        page.keyboard().type(tag);
        assertThat(page.locator("#key-help")).not().isVisible();
        assertThat(page.locator("#review li[data-ticket-id]:visible")).hasCount(3);
        page.keyboard().press("Enter"); // from the search: to the first ticket found, the newest
        assertThat(review(ids.get(2))).isFocused();

        // the newest: its body whole, its top three, its SLA while in review
        assertThat(detail()).hasAttribute("data-ticket-id", ids.get(2));
        Locator body = detail().locator(".ticket-body");
        assertEquals(bodies.get(2), body.evaluate("b => b.textContent"), "the body as text, line breaks kept");
        assertTrue(((Number) body.evaluate("b => b.getBoundingClientRect().height")).doubleValue() > 40, "shown on several lines");
        Locator ranked = detail().locator("ol.ranking li");
        assertThat(ranked).hasCount(3);
        JsonNode three = api.get("/api/tickets/" + ids.get(2)).json().get("ranking");
        for (int i = 0; i < 3; i++) {
            assertThat(ranked.nth(i).locator("code")).hasText(three.get(i).get("category").asText());
            assertThat(ranked.nth(i).locator(".probability")).hasText(Math.round(three.get(i).get("confidence").asDouble() * 100) + "%");
        }
        assertThat(detail().locator(".decided-by")).containsText("the classifier");
        java.util.regex.Pattern clock = java.util.regex.Pattern.compile("^\\d+ (min|h|d) \\d+");
        assertThat(detail().locator(".sla-line .sla")).hasText(clock);
        assertThat(review(ids.get(2)).locator(".meta .sla")).hasText(clock);
        assertThat(detail().locator("ol.history li[data-step]")).hasCount(3);
        assertThat(review(ids.get(2)).locator(".excerpt")).containsText(tag);
        tab.screenshot("tickets-detail");

        // Enter confirms the newest; the next one is selected and shown
        page.keyboard().press("Enter");
        assertThat(review(ids.get(2))).hasCount(0);
        assertThat(review(ids.get(1))).isFocused();
        assertThat(detail()).hasAttribute("data-ticket-id", ids.get(1));
        assertEquals(bodies.get(1), detail().locator(".ticket-body").evaluate("b => b.textContent"));

        // c corrects the next one: the picker, a search, Enter
        page.keyboard().press("c");
        assertThat(page.locator("#category-search")).isFocused();
        page.keyboard().type("exchange rate");
        page.keyboard().press("Enter");
        assertThat(review(ids.get(1))).hasCount(0);
        assertThat(review(ids.get(0))).isFocused();
        assertThat(detail()).hasAttribute("data-ticket-id", ids.get(0));
        assertEquals(bodies.get(0), detail().locator(".ticket-body").evaluate("b => b.textContent"));

        // j/k move (the list's rows follow the inbox), and ? shows the keys until Escape
        page.keyboard().press("j");
        assertEquals("TR", page.evaluate("() => document.activeElement.tagName"));
        page.keyboard().press("k");
        assertThat(review(ids.get(0))).isFocused();
        page.keyboard().press("?");
        assertThat(page.locator("#key-help")).isVisible();
        assertThat(page.locator("#key-help")).containsText("Confirm the proposed category");
        page.keyboard().press("Escape");
        assertThat(page.locator("#key-help")).not().isVisible();
        review(ids.get(0)).focus();
        page.keyboard().press("Enter");
        assertThat(review(ids.get(0))).hasCount(0);

        JsonNode confirmed = awaitTicket(api, ids.get(2), "ROUTED");
        assertEquals("confirmation", confirmed.path("method").asText(), confirmed.toString());
        JsonNode corrected = awaitTicket(api, ids.get(1), "ROUTED");
        assertTrue(corrected.path("category").asText().contains("exchange_rate"), corrected.toString());
        awaitTicket(api, ids.get(0), "ROUTED");
        // the detail pane follows: the decided ticket's history names who decided
        assertThat(detail().locator("ol.history li[data-step=decided]")).hasCount(1);
        assertQuietPage();
    }

    /**
     * /tickets/{id} opens the page on that ticket (deep-linkable, not a bare run): its detail pane,
     * its row selected, the history from receipt to routing; a subject in the list links to its
     * ticket's own address, and the triage run stays one small link away.
     */
    @Test
    void aTicketHasItsOwnAddressShowingItsDetail() {
        JsonNode routed = ticket(api, "My card was stolen yesterday, please block it", "It was in my bag.\nThe bag is gone.");
        JsonNode other = ticket(api, "How do I top up my account by card?", null);
        String id = routed.path("id").asText();
        var response = page.navigate("/tickets/" + id);
        assertEquals(200, response.status());
        assertThat(detail()).hasAttribute("data-ticket-id", id);
        assertThat(detail().locator("h2.subject")).hasText(routed.path("subject").asText());
        assertEquals("It was in my bag.\nThe bag is gone.", detail().locator(".ticket-body").evaluate("b => b.textContent"));
        assertThat(page.locator(".selected[data-ticket-id=\"" + id + "\"]")).hasCount(1); // its card in the inbox, else its row
        assertThat(detail().locator("ol.history li[data-step=received]")).hasCount(1);
        assertThat(detail().locator("ol.history li[data-step=classified]")).hasCount(1);
        if ("ROUTED".equals(routed.path("status").asText())) {
            assertThat(detail().locator("ol.history li[data-step=routed]")).hasCount(1);
            assertThat(detail().locator(".sla-line .sla")).hasText(java.util.regex.Pattern.compile("\\d+ (min|h|d)"));
        }
        assertThat(detail().getByRole(AriaRole.LINK, new Locator.GetByRoleOptions().setName("triage run")))
                .hasAttribute("href", "/runs/" + routed.path("runId").asText());
        assertThat(page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Tickets").setExact(true)))
                .hasAttribute("aria-current", "page");

        // the list's subject opens the ticket's own view, in place
        String otherId = other.path("id").asText();
        assertThat(row(otherId).locator("td.subject a")).hasAttribute("href", "/tickets/" + otherId);
        page.evaluate("() => { window.sameDocument = true; }");
        row(otherId).locator("td.subject a").click();
        page.waitForURL("**/tickets/" + otherId);
        assertThat(detail()).hasAttribute("data-ticket-id", otherId);
        assertEquals(true, page.evaluate("() => window.sameDocument === true"), "no reload");
        // and back
        page.goBack();
        page.waitForURL("**/tickets/" + id);
        assertThat(detail()).hasAttribute("data-ticket-id", id);
        // an unknown ticket's address says so
        page.navigate("/tickets/t_nosuch");
        assertThat(page.locator("#notice")).containsText("t_nosuch");
        tab.errors.removeIf(e -> e.contains("404")); // the browser logs the failed fetch of the unknown ticket
        assertQuietPage();
    }

    private static Page signIn(Browser.Tab tab, String token, String path) {
        tab.page.navigate(path);
        tab.page.getByLabel("Token").fill(token);
        tab.page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Use token")).click();
        return tab.page;
    }
}
