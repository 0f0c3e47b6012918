package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.baton.plan.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReferencesTest {

    static final JsonNode INPUT = json("{'email':'ann@example.com','name':'Ann','n':2}");
    static final Map<String, JsonNode> OUTPUTS = Map.of(
            "classify", json("{'category':'billing','confidence':0.87,'tags':['a','b'],'meta':{'k':1}}"),
            "lookup", json("{'items':[{'id':'i0'},{'id':'i1','price':12.5}]}"));
    static final Function<String, JsonNode> OUTPUT_OF = OUTPUTS::get;

    static JsonNode resolve(String args) {
        return References.resolve(json(args), INPUT, OUTPUT_OF);
    }

    @Test
    void wholeReferenceKeepsTheValueType() {
        assertEquals(json("{'c':0.87,'tags':['a','b'],'meta':{'k':1},'n':2,'s':'billing'}"), resolve(
                "{'c':'${classify.output.confidence}','tags':'${classify.output.tags}','meta':'${classify.output.meta}',"
                        + "'n':'${input.n}','s':'${classify.output.category}'}"));
        assertEquals(INPUT, resolve("'${input}'"));
        assertEquals(OUTPUTS.get("classify"), resolve("'${classify.output}'"));
    }

    @Test
    void referencesInsideTextAreInterpolated() {
        assertEquals(TextNode.valueOf("Dear Ann (ann@example.com): billing, 0.87, {\"k\":1}"),
                resolve("'Dear ${input.name} (${input.email}): ${classify.output.category}, ${classify.output.confidence}, ${classify.output.meta}'"));
    }

    @Test
    void missingPathResolvesToNull() {
        assertEquals(json("{'a':null,'b':null,'c':null,'d':'x=;'}"), resolve(
                "{'a':'${classify.output.nope}','b':'${input.nope.deeper}','c':'${unknown.output.x}','d':'x=${classify.output.nope};'}"));
    }

    @Test
    void arrayIndexes() {
        assertEquals(json("{'second':'i1','price':12.5,'first':{'id':'i0'},'beyond':null}"), resolve(
                "{'second':'${lookup.output.items[1].id}','price':'${lookup.output.items[1].price}',"
                        + "'first':'${lookup.output.items[0]}','beyond':'${lookup.output.items[5].id}'}"));
        assertEquals(TextNode.valueOf("b"), resolve("'${classify.output.tags[1]}'"));
        assertEquals(TextNode.valueOf("a"), resolve("'${classify.output.tags[0]}'"));
    }

    @Test
    void nestedArgumentsAreResolvedAndTheOriginalIsUntouched() {
        ObjectNode args = (ObjectNode) json("{'deep':{'list':[1,'${input.n}',{'x':'${classify.output.category}'}]},'plain':true}");
        ObjectNode before = args.deepCopy();
        assertEquals(json("{'deep':{'list':[1,2,{'x':'billing'}]},'plain':true}"), References.resolve(args, INPUT, OUTPUT_OF));
        assertEquals(before, args);
        assertEquals(NullNode.instance, References.resolve(null, INPUT, OUTPUT_OF));
    }

    @Test
    void parseSplitsRootAndPath() {
        assertEquals(new References.Reference("${lookup.output.items[1].id}", "lookup", false, List.of("items", 1, "id")),
                References.parse("lookup.output.items[1].id"));
        assertEquals(new References.Reference("${input}", "input", true, List.of()), References.parse("input"));
        assertEquals(List.of(0), References.parse("lookup.output[0]").path());
    }

    @Test
    void malformedReferencesSayWhatIsExpected() {
        IllegalArgumentException notOutput = assertThrows(IllegalArgumentException.class, () -> References.parse("classify.category"));
        assertTrue(notOutput.getMessage().contains("${classify.output.field}"), notOutput.getMessage());
        assertThrows(IllegalArgumentException.class, () -> References.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> References.parse("a.output.x."));
        assertThrows(IllegalArgumentException.class, () -> References.parse("a.output.x[y]"));
        assertThrows(IllegalArgumentException.class, () -> References.in(json("{'a':['${b.result}']}")));
    }

    @Test
    void inListsEveryReferenceInOrder() {
        List<References.Reference> found = References.in(json("{'a':'${input.x} and ${b.output}','c':['${d.output.e}']}"));
        assertEquals(List.of("${input.x}", "${b.output}", "${d.output.e}"), found.stream().map(References.Reference::text).toList());
    }

    @Test
    void dependenciesAreDependsOnThenReferencedTasksWithoutRepeats() {
        TaskSpec task = new TaskSpec("t", null, new TaskAction.ToolCall("x", (ObjectNode) json(
                "{'a':'${b.output.x}','list':['${input.y}','${c.output}','${ b.output }','${a.output[0]}'],'t':'${d.outputs}'}")),
                List.of("z", "c"), null, null, null);
        assertEquals(List.of("z", "c", "b", "a", "d"), List.copyOf(task.dependencies()));
    }

    @Test
    void taskIdsInSkipsInputAndMalformedRoots() {
        assertEquals(Set.of("b"), References.taskIdsIn(json("{'a':'${input.b}','b':'${b.output}','c':'${c.result}','d':'${}'}")));
    }

    @Test
    void agentAndWaitTasksDependOnlyOnDependsOn() {
        TaskSpec agent = new TaskSpec("t", null, new TaskAction.AgentCall("a", "use ${b.output}"), List.of("c"), null, null, null);
        assertEquals(Set.of("c"), agent.dependencies());
    }

    @Test
    void aTextForAModelGetsEveryValueAsTextEvenAWholeObject() {
        Function<String, JsonNode> errors = id -> id.equals("classify") ? json("{'code':'http_503','message':'down'}") : null;
        assertEquals("{\"code\":\"http_503\",\"message\":\"down\"}", References.resolveToText("${classify.error}", INPUT, OUTPUT_OF, errors));
        assertEquals("failed: http_503, missing: .", References.resolveToText("failed: ${classify.error.code}, missing: ${input.nothing}.",
                INPUT, OUTPUT_OF, errors));
        assertEquals("", References.resolveToText("${input.nothing}", INPUT, OUTPUT_OF, errors));
    }
}
