package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.server.testing.Api;
import dev.baton.server.testing.BatonServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Locale;

import static dev.baton.server.testing.ApiAssert.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Plans the server must refuse: each is a 400 {@code plan_invalid} whose message and
 * {@code details.problems} name the task and the field at fault, and no run is created.
 */
class PlanValidationApiTest {
    @RegisterExtension
    static final BatonServers servers = BatonServers.withDefaults();
    static final Api api = servers.api();

    @AfterEach
    void noRunWasCreated() {
        Api.Response list = api.get("/api/runs?limit=500");
        assertEquals(200, list.status(), list.body());
        assertEquals(0, list.json().path("runs").size(), "a refused plan creates no run: " + list.body());
    }

    /**
     * Posts the plan and asserts a 400 plan_invalid with a problem for this task and field
     * whose message holds every fragment; returns the problems.
     */
    private static JsonNode refused(String plan, String taskId, String field, String... fragments) {
        String body = "{\"goal\": \"bad plan\", \"plan\": " + plan + "}";
        Api.Response response = api.post("/api/runs", body);
        JsonNode error = assertError(response, 400, "plan_invalid");
        JsonNode problems = error.path("details").path("problems");
        assertTrue(problems.isArray() && problems.size() > 0, "details.problems lists the problems: " + error);
        String message = error.path("message").asText();
        if (taskId != null) assertTrue(message.contains("task '" + taskId + "'"), "the message names task '" + taskId + "': " + message);
        if (field != null) assertTrue(message.contains("field '" + field + "'"), "the message names field '" + field + "': " + message);
        for (JsonNode problem : problems) {
            boolean sameTask = taskId == null ? problem.path("taskId").isNull() : taskId.equals(problem.path("taskId").asText(null));
            boolean sameField = field == null || field.equals(problem.path("field").asText(null));
            if (!sameTask || !sameField) continue;
            String text = problem.path("message").asText().toLowerCase(Locale.ROOT);
            boolean all = true;
            for (String fragment : fragments) all &= text.contains(fragment.toLowerCase(Locale.ROOT));
            if (all) return problems;
        }
        return fail("no problem with task " + taskId + ", field " + field + " and message containing "
                + String.join(", ", fragments) + " in " + problems);
    }

    @Test
    void duplicateIds() {
        refused("""
                {"tasks": [{"id": "a", "tool": "echo", "args": {}}, {"id": "a", "tool": "echo", "args": {}}]}""",
                "a", "id", "duplicate id 'a'");
    }

    @Test
    void aCycleIsNamedStepByStep() {
        JsonNode problems = refused("""
                {"tasks": [
                  {"id": "a", "tool": "echo", "args": {}, "dependsOn": ["c"]},
                  {"id": "b", "tool": "echo", "args": {}, "dependsOn": ["a"]},
                  {"id": "c", "tool": "echo", "args": {}, "dependsOn": ["b"]},
                  {"id": "free", "tool": "echo", "args": {}}
                ]}""", "a", "dependsOn", "cycle a -> c -> b -> a");
        assertEquals(1, problems.size(), "one problem for one cycle: " + problems);
    }

    @Test
    void aCycleThroughAReferenceNamesTheArgument() {
        refused("""
                {"tasks": [
                  {"id": "a", "tool": "echo", "args": {"x": "${b.output.y}"}},
                  {"id": "b", "tool": "echo", "args": {}, "dependsOn": ["a"]}
                ]}""", "a", "args.x", "cycle a -> b -> a");
    }

    @Test
    void aTaskDependingOnItself() {
        refused("""
                {"tasks": [{"id": "a", "tool": "echo", "args": {}, "dependsOn": ["a"]}]}""", "a", "dependsOn", "itself");
    }

    @Test
    void dependsOnAnUnknownTask() {
        refused("""
                {"tasks": [
                  {"id": "classify", "tool": "echo", "args": {}},
                  {"id": "route", "tool": "echo", "args": {}, "dependsOn": ["clasify"]}
                ]}""", "route", "dependsOn", "unknown task 'clasify'", "did you mean 'classify'");
    }

    @Test
    void anUnknownTool() {
        refused("""
                {"tasks": [{"id": "t", "tool": "ecko", "args": {}}]}""", "t", "tool", "unknown tool 'ecko'", "echo");
    }

    @Test
    void aReferenceToAnUnknownTaskInArgs() {
        refused("""
                {"tasks": [
                  {"id": "customer", "tool": "echo", "args": {}},
                  {"id": "route", "tool": "echo", "args": {"tier": "${custmer.output.tier}"}}
                ]}""", "route", "args.tier", "unknown task 'custmer'");
    }

    @Test
    void aMalformedReference() {
        refused("""
                {"tasks": [
                  {"id": "customer", "tool": "echo", "args": {}},
                  {"id": "route", "tool": "echo", "args": {"tier": "${customer.tier}"}}
                ]}""", "route", "args.tier", "${customer.tier}", "output");
    }

    @Test
    void anUnclosedReference() {
        refused("""
                {"tasks": [{"id": "route", "tool": "echo", "args": {"tier": "${input.tier"}}]}""", "route", "args.tier", "unclosed");
    }

    @Test
    void argsBreakingTheToolSchemaAnUnknownMethod() {
        refused("""
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"method": "FETCH", "url": "http://127.0.0.1/x"}}]}""",
                "call", "args.method", "FETCH");
    }

    @Test
    void argsBreakingTheToolSchemaAUrlThatIsANumber() {
        refused("""
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"method": "GET", "url": 42}}]}""",
                "call", "args.url", "string");
    }

    @Test
    void argsBreakingTheToolSchemaAMissingUrl() {
        refused("""
                {"tasks": [{"id": "call", "tool": "http.request", "args": {"method": "GET"}}]}""", "call", null, "url");
    }

    @Test
    void anUnknownFieldSuggestsTheKnownOne() {
        refused("""
                {"tasks": [
                  {"id": "a", "tool": "echo", "args": {}},
                  {"id": "b", "tool": "echo", "args": {}, "dependOn": ["a"]}
                ]}""", "b", "dependOn", "unknown field 'dependOn'", "dependsOn");
    }

    @Test
    void anEmptyTaskList() {
        refused("{\"tasks\": []}", null, "tasks", "no tasks");
    }

    @Test
    void aPlanWithoutTasks() {
        refused("{\"steps\": []}", null, "tasks", "missing");
    }

    @Test
    void anAgentTaskWithoutAModel() {
        refused("""
                {"tasks": [{"id": "classify", "agent": "triager", "instruction": "Classify the ticket."}]}""",
                "classify", "agent", "model", "OPENAI_BASE_URL");
    }

    @Test
    void aPlanOverTheTaskLimit() {
        int count = 25_001;
        StringBuilder plan = new StringBuilder(count * 32).append("{\"tasks\": [");
        for (int i = 0; i < count; i++) {
            if (i > 0) plan.append(',');
            plan.append("{\"id\": \"t").append(i).append("\", \"wait\": \"PT1S\"}");
        }
        plan.append("]}");
        JsonNode problems = refused(plan.toString(), null, "tasks", "25001 tasks", "limit is 25000");
        assertEquals(1, problems.size(), "a plan over the limit is reported as that alone");
    }

    @Test
    void aWaitWithABadDuration() {
        refused("""
                {"tasks": [{"id": "cool-off", "wait": "2 hours"}]}""", "cool-off", "wait", "ISO-8601", "2 hours");
    }

    @Test
    void aNegativeWait() {
        refused("""
                {"tasks": [{"id": "cool-off", "wait": "-PT1S"}]}""", "cool-off", "wait", "zero or more");
    }

    @Test
    void aBadApprovalTimeoutAndPolicy() {
        refused("""
                {"tasks": [{"id": "a", "tool": "echo", "args": {}, "approval": {"timeout": "soon", "onTimeout": "ignore"}}]}""",
                "a", "approval.timeout", "ISO-8601");
        refused("""
                {"tasks": [{"id": "a", "tool": "echo", "args": {}, "approval": {"onTimeout": "ignore"}}]}""",
                "a", "approval.onTimeout", "reject", "escalate");
    }

    @Test
    void aTaskThatIsBothAToolAndAWait() {
        refused("""
                {"tasks": [{"id": "a", "tool": "echo", "args": {}, "wait": "PT1S"}]}""", "a", "wait", "cannot be combined");
    }

    @Test
    void aTaskWithoutAnId() {
        refused("""
                {"tasks": [{"tool": "echo", "args": {}}]}""", null, "tasks[0].id", "missing");
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() {
        JsonNode problems = refused("""
                {"tasks": [
                  {"id": "a", "tool": "ecko", "args": {}},
                  {"id": "b", "tool": "echo", "args": {}, "dependsOn": ["zzz"]},
                  {"id": "c", "tool": "http.request", "args": {"method": "FETCH", "url": "http://127.0.0.1/"}}
                ]}""", "a", "tool", "unknown tool");
        assertEquals(3, problems.size(), "one problem per broken task: " + problems);
    }
}
