package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.json.Json;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat for a newcomer, without a model (goals go to playbooks), in Debian's headless Chromium
 * (issue 16): the suggestion "is my website up?" opens its playbook's input form, which checks
 * what is typed before anything is sent and then runs against a WireMock site; a failed goal comes
 * back editable and runs again as a new run; after a run ends the reply box stays, and a follow-up
 * starts a new run linked to it, the link shown both ways.
 */
class ChatConsoleTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();
    static WireMockServer site;
    Browser.Tab tab;
    Page page;
    /** Every POST /api/runs the page sent. */
    final List<String> runPosts = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startSite() {
        site = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        site.start();
        site.stubFor(get("/health").willReturn(aResponse().withStatus(200).withBody("ok")));
    }

    @AfterAll
    static void stopSite() {
        site.stop();
    }

    @BeforeEach
    void openTab() {
        tab = servers.browser().open(api.base());
        page = tab.page;
        page.onRequest(r -> {
            if (r.method().equals("POST") && r.url().endsWith("/api/runs")) runPosts.add(r.postData());
        });
    }

    @AfterEach
    void closeTab() {
        tab.close();
    }

    static String siteUrl() {
        return "http://127.0.0.1:" + site.port() + "/health";
    }

    private Locator button(String name) {
        return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
    }

    private String runIdInUrl() {
        page.waitForURL(Pattern.compile(".*/\\?run=[^/&]+$"));
        return page.url().replaceAll(".*\\?run=", "");
    }

    @Test
    void theSuggestionOpensThePlaybookFormWhichChecksTheInputAndThenRuns() {
        page.navigate("/");
        button("Use “is my website up?”").click();
        assertThat(page.getByLabel("Goal")).hasValue("is my website up?");
        Locator url = page.getByLabel("url");
        assertThat(url).hasAttribute("type", "url");
        assertThat(url).hasAttribute("aria-required", "true");
        assertThat(page.locator(".schema-card legend").first()).containsText("check-url-health");
        assertThat(page.locator(".schema-field[data-field=url] .field-help")).containsText("BATON_HTTP_ALLOWED_HOSTS");

        // left empty: a message next to the field, and nothing is sent
        button("Start run").click();
        Locator urlError = page.locator("[data-field-error=url]");
        assertThat(urlError).hasText("Required.");
        assertThat(url).hasAttribute("aria-invalid", "true");
        assertThat(page.locator("#start-run p.error[role=alert]")).containsText("Nothing was sent");
        url.fill("not an address");
        button("Start run").click();
        assertThat(urlError).containsText("full address");
        assertEquals(List.of(), runPosts, "a form with errors sends nothing");
        assertTrue(page.url().endsWith("/"), page.url());

        url.fill(siteUrl());
        tab.screenshot("chat-form");
        button("Start run").click();
        String runId = runIdInUrl();
        assertThat(page.locator("#chat li[data-kind=answer]")).isVisible();
        assertThat(page.locator("#chat li[data-kind=progress]")).hasAttribute("data-status", "SUCCEEDED");
        JsonNode run = api.run(runId);
        assertEquals("SUCCEEDED", run.path("status").asText(), run.toString());
        assertEquals("check-url-health", run.path("options").path("playbook").asText(), "the form names its playbook");
        assertEquals(siteUrl(), run.path("input").path("url").asText());
        assertEquals(200, Api.task(run, "report").path("output").path("status").asInt(), run.toString());
        site.verify(getRequestedFor(urlEqualTo("/health")));
        assertEquals(1, runPosts.size(), runPosts.toString());
        assertEquals(List.of(), tab.errors, "console errors");
    }

    @Test
    void aFailedGoalCanBeEditedAndRetriedAsANewRun() {
        page.navigate("/");
        // typed, not picked: the playbook is matched, and the run fails for the missing url (the first click)
        page.getByLabel("Goal").fill("is my website up?");
        button("Start run").click();
        String failedId = runIdInUrl();
        assertThat(page.locator("#chat li[data-kind=failed]")).containsText("input_invalid");
        button("Edit and retry").click();
        page.waitForURL(Pattern.compile(".*/\\?retry=.+$"));
        assertThat(page.getByLabel("Goal")).hasValue("is my website up?");
        assertThat(page.locator(".retry-note")).containsText(failedId);
        // the server's error lands next to the field it names
        assertThat(page.locator("[data-field-error=url]")).hasText("Required.");
        page.getByLabel("url").fill(siteUrl());
        button("Start run").click();
        String retriedId = runIdInUrl();
        assertNotEquals(failedId, retriedId);
        assertEquals("SUCCEEDED", api.awaitRunStatus(retriedId, "SUCCEEDED").path("status").asText());
        assertThat(page.locator("#chat li[data-kind=progress]")).hasAttribute("data-status", "SUCCEEDED");
        // the failed run stays as it was, in the history
        assertEquals("FAILED", api.run(failedId).path("status").asText());
        assertTrue(api.get("/api/runs?limit=500").body().contains(failedId));
    }

    @Test
    void aFollowUpAfterTheRunSucceededStartsALinkedRun() {
        var body = Json.object().put("goal", "is my website up?");
        body.putObject("input").put("url", siteUrl());
        body.putObject("options").put("playbook", "check-url-health");
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        String firstId = created.json().path("id").asText();
        api.awaitRunStatus(firstId, "SUCCEEDED");

        page.navigate("/?run=" + firstId);
        assertThat(page.locator("#chat li[data-kind=progress]")).hasAttribute("data-status", "SUCCEEDED");
        Locator reply = page.getByLabel("Follow up (starts a new run that continues this one)");
        assertThat(reply).isVisible(); // the reply box stays after the run finished
        reply.fill("is the server responding to requests?");
        button("Send").click();
        page.waitForURL(Pattern.compile(".*/\\?run=(?!" + Pattern.quote(firstId) + "$)[^/&]+$"));
        String secondId = page.url().replaceAll(".*\\?run=", "");

        JsonNode second = api.awaitRun(secondId, r -> r.path("status").asText().matches("SUCCEEDED|FAILED"), java.time.Duration.ofSeconds(60));
        assertEquals(firstId, second.path("continues").asText(), "the server records the link");
        assertEquals("SUCCEEDED", second.path("status").asText(), "the follow-up keeps the conversation's input: " + second);
        // the link, both ways: the new run continues the first, which shows above it, continued in the new one
        assertThat(page.locator("p.run-link.continues a")).hasText(firstId);
        Locator earlier = page.locator(".conversation.earlier[data-run-id=\"" + firstId + "\"]");
        assertThat(earlier.locator("li[data-kind=goal]")).containsText("is my website up?");
        assertThat(earlier.locator("p.run-link.continued-in a")).hasText(secondId);
        assertThat(page.locator("#chat li[data-kind=goal]")).containsText("is the server responding to requests?");
        assertThat(page.locator("#chat li[data-kind=progress]")).hasAttribute("data-status", "SUCCEEDED");
        assertThat(page.getByLabel("Follow up (starts a new run that continues this one)")).isVisible();
        tab.screenshot("chat-follow-up");
        assertEquals(1, runPosts.size(), runPosts.toString());
        assertTrue(runPosts.get(0).contains("\"continues\":\"" + firstId + "\""), runPosts.get(0));
        assertEquals(List.of(), tab.errors, "console errors");
    }

    /** The form builder on a richer schema than the bundled playbooks have: every kind of field, its checks, and the value it reads. */
    @Test
    void theSchemaFormCoversTheCommonKindsOfField() {
        page.navigate("/");
        assertThat(page.getByLabel("Goal")).isVisible();
        String schema = """
                {"type": "object", "required": ["name", "count", "level"],
                 "properties": {
                   "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "description": "lower-case letters"},
                   "email": {"type": "string", "format": "email"},
                   "count": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
                   "ratio": {"type": "number"},
                   "dryRun": {"type": "boolean", "default": true},
                   "level": {"enum": ["low", "high"]},
                   "tags": {"type": "array", "items": {"type": "string"}},
                   "target": {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}, "port": {"type": "integer"}}}
                 }}""";
        page.evaluate("schema => import('/console/schema-form.js').then(m => { const f = m.schemaForm(JSON.parse(schema), { legend: 'Test' });"
                + " f.node.id = 'sf-test'; document.getElementById('view').append(f.node); window.sfTest = f; })", schema);
        Locator form = page.locator("#sf-test");
        assertThat(form.getByLabel("count")).hasValue("2");
        assertThat(form.getByLabel("dryRun")).isChecked();
        assertThat(form.getByLabel("email")).hasAttribute("type", "email");
        assertThat(form.locator("fieldset.schema-object legend")).containsText("target");
        form.getByLabel("name").fill("A1");
        form.getByLabel("email").fill("nobody");
        form.getByLabel("count").fill("9");
        Map<?, ?> errors = (Map<?, ?>) page.evaluate("() => Object.fromEntries(window.sfTest.read().errors)");
        assertTrue(String.valueOf(errors.get("name")).contains("pattern"), errors.toString());
        assertTrue(String.valueOf(errors.get("email")).contains("email"), errors.toString());
        assertEquals("Must be at most 5.", errors.get("count"));
        assertEquals("Required.", errors.get("level"));
        assertEquals("Required.", errors.get("target.host"));
        assertThat(form.locator("[data-field-error='target.host']")).hasText("Required.");

        form.getByLabel("name").fill("ada");
        form.getByLabel("email").fill("ada@example.org");
        form.getByLabel("count").fill("3");
        form.getByLabel("ratio").fill("0.5");
        form.getByLabel("level").selectOption("high");
        form.getByLabel("tags").fill("one\n\ntwo\n");
        form.getByLabel("host").fill("example.org");
        form.getByLabel("port").fill("8080");
        Object value = page.evaluate("() => { const r = window.sfTest.read(); return JSON.stringify({ errors: r.errors.size, value: r.value }); }");
        assertEquals("{\"errors\":0,\"value\":{\"name\":\"ada\",\"email\":\"ada@example.org\",\"count\":3,\"ratio\":0.5,\"dryRun\":true,"
                + "\"level\":\"high\",\"tags\":[\"one\",\"two\"],\"target\":{\"host\":\"example.org\",\"port\":8080}}}", value);
        assertThat(form.locator(".field-error:not([hidden])")).hasCount(0);
        // the server's errors (input_invalid) go next to the fields they name
        page.evaluate("() => import('/console/schema-form.js').then(m => window.sfTest.showErrors(m.inputErrors("
                + "\"the input does not fit playbook 'p': input.target: missing required property 'host'; input.count: must be at most 5\").errors))");
        assertThat(form.locator("[data-field-error='target.host']")).hasText("Required.");
        assertThat(form.locator("[data-field-error=count]")).hasText("must be at most 5");
    }
}
