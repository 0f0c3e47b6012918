package dev.baton.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.testing.OpenAiStubs;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import dev.baton.server.testing.Browser;
import dev.baton.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console with a model configured (WireMock speaking OpenAI's chat.completions format) in
 * Debian's headless Chromium: the chat as a conversation with a follow-up message, its replan
 * and the final answer; the graph keeping its nodes in place across that replan; an agent
 * task's transcript with tokens; attempts with their timing.
 */
class ConsoleModelTest {
    static final WireMockServer model = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    static WireMockServer upstream;
    @RegisterExtension
    static final BatonServers servers = BatonServers.with(() -> {
        model.start(); // before the server: its config names the model's port
        return TestServer.config().withModel(ModelConfig.builder().baseUrl("http://127.0.0.1:" + model.port() + "/v1")
                .apiKey("sk-console-test-key").model("test-model").build());
    });
    static final Api api = servers.api();
    Browser.Tab tab;
    Page page;

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterAll
    static void stop() {
        model.stop();
        upstream.stop();
    }

    @BeforeEach
    void openTab() {
        model.resetAll();
        upstream.resetAll();
        tab = servers.browser().open(api.base());
        page = tab.page;
    }

    @AfterEach
    void closeTab() {
        tab.close();
    }

    /** The model answers {@code content} when the scenario is in {@code state}, then moves it to {@code next}. */
    private static void answer(String state, String content, String next) {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("run").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(OpenAiStubs.answer(content, 400, 60)))
                .willSetStateTo(next));
    }

    /** The answer's call, streamed as OpenAI streams it, in {@code pieces} dribbled over {@code millis}. */
    private static void streamedAnswer(String state, String next, String... pieces) {
        streamedAnswer(state, next, 300, pieces);
    }

    private static void streamedAnswer(String state, String next, int millis, String... pieces) {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("run").whenScenarioStateIs(state)
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(OpenAiStubs.streamed(400, 60, pieces))
                        .withChunkedDribbleDelay(pieces.length + 3, millis))
                .willSetStateTo(next));
    }

    private Locator task(String id) {
        return page.locator("[data-task-id=\"" + id + "\"]");
    }

    private Map<?, ?> position(String taskId) {
        return (Map<?, ?>) page.evaluate("id => document.getElementById('graph').planGraph.position(id)", taskId);
    }

    @Test
    void theChatIsAConversationWithAFollowUpItsReplanAndTheAnswer() {
        // the first call takes long enough to reply while it runs, even on a busy machine
        upstream.stubFor(get("/slow").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"price\": 42}").withFixedDelay(6000)));
        String slow = "http://127.0.0.1:" + upstream.port() + "/slow";
        answer(Scenario.STARTED, """
                {"tasks": [
                  {"id": "fetch", "title": "Fetch the price", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "usd", "title": "Say it in dollars", "tool": "echo", "args": {"usd": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""".formatted(slow), "planned");
        answer("planned", """
                {"tasks": [
                  {"id": "eur", "title": "Say it in euros", "tool": "echo", "args": {"eur": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""", "replanned");
        // the chat's goal asks for an answer (options.chat, BATON_ANSWER_CHAT_GOALS), which streams (issue 16)
        streamedAnswer("replanned", "answered", "It costs 42 EUR [eur]. ", "<script>window.pwned = 1</script>");

        page.navigate("/");
        assertThat(page.locator(".model-info")).containsText("test-model");
        page.getByLabel("Goal").fill("What does the widget cost?");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start run")).click();
        page.waitForURL(Pattern.compile(".*/\\?run=[^/]+$"));
        String runId = page.url().replaceAll(".*\\?run=", "");
        Locator chat = page.locator("#chat");
        assertThat(chat.locator("li[data-role=user][data-kind=goal]")).hasText("What does the widget cost?");
        assertThat(chat.locator("li[data-kind=plan]")).containsText("Running a plan of 2 tasks");
        assertThat(chat.locator("li[data-kind=plan]")).containsText("Fetch the price");

        page.getByLabel("Reply to Baton").fill("give the price in euros");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send").setExact(true)).click();
        assertThat(chat.locator("li[data-role=user][data-kind=message]")).containsText("give the price in euros");
        assertThat(chat.locator("li[data-kind=replanning]")).containsText("take your message into account");
        assertThat(chat.locator("li[data-kind=replanned]")).containsText("New plan (version 2)");
        assertThat(chat.locator("li[data-kind=replanned]")).containsText("Say it in euros");
        Locator answer = chat.locator("li[data-kind=answer]");
        assertThat(answer).containsText("It costs 42 EUR [eur]. <script>window.pwned = 1</script>",
                new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(40_000));
        assertThat(page.locator("section.conversation")).hasAttribute("data-run-status", "SUCCEEDED");
        assertThat(chat.locator("li[data-kind=progress]")).containsText("tokens");
        // finished: a reply is no longer a message to this run but a follow-up that starts a new one
        assertThat(page.getByLabel("Reply to Baton")).hasCount(0);
        assertThat(page.getByLabel("Follow up (starts a new run that continues this one)")).isVisible();
        // the conversation reads in order: goal, plan, message, replanning, new plan, answer, progress last
        List<String> kinds = chat.locator("> li").evaluateAll("items => items.map(li => li.dataset.kind)")
                instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
        assertEquals(List.of("goal", "plan", "message", "replanning", "replanned", "answer", "progress"), kinds);
        assertEquals("undefined", page.evaluate("() => typeof window.pwned"));
        tab.screenshot("chat-conversation");

        JsonNode run = api.run(runId);
        assertEquals("It costs 42 EUR [eur]. <script>window.pwned = 1</script>", run.path("result").path("answer").asText());
        model.verify(3, postRequestedFor(urlEqualTo("/v1/chat/completions")));
        // the runs list carries the three calls' tokens
        page.navigate("/runs");
        Locator row = page.locator("tr[data-run-id=\"" + runId + "\"]");
        assertThat(row.locator("td.tokens")).hasAttribute("data-tokens", String.valueOf(3 * (400 + 60)));
        assertThat(row.locator("td.duration")).hasText(Pattern.compile("\\d+(\\.\\d)? s|\\d+ ms"));
        assertThat(row.locator("td.age")).containsText("ago");
        tab.screenshot("runs-with-tokens");
    }

    /**
     * Issue 16: with a model configured, a posted plan used to pay for an answer it never asked for
     * and stayed RUNNING until that call returned. Now it succeeds without any model call, and its
     * page shows the result and no answer.
     */
    @Test
    void aRunWithAPostedPlanSucceedsWithoutAnyModelCall() {
        String runId = api.startRun("echo a greeting", "{\"tasks\": [{\"id\": \"hello\", \"tool\": \"echo\", \"args\": {\"text\": \"hello\"}}]}")
                .path("id").asText();
        page.navigate("/runs/" + runId);
        assertThat(page.locator(".run-head")).containsText("SUCCEEDED");
        assertThat(page.locator(".run-head pre.output")).containsText("hello");
        assertThat(page.locator(".run-head h2", new Page.LocatorOptions().setHasText("Answer"))).hasCount(0);
        JsonNode run = api.run(runId);
        assertTrue(run.path("answerStatus").isNull(), run.toString());
        assertEquals(0, model.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).size(), "the model was called");
    }

    @Test
    void aFollowUpFromTheRunViewReplansAndTheGraphKeepsItsNodesInPlace() {
        upstream.stubFor(get("/slow").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("{\"price\": 7}").withFixedDelay(10_000)));
        String slow = "http://127.0.0.1:" + upstream.port() + "/slow";
        answer(Scenario.STARTED, """
                {"tasks": [
                  {"id": "fetch", "tool": "http.request", "args": {"method": "GET", "url": "%s"}},
                  {"id": "other", "tool": "echo", "args": {"x": 1}},
                  {"id": "usd", "tool": "echo", "args": {"usd": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""".formatted(slow), "planned");
        answer("planned", """
                {"tasks": [
                  {"id": "eur", "tool": "echo", "args": {"eur": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]},
                  {"id": "gbp", "tool": "echo", "args": {"gbp": "${fetch.output.body.price}"}, "dependsOn": ["fetch"]}
                ]}""", "replanned");
        answer("replanned", "7 EUR or 7 GBP.", "answered");
        String runId = api.post("/api/runs", "{\"goal\": \"price it\"}").json().path("id").asText();
        api.awaitRunStatus(runId, "RUNNING");
        page.navigate("/runs/" + runId);
        assertThat(task("usd")).hasCount(1);
        Map<?, ?> fetchBefore = position("fetch");
        Map<?, ?> otherBefore = position("other");

        page.getByLabel("Send the run a follow-up message").fill("in euros and pounds");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send").setExact(true)).click();
        assertThat(task("eur")).hasCount(1);
        assertThat(task("gbp")).hasCount(1);
        assertEquals(fetchBefore, position("fetch"), "a node that stays keeps its place");
        assertEquals(otherBefore, position("other"), "a node that stays keeps its place");
        Map<?, ?> eur = position("eur");
        Map<?, ?> gbp = position("gbp");
        assertTrue(((Number) eur.get("x")).doubleValue() > ((Number) fetchBefore.get("x")).doubleValue(), "eur to the right of fetch: " + eur);
        assertTrue(!eur.equals(gbp), "new nodes do not overlap: " + eur + " " + gbp);
        assertThat(task("gbp")).hasAttribute("data-status", "SUCCEEDED",
                new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(40_000));
        assertEquals(fetchBefore, position("fetch"), "status changes move nothing");
        assertEquals(otherBefore, position("other"));
        assertThat(page.locator("#view")).hasAttribute("data-run-status", "SUCCEEDED");
        tab.screenshot("replanned-graph");
        assertEquals("in euros and pounds", api.run(runId).path("messages").get(0).path("text").asText());
    }

    @Test
    void anAgentTasksTranscriptShowsItsModelAndToolCallsWithTokensAndItsAttemptsWithTiming() {
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.toolCalls(300, 20, OpenAiStubs.call("call_1", "echo", "{\"note\": \"<i>looked</i> it up\"}"))))
                .willSetStateTo("answered"));
        model.stubFor(post(urlEqualTo("/v1/chat/completions")).inScenario("agent").whenScenarioStateIs("answered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(OpenAiStubs.answer("The note says: looked it up.", 350, 15))));
        String runId = api.startRun("summarise a note", """
                {"tasks": [{"id": "think", "title": "Think it over", "agent": "assistant", "instruction": "Look up the note with the echo tool and summarise it."}]}""")
                .path("id").asText();
        api.awaitRunStatus(runId, "SUCCEEDED");
        page.navigate("/runs/" + runId + "?task=think");
        Locator steps = page.locator("#detail ol.agent-transcript > li");
        assertThat(steps).hasCount(3);
        assertThat(steps.nth(0)).hasAttribute("data-type", "AgentModelCalled");
        assertThat(steps.nth(0).locator(".tokens")).hasText(" · 300 + 20 tokens");
        assertThat(steps.nth(0)).containsText("asks for");
        assertThat(steps.nth(1)).hasAttribute("data-type", "AgentToolCalled");
        assertThat(steps.nth(1).locator("code")).hasText("echo");
        assertThat(steps.nth(1).locator("pre.output")).containsText("<i>looked</i> it up");
        assertThat(steps.nth(2).locator(".tokens")).hasText(" · 350 + 15 tokens");
        assertThat(steps.nth(2).locator("pre.model-text")).hasText("The note says: looked it up.");
        assertEquals(0, page.locator("#detail i").count(), "tool output is text, not HTML");
        // one attempt, with its start and how long it took
        Locator attempts = page.locator("#detail ol.history li");
        assertThat(attempts).hasCount(1);
        assertThat(attempts.first()).hasAttribute("data-attempt", "1");
        assertThat(attempts.first()).containsText(Pattern.compile("started .* · took \\d+(\\.\\d)? ?m?s"));
        assertThat(page.locator("#detail dl")).containsText("Took");
        tab.screenshot("agent-transcript");
    }

    @Test
    void anAnswerArrivesInPiecesInTheChatAsSafeMarkdown() throws Exception {
        String[] pieces = {"Here is **the** answer", " from the `echo` task.", "\n\n- first point", "\n- second point",
                "\n\nSee [the docs](https://example.com/docs) or [this](javascript:alert(1)).",
                "\n\n<script>window.pwned2 = 1</script><img src=x onerror=\"window.pwned3 = 1\">"};
        streamedAnswer(Scenario.STARTED, "answered", 4000, pieces);
        // The task waits for an approval, given once the chat shows it: the chat is then live before the answer streams.
        var body = dev.baton.json.Json.object();
        body.put("goal", "say hello");
        body.set("plan", dev.baton.json.Json.parse("""
                {"tasks": [{"id": "hello", "tool": "echo", "args": {"text": "hello"}, "approval": "required"}]}"""));
        body.putObject("options").put("chat", true);
        Api.Response created = api.post("/api/runs", body);
        assertEquals(201, created.status(), created.body());
        String runId = created.json().path("id").asText();
        page.navigate("/?run=" + runId);
        assertThat(page.locator("#chat li[data-kind=approval]")).containsText("waits for a person");
        Api.Response approved = api.post("/api/runs/" + runId + "/tasks/hello/approval", "{\"decision\": \"approve\"}");
        assertEquals(200, approved.status(), approved.body());
        Locator answer = page.locator("#chat li[data-kind=answer] .answer");
        // part of the answer, shown while it is still being written
        String partial = (String) page.waitForFunction("""
                () => {
                  const a = document.querySelector('#chat li[data-kind=answer] .answer[data-answer-status=WRITING] .answer-text');
                  const text = a ? a.textContent : '';
                  return text.length > 0 ? text : null;
                }""", null, new Page.WaitForFunctionOptions().setTimeout(30_000)).jsonValue();
        assertThat(answer).hasAttribute("data-answer-status", "WRITTEN", new com.microsoft.playwright.assertions.LocatorAssertions
                .HasAttributeOptions().setTimeout(30_000));
        String whole = answer.locator(".answer-text").textContent();
        assertTrue(whole.startsWith("Here is the answer from the echo task."), whole);
        assertTrue(partial.length() < whole.length() && whole.startsWith(partial.replace("**", "").replace("`", "").strip()),
                "a part came before the whole: '" + partial + "' then '" + whole + "'");
        // the Markdown, rendered as elements built from text
        assertThat(answer.locator("strong")).hasText("the");
        assertThat(answer.locator("code")).hasText("echo");
        assertThat(answer.locator("ul > li")).hasCount(2);
        assertThat(answer.locator("a")).hasCount(1);
        assertThat(answer.locator("a")).hasAttribute("href", "https://example.com/docs");
        assertThat(answer.locator("a")).hasAttribute("rel", "noopener noreferrer");
        assertThat(answer).containsText("[this](javascript:alert(1))");
        assertThat(answer).containsText("<script>window.pwned2 = 1</script><img src=x onerror=");
        assertThat(answer.locator("script, img")).hasCount(0);
        assertEquals("undefined undefined", page.evaluate("() => typeof window.pwned2 + ' ' + typeof window.pwned3"));
        assertThat(page.locator("section.conversation")).hasAttribute("data-run-status", "SUCCEEDED");
        tab.screenshot("chat-answer-markdown");
    }

    /** markdown.js on its own, in the page: each input gives exactly these elements, and no HTML passes. */
    @Test
    void markdownRendersASafeSubsetAsElements() {
        page.navigate("/runs");
        @SuppressWarnings("unchecked")
        Map<String, String> rendered = (Map<String, String>) page.evaluate("""
                async (inputs) => {
                  const { markdown } = await import('/console/markdown.js');
                  const out = {};
                  for (const [name, text] of Object.entries(inputs)) out[name] = markdown(text).innerHTML;
                  return out;
                }""", Map.of(
                "blocks", "# Title\n\nSome *em*, _em_ and **strong** and `code`.\nSame paragraph.\n\n## Sub",
                "lists", "- a\n- b\n  continued\n\n3. x\n4. y",
                "code", "```js\nlet a = '<b>';\n**not bold**\n```\nafter",
                "unclosed", "```\nstill streaming",
                "links", "[ok](https://example.com/a?b=1) [mail](mailto:x@y.z) [js](javascript:void) [rel](/local)",
                "html", "<script>alert(1)</script><img src=x onerror=alert(1)> & <b>bold</b>",
                "quote", "> quoted *text*\n\nsnake_case_name stays"));
        assertEquals("<h3>Title</h3><p>Some <em>em</em>, <em>em</em> and <strong>strong</strong> and <code>code</code>. Same paragraph.</p><h4>Sub</h4>",
                rendered.get("blocks"));
        assertEquals("<ul><li>a</li><li>b continued</li></ul><ol start=\"3\"><li>x</li><li>y</li></ol>", rendered.get("lists"));
        assertEquals("<pre class=\"code\"><code data-lang=\"js\">let a = '&lt;b&gt;';\n**not bold**</code></pre><p>after</p>", rendered.get("code"));
        assertEquals("<pre class=\"code\"><code>still streaming</code></pre>", rendered.get("unclosed"));
        assertEquals("<p><a href=\"https://example.com/a?b=1\" rel=\"noopener noreferrer\" target=\"_blank\">ok</a>"
                + " [mail](mailto:x@y.z) [js](javascript:void) [rel](/local)</p>", rendered.get("links"));
        assertEquals("<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>", rendered.get("html"));
        assertEquals("<blockquote><p>quoted <em>text</em></p></blockquote><p>snake_case_name stays</p>", rendered.get("quote"));
    }
}
