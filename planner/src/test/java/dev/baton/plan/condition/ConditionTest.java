package dev.baton.plan.condition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConditionTest {

    /** input {"amount": 120, "tier": "gold", "tags": ["vip", "eu"], "none": null}; classify SUCCEEDED with output {"category": "refund", "score": 0.75}; lookup FAILED. */
    static final Evaluator.Scope SCOPE = new Evaluator.Scope() {
        final JsonNode input = json("{\"amount\": 120, \"tier\": \"gold\", \"tags\": [\"vip\", \"eu\"], \"none\": null, \"zero\": 0}");
        final Map<String, JsonNode> outputs = Map.of("classify", json("{\"category\": \"refund\", \"score\": 0.75, \"items\": [{\"id\": 7}]}"));
        final Map<String, String> statuses = Map.of("classify", "SUCCEEDED", "lookup", "FAILED");

        @Override
        public JsonNode input() {
            return input;
        }

        @Override
        public JsonNode output(String taskId) {
            return outputs.get(taskId);
        }

        @Override
        public String status(String taskId) {
            return statuses.get(taskId);
        }

        @Override
        public JsonNode error(String taskId) {
            return taskId.equals("lookup") ? json("{\"code\": \"http_404\", \"message\": \"no such customer\"}") : null;
        }
    };

    static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static boolean eval(String condition) throws ConditionException {
        return Evaluator.test(ConditionParser.parse(condition), SCOPE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "input.amount > 100 | true",
            "input.amount >= 120.0 | true",
            "input.amount < 100 | false",
            "input.amount == 120 | true",
            "input.amount != 120 | false",
            "input.tier == 'gold' | true",
            "input.tier == \"silver\" | false",
            "classify.output.category == 'refund' and input.amount > 100 | true",
            "classify.output.category == 'refund' and not (input.amount > 100) | false",
            "classify.output.category == 'other' or input.tier == 'gold' | true",
            "not classify.output.category == 'other' | true",
            "classify.output.category in ['refund', 'return'] | true",
            "classify.output.category not in ['refund', 'return'] | false",
            "'vip' in input.tags | true",
            "'und' in classify.output.category | true",
            "'category' in classify.output | true",
            "exists(input.tier) | true",
            "exists(input.none) | false",
            "exists(input.missing.deeper) | false",
            "not exists(classify.output.reason) | true",
            "classify.output.items[0].id == 7 | true",
            "classify.output.score > 0.5 | true",
            "classify.status == 'SUCCEEDED' | true",
            "lookup.status == 'FAILED' and lookup.error.code == 'http_404' | true",
            "input.tier > 5 | false",
            "input.tier != 5 | true",
            "input.missing == null | true",
            "input.zero | false",
            "input.tags | true",
            "input.amount > -5 | true",
            "[1, 2] == [1, 2.0] | true",
            "true and (false or (null == null)) | true",
    })
    void evaluates(String condition, boolean expected) throws ConditionException {
        assertEquals(expected, eval(condition), condition);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "input.amount =~ 5 | unknown operator '=~' at 14",
            "input.amount = 5 | unknown operator '=' (did you mean '=='?) at 14",
            "input.a && input.b | unknown operator '&&' (did you mean 'and'?) at 9",
            "input.a + 1 | unknown operator '+' at 9",
            "len(input.tags) > 1 | unknown function 'len' (the only function is exists(...)) at 1",
            "input.amount > | unexpected end of the condition, expected a value, a reference, 'not', 'exists(...)' or '(' at 15",
            "(input.a == 1 | unexpected end of the condition, expected ')' to close the '(' at 1 at 14",
            "input.tier == gold | unknown name 'gold': a reference is input.<path>, <task>.output.<path>, <task>.status or <task>.error.<path>; strings need quotes at 15",
            "classify.result == 1 | unknown name 'classify.result': a reference is input.<path>, <task>.output.<path>, <task>.status or <task>.error.<path>; strings need quotes at 1",
            "input.tier == 'gold | unclosed string at 15",
            "input.a == 1 input.b | unexpected 'input', expected the end of the condition at 14",
            "classify.status.x == 1 | 'classify.status.x': a task's status is a plain string, it has no fields at 1",
            "input.a in [1, 2 | unexpected end of the condition, expected ',' or ']' to close the list opened at 12 at 17",
    })
    void rejects(String condition, String message) {
        ConditionException e = assertThrows(ConditionException.class, () -> ConditionParser.parse(condition));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsEmptyLongAndDeep() {
        assertThrows(ConditionException.class, () -> ConditionParser.parse("  "));
        assertThrows(ConditionException.class, () -> ConditionParser.parse("input.a == 1 or ".repeat(200) + "true"));
        String deep = "(".repeat(60) + "true" + ")".repeat(60);
        ConditionException e = assertThrows(ConditionException.class, () -> ConditionParser.parse(deep));
        assertEquals("the condition nests deeper than 50 levels at 51", e.getMessage());
    }

    @Test
    void listsTheTasksItReads() throws ConditionException {
        Expr expr = ConditionParser.parse("classify.output.x == 1 and (input.y or exists(lookup.error.code)) and 'a' in route.output");
        List<String> roots = ConditionParser.references(expr).stream().filter(Expr.Ref::readsTask).map(Expr.Ref::root).toList();
        assertEquals(List.of("classify", "lookup", "route"), roots);
    }
}
