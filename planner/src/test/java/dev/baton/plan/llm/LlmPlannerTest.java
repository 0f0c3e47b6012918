package dev.baton.plan.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.Catalog;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import dev.baton.tools.ToolDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LLM planner against a real OpenAI chat model talking to WireMock. */
class LlmPlannerTest {

    static final ToolDescriptor WEATHER = ToolDescriptor.builder("weather.lookup")
            .description("The weather forecast for a city.")
            .parameters(schema("{'type':'object','properties':{'city':{'type':'string'}},'required':['city'],'additionalProperties':false}"))
            .idempotent(true)
            .build();
    static final ToolDescriptor NEWS = ToolDescriptor.builder("news.search")
            .description("Searches today's news.")
            .parameters(schema("{'type':'object','properties':{'query':{'type':'string'},'limit':{'type':'integer','minimum':1}},"
                    + "'required':['query'],'additionalProperties':false}"))
            .build();
    static final ToolDescriptor CRM = ToolDescriptor.builder("crm.lookup")
            .description("Looks up a customer by email.")
            .parameters(schema("{'type':'object','properties':{'email':{'type':'string'}},'required':['email'],'additionalProperties':false}"))
            .build();
    static final ToolDescriptor ROUTE = ToolDescriptor.builder("tickets.route")
            .description("Routes a ticket to a queue.")
            .parameters(schema("{'type':'object','properties':{'category':{'type':'string','enum':['billing','card','other']},"
                    + "'tier':{'type':'string'}},'required':['category'],'additionalProperties':false}"))
            .build();
    static final ToolDescriptor EMAIL = ToolDescriptor.builder("email.send")
            .description("Sends an email.")
            .parameters(schema("{'type':'object','properties':{'to':{'type':'string'},'body':{'type':'string'}},'required':['to','body']}"))
            .requiresApproval(true)
            .build();

    static final Catalog CATALOG = Catalog.of(List.of(WEATHER, NEWS, CRM, ROUTE, EMAIL), List.of("writer", "triager"), true);
    static final List<AgentInfo> AGENTS = List.of(
            new AgentInfo("writer", "Writes short briefings for people.", List.of("news.search")),
            new AgentInfo("triager", "Classifies support tickets.", List.of("crm.lookup")));

    static final String BRIEFING_GOAL = "Brief me on the weather and the news in Lyon";
    static final String BRIEFING_PLAN = """
            {"tasks": [
              {"id": "weather", "title": "Weather in Lyon", "tool": "weather.lookup", "args": {"city": "${input.city}"}},
              {"id": "news", "title": "News about Lyon", "tool": "news.search", "args": {"query": "${input.city}", "limit": 5}},
              {"id": "brief", "title": "Write the briefing", "agent": "writer",
               "instruction": "Write a five-line briefing from the weather and the news.", "dependsOn": ["weather", "news"]}
            ]}""";

    final FakeOpenAi openAi = new FakeOpenAi();
    final LlmPlanner planner = LlmPlanner.defaults();

    @AfterEach
    void stop() {
        openAi.close();
    }

    static PlanningRequest briefing() {
        return new PlanningRequest(BRIEFING_GOAL, json("{'city':'Lyon'}"), CATALOG, AGENTS);
    }

    @Test
    void aGoalBecomesAValidPlanWithParallelBranches() {
        openAi.answers(BRIEFING_PLAN);

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(1, planned.attempts());
        assertEquals(List.of(), planned.rejected());
        Plan plan = planned.plan();
        assertEquals(List.of("weather", "news", "brief"), ids(plan));
        assertEquals(Set.of(), plan.task("weather").orElseThrow().dependencies(), "the lookups run in parallel");
        assertEquals(Set.of(), plan.task("news").orElseThrow().dependencies());
        assertEquals(Set.of("weather", "news"), plan.task("brief").orElseThrow().dependencies());
        assertEquals(List.of(), new PlanValidator(CATALOG).validate(plan));
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
    }

    @Test
    void theRequestCarriesTheFormatTheToolsTheirSchemasTheAgentsAndTheGoal() {
        openAi.answers(BRIEFING_PLAN);

        planner.plan(briefing(), openAi.model());

        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o-mini")))
                .withRequestBody(matchingJsonPath("$.response_format.type", equalTo("json_object")))
                .withRequestBody(matchingJsonPath("$.messages[0].role", equalTo("system")))
                .withRequestBody(matchingJsonPath("$.messages[0].content", containing("weather.lookup")))
                .withRequestBody(matchingJsonPath("$.messages[0].content", containing("news.search")))
                .withRequestBody(matchingJsonPath("$.messages[0].content", containing("Output ONLY the JSON object")))
                .withRequestBody(matchingJsonPath("$.messages[1].role", equalTo("user")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing(BRIEFING_GOAL))));

        JsonNode request = openAi.requests().get(0);
        assertEquals(2, request.get("messages").size());
        String system = request.at("/messages/0/content").asText();
        for (ToolDescriptor tool : List.of(WEATHER, NEWS, CRM, ROUTE, EMAIL)) {
            assertTrue(system.contains("- " + tool.name()), tool.name());
            assertTrue(system.contains(tool.description()), tool.description());
            assertTrue(system.contains(Json.write(tool.parameters())), "the schema of " + tool.name());
        }
        assertTrue(system.contains("- email.send [needs approval]"), system);
        assertTrue(system.contains("- writer: Writes short briefings for people.\n  tools: news.search"), system);
        assertTrue(system.contains("\"cool-off\", \"wait\": \"PT2H\""), "the DESIGN.md example");
        assertTrue(system.contains("${task.output.path}") && system.contains("${input.path}"), "references are explained");
        assertTrue(system.contains("Prefer tool tasks") && system.contains("Prefer independent tasks"), "the rules");
        assertTrue(system.contains("Never try to remove an approval"), "the approval rule");
        String user = request.at("/messages/1/content").asText();
        assertTrue(user.contains("{\"city\":\"Lyon\"}"), "the run's input: " + user);
        assertFalse(user.contains("REPLAN"), user);
    }

    @Test
    void withoutAgentsTheModelIsToldToUseToolsOnly() {
        openAi.answers("{\"tasks\": [{\"id\": \"weather\", \"tool\": \"weather.lookup\", \"args\": {\"city\": \"Lyon\"}}]}");
        Catalog noModel = Catalog.of(List.of(WEATHER), List.of(), false);

        PlanningOutcome outcome = planner.plan(new PlanningRequest("Weather in Lyon", null, noModel, List.of()), openAi.model());

        assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        String system = openAi.requests().get(0).at("/messages/0/content").asText();
        assertTrue(system.contains("agent tasks are not available"), system);
    }

    @Test
    void malformedJsonIsSentBackAndRepaired() {
        openAi.answers("{\"tasks\": [{\"id\": \"weather\", \"tool\": \"weather.lookup\", \"args\": {\"city\": ", BRIEFING_PLAN);

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(2, planned.attempts());
        assertEquals(1, planned.rejected().size());
        assertTrue(planned.rejected().get(0).get(0).message().startsWith("malformed JSON"), planned.rejected().toString());
        openAi.server.verify(2, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
        // The second request keeps the conversation: system, goal, the broken answer, then the parse error.
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.messages[2].role", equalTo("assistant")))
                .withRequestBody(matchingJsonPath("$.messages[2].content", containing("\"weather.lookup\"")))
                .withRequestBody(matchingJsonPath("$.messages[3].role", equalTo("user")))
                .withRequestBody(matchingJsonPath("$.messages[3].content", containing("malformed JSON"))));
        assertEquals(4, openAi.requests().get(1).get("messages").size());
    }

    @Test
    void aCycleThenAnUnknownToolAreRepairedInTwoRounds() {
        String cycle = """
                {"tasks": [
                  {"id": "a", "tool": "weather.lookup", "args": {"city": "Lyon"}, "dependsOn": ["b"]},
                  {"id": "b", "tool": "news.search", "args": {"query": "Lyon"}, "dependsOn": ["a"]}
                ]}""";
        String unknownTool = """
                {"tasks": [
                  {"id": "a", "tool": "weather.lookup", "args": {"city": "Lyon"}},
                  {"id": "b", "tool": "news.serch", "args": {"query": "Lyon"}}
                ]}""";
        openAi.answers(cycle, unknownTool, BRIEFING_PLAN);

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(3, planned.attempts());
        assertEquals(2, planned.rejected().size());
        assertTrue(messages(planned.rejected().get(0)).contains("cycle a -> b -> a"), planned.rejected().toString());
        assertTrue(messages(planned.rejected().get(1)).contains("unknown tool 'news.serch'"), planned.rejected().toString());
        assertEquals(List.of("weather", "news", "brief"), ids(planned.plan()));
        openAi.server.verify(3, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
        List<JsonNode> requests = openAi.requests();
        assertTrue(requests.get(1).at("/messages/3/content").asText().contains("cycle a -> b -> a"));
        String secondRepair = requests.get(2).at("/messages/5/content").asText();
        assertTrue(secondRepair.contains("task 'b', field 'tool': unknown tool 'news.serch'; did you mean 'news.search'?"), secondRepair);
        assertTrue(secondRepair.contains("corrected full plan"), secondRepair);
        assertEquals(6, requests.get(2).get("messages").size(), "the whole conversation is kept");
    }

    @Test
    void aPlanStillInvalidAfterTheRepairsFailsWithTheValidatorsMessages() {
        openAi.answers("{\"tasks\": [{\"id\": \"w\", \"tool\": \"weather.lokup\", \"args\": {\"city\": \"Lyon\"}}]}");

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Failed failed = assertInstanceOf(PlanningOutcome.Failed.class, outcome);
        assertEquals(LlmPlanner.PLAN_INVALID, failed.code());
        assertEquals(3, failed.attempts(), "1 + maxRepairs");
        assertTrue(failed.message().contains("task 'w', field 'tool': unknown tool 'weather.lokup'"), failed.message());
        assertEquals("w", failed.lastProblems().get(0).taskId());
        openAi.server.verify(3, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
    }

    @Test
    void theNumberOfRepairsIsConfigurableAndProseIsNotAPlan() {
        openAi.answers("I am sorry, I cannot plan that.");
        LlmPlanner oneRepair = LlmPlanner.builder().maxRepairs(1).build();

        PlanningOutcome outcome = oneRepair.plan(briefing(), openAi.model());

        PlanningOutcome.Failed failed = assertInstanceOf(PlanningOutcome.Failed.class, outcome);
        assertEquals(LlmPlanner.PLAN_NOT_JSON, failed.code());
        assertEquals(2, failed.attempts());
        assertTrue(failed.message().contains("holds no JSON object"), failed.message());
        openAi.server.verify(2, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.messages[3].content", containing("not a JSON plan"))));
    }

    @Test
    void jsonInFencesAndProseIsAccepted() {
        openAi.answers("Here is the plan you asked for:\n\n```json\n" + BRIEFING_PLAN + "\n```\n\nIt runs the lookups in parallel.");

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(1, planned.attempts());
        assertEquals(List.of("weather", "news", "brief"), ids(planned.plan()));
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
    }

    @Test
    void aFailingModelIsAModelError() {
        openAi.failing(500);

        PlanningOutcome outcome = planner.plan(briefing(), openAi.model());

        PlanningOutcome.Failed failed = assertInstanceOf(PlanningOutcome.Failed.class, outcome);
        assertEquals(LlmPlanner.MODEL_ERROR, failed.code());
        assertEquals(0, failed.attempts());
        assertTrue(failed.message().contains("The server had an error"), failed.message());
        assertFalse(failed.message().contains("sk-test-not-a-key"), "the key never shows");
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
    }

    @Test
    void aPromptOverTheLimitIsNotSent() {
        LlmPlanner tiny = LlmPlanner.builder().maxPromptChars(1_000).build();

        PlanningOutcome outcome = tiny.plan(briefing(), openAi.model());

        PlanningOutcome.Failed failed = assertInstanceOf(PlanningOutcome.Failed.class, outcome);
        assertEquals(LlmPlanner.PROMPT_TOO_LARGE, failed.code());
        openAi.server.verify(0, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
    }

    // Replanning: a ticket was looked up and classified, the routing failed for good.

    static final String TICKET_GOAL = "Route the ticket of ana@example.com and tell her";
    static final Plan TICKET_PLAN = plan("""
            {"tasks": [
              {"id": "customer", "tool": "crm.lookup", "args": {"email": "${input.email}"}},
              {"id": "classify", "agent": "triager", "instruction": "Classify the ticket."},
              {"id": "route", "tool": "tickets.route", "args": {"category": "${classify.output.category}", "tier": "${customer.output.tier}"}},
              {"id": "tell", "tool": "email.send", "args": {"to": "${input.email}", "body": "Routed: ${route.output.queue}"}}
            ]}""");
    static final RunSoFar ROUTE_FAILED = new RunSoFar(TICKET_PLAN,
            List.of(new RunSoFar.Succeeded("customer", json("{'tier':'gold','name':'Ana Lopes'}")),
                    new RunSoFar.Succeeded("classify", json("{'category':'card','priority':2}"))),
            List.of(new RunSoFar.Failed("route", "queue 'card-gold' is closed for maintenance")),
            List.of("Use the 'other' category if card routing is down."));

    static PlanningRequest ticketReplan() {
        return new PlanningRequest(TICKET_GOAL, json("{'email':'ana@example.com'}"), CATALOG, AGENTS).replanning(ROUTE_FAILED);
    }

    static final String NEW_TAIL = """
            {"tasks": [
              {"id": "route-2", "tool": "tickets.route", "args": {"category": "other", "tier": "${customer.output.tier}"}},
              {"id": "tell-2", "tool": "email.send", "args": {"to": "${input.email}", "body": "Routed: ${route-2.output.queue}"}}
            ]}""";

    @Test
    void aReplanSeesTheRunSoFarAndKeepsTheSucceededTasks() {
        openAi.answers(NEW_TAIL);

        PlanningOutcome outcome = planner.plan(ticketReplan(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(1, planned.attempts());
        Plan plan = planned.plan();
        assertEquals(List.of("customer", "classify", "route-2", "tell-2"), ids(plan), "the kept tasks first, then the new ones");
        assertEquals(TICKET_PLAN.task("customer").orElseThrow(), plan.task("customer").orElseThrow(), "kept unchanged");
        assertEquals(TICKET_PLAN.task("classify").orElseThrow(), plan.task("classify").orElseThrow());
        assertEquals(1, plan.tasks().stream().filter(t -> t.action() instanceof TaskAction.ToolCall c && c.tool().equals("crm.lookup")).count(),
                "the lookup is not redone");
        assertEquals(Set.of("customer"), plan.task("route-2").orElseThrow().dependencies());
        assertEquals(List.of(), new PlanValidator(CATALOG).validate(plan));

        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("REPLAN")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("- customer output: {\"tier\":\"gold\",\"name\":\"Ana Lopes\"}")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("- classify output: {\"category\":\"card\",\"priority\":2}")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("- route error: queue 'card-gold' is closed for maintenance")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("Use the 'other' category if card routing is down.")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", containing("Do NOT include or repeat the succeeded tasks (customer, classify)"))));
        String user = openAi.requests().get(0).at("/messages/1/content").asText();
        assertTrue(user.contains("\"id\":\"route\",\"title\":\"route\",\"tool\":\"tickets.route\""), "the previous plan: " + user);
    }

    @Test
    void aReplanThatRedoesASucceededTaskIsRepaired() {
        String redo = """
                {"tasks": [
                  {"id": "customer", "tool": "crm.lookup", "args": {"email": "ana@example.com"}},
                  {"id": "lookup-again", "tool": "crm.lookup", "args": {"email": "${input.email}"}},
                  {"id": "route", "tool": "tickets.route", "args": {"category": "other", "tier": "${lookup-again.output.tier}"}}
                ]}""";
        openAi.answers(redo, NEW_TAIL);

        PlanningOutcome outcome = planner.plan(ticketReplan(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(2, planned.attempts());
        String problems = messages(planned.rejected().get(0));
        assertTrue(problems.contains("task 'customer' already succeeded and is kept"), problems);
        assertTrue(problems.contains("repeats the succeeded task 'customer'"), problems);
        assertTrue(problems.contains("id 'route' belongs to a task of the previous plan"), problems);
        assertEquals(List.of("customer", "classify", "route-2", "tell-2"), ids(planned.plan()));
        openAi.server.verify(2, postRequestedFor(urlEqualTo(FakeOpenAi.PATH)));
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.messages[3].content", containing("already succeeded and is kept")))
                .withRequestBody(matchingJsonPath("$.messages[3].content", containing("without the succeeded tasks"))));
    }

    @Test
    void anUnchangedCopyOfAKeptTaskIsTheKeptTask() {
        openAi.answers("""
                {"tasks": [
                  {"id": "customer", "tool": "crm.lookup", "args": {"email": "${input.email}"}},
                  {"id": "route-2", "tool": "tickets.route", "args": {"category": "other", "tier": "${customer.output.tier}"}}
                ]}""");

        PlanningOutcome outcome = planner.plan(ticketReplan(), openAi.model());

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(List.of("customer", "classify", "route-2"), ids(planned.plan()));
    }

    @Test
    void aReplanWithoutNewTasksOrWithAReferenceToTheFailedTaskIsRejected() {
        openAi.answers("{\"tasks\": []}",
                "{\"tasks\": [{\"id\": \"tell-2\", \"tool\": \"email.send\", \"args\": {\"to\": \"${input.email}\", \"body\": \"${route.output.queue}\"}}]}");
        LlmPlanner oneRepair = LlmPlanner.builder().maxRepairs(1).build();

        PlanningOutcome outcome = oneRepair.plan(ticketReplan(), openAi.model());

        PlanningOutcome.Failed failed = assertInstanceOf(PlanningOutcome.Failed.class, outcome);
        assertEquals(LlmPlanner.PLAN_INVALID, failed.code());
        assertTrue(failed.message().contains("refers to unknown task 'route'"), failed.message());
        openAi.server.verify(1, postRequestedFor(urlEqualTo(FakeOpenAi.PATH))
                .withRequestBody(matchingJsonPath("$.messages[3].content", containing("the plan has no new tasks"))));
    }

    @Test
    void longOutputsAreTruncatedInThePrompt() {
        ObjectNode big = Json.object();
        big.put("tier", "gold");
        big.put("history", "x".repeat(10_000));
        RunSoFar soFar = new RunSoFar(TICKET_PLAN, List.of(new RunSoFar.Succeeded("customer", big)),
                List.of(new RunSoFar.Failed("route", "closed")), List.of());
        openAi.answers(NEW_TAIL);
        LlmPlanner small = LlmPlanner.builder().maxOutputChars(500).build();

        PlanningOutcome outcome = small.plan(new PlanningRequest(TICKET_GOAL, json("{'email':'ana@example.com'}"), CATALOG, AGENTS)
                .replanning(soFar), openAi.model());

        assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        String user = openAi.requests().get(0).at("/messages/1/content").asText();
        assertTrue(user.contains("[truncated: " + (Json.write(big).length() - 500) + " more characters]"), user);
        assertTrue(user.length() < 5_000, "length " + user.length());
    }

    static List<String> ids(Plan plan) {
        return plan.tasks().stream().map(TaskSpec::id).toList();
    }

    static String messages(List<PlanProblem> problems) {
        return problems.stream().map(PlanProblem::toString).collect(Collectors.joining("\n"));
    }

    static JsonNode json(String text) {
        try {
            return Json.parse(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static ObjectNode schema(String text) {
        return (ObjectNode) json(text);
    }

    static Plan plan(String text) {
        try {
            return PlanParser.parse(Json.parse(text));
        } catch (PlanException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }
}
