package dev.baton.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.baton.plan.Fixtures.json;
import static dev.baton.plan.Fixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

class PlanWriterTest {

    @Test
    void designExampleRoundTrips() throws PlanException {
        Plan plan = plan(Fixtures.DESIGN_EXAMPLE);
        assertEquals(plan, PlanParser.parse(PlanWriter.toJson(plan)));
        assertEquals(plan, PlanParser.parse(Json.write(PlanWriter.toJson(plan))), "also through JSON text");
    }

    @Test
    void designExampleIsWrittenInTheSameShape() {
        ObjectNode expected = (ObjectNode) json("""
                {'tasks': [
                  {'id': 'classify', 'title': 'Classify the ticket', 'agent': 'triager',
                   'instruction': 'Classify this ticket by category and priority.'},
                  {'id': 'customer', 'title': 'Look up the customer', 'tool': 'crm.lookup', 'args': {'email': '${input.email}'}},
                  {'id': 'route', 'title': 'Route to a queue', 'tool': 'tickets.route',
                   'args': {'category': '${classify.output.category}', 'tier': '${customer.output.tier}'},
                   'approval': 'required', 'retry': {'maxAttempts': 3, 'backoff': 'PT1S'}},
                  {'id': 'cool-off', 'title': 'cool-off', 'wait': 'PT2H', 'dependsOn': ['route']}
                ]}
                """);
        assertEquals(expected, PlanWriter.toJson(plan(Fixtures.DESIGN_EXAMPLE)));
    }

    @Test
    void toolTasksAlwaysHaveArgs() {
        ObjectNode written = PlanWriter.toJson(plan("{'tasks':[{'id':'t','tool':'x'}]}"));
        assertEquals(json("{'tasks':[{'id':'t','title':'t','tool':'x','args':{}}]}"), written);
    }

    @Test
    void everyOptionalFieldRoundTrips() throws PlanException {
        Plan plan = new Plan(List.of(
                new TaskSpec("a", "A", new TaskAction.ToolCall("x.y", (ObjectNode) json("{'n':[1,2.5,{'k':null}],'s':'${input}'}")),
                        List.of("b"), new ApprovalSpec(true, Duration.ofMinutes(90), ApprovalSpec.ExpiryPolicy.ESCALATE),
                        new PlanRetry(7, Duration.ofMillis(250), Duration.ofMinutes(2)), Duration.ofSeconds(45)),
                new TaskSpec("b", null, new TaskAction.AgentCall("researcher", "Find out."), null,
                        new ApprovalSpec(false, null, null), new PlanRetry(null, null, null), null),
                new TaskSpec("c", "C", new TaskAction.Wait(Duration.ZERO), List.of("a", "b"),
                        new ApprovalSpec(false, Duration.ofDays(1), ApprovalSpec.ExpiryPolicy.REJECT), null, null)));
        ObjectNode written = PlanWriter.toJson(plan);
        assertEquals(plan, PlanParser.parse(written));
        assertEquals(json("{'required':true,'timeout':'PT1H30M','onTimeout':'escalate'}"), written.at("/tasks/0/approval"));
        assertEquals(json("'none'"), written.at("/tasks/1/approval"));
        assertEquals(json("{}"), written.at("/tasks/1/retry"));
        assertEquals(json("{'required':false,'timeout':'PT24H','onTimeout':'reject'}"), written.at("/tasks/2/approval"));
        assertEquals(json("'PT0S'"), written.at("/tasks/2/wait"));
    }

    @Test
    void writtenArgsAreACopy() {
        Plan plan = plan("{'tasks':[{'id':'t','tool':'x','args':{'a':1}}]}");
        ObjectNode written = PlanWriter.toJson(plan);
        ((ObjectNode) written.at("/tasks/0/args")).put("a", 2);
        TaskAction.ToolCall call = (TaskAction.ToolCall) plan.tasks().get(0).action();
        assertEquals(json("{'a':1}"), call.args());
        assertNotSame(call.args(), written.at("/tasks/0/args"));
    }
}
