package dev.baton.tools.annotated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolOptions;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolMemoryId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodToolTest {

    private static final ToolContext CONTEXT = ToolContext.standalone("key-42");

    private final Map<String, MethodTool> tools = MethodTool.allOf(new OrderTools()).stream()
            .collect(Collectors.toMap(tool -> tool.descriptor().name(), tool -> tool));

    @Test
    void oneToolPerAnnotatedMethodNamedByAnnotationOrMethod() {
        assertEquals(List.of("countWords", "fail", "greet", "orders.create", "ping", "tree"),
                MethodTool.allOf(new OrderTools()).stream().map(tool -> tool.descriptor().name()).toList());
    }

    @Test
    void schemaIsDerivedFromTheParameters() {
        ToolDescriptor create = tools.get("orders.create").descriptor();
        JsonNode schema = create.parameters();

        assertEquals("Creates an order", create.description());
        assertEquals("object", schema.get("type").asText());
        assertEquals(List.of("customer", "lines", "note", "priority"), fieldNames(schema.get("properties")));
        assertEquals(List.of("customer", "lines"), strings(schema.get("required")));
        assertEquals("string", schema.at("/properties/customer/type").asText());
        assertEquals("the customer id", schema.at("/properties/customer/description").asText());
        assertEquals("array", schema.at("/properties/lines/type").asText());
        assertEquals("integer", schema.at("/properties/lines/items/properties/quantity/type").asText());
        assertEquals(List.of("sku", "quantity"), strings(schema.at("/properties/lines/items/required")));
        assertEquals(List.of("LOW", "HIGH"), strings(schema.at("/properties/priority/enum")));
    }

    @Test
    void descriptionJoinsTheAnnotationLinesAndDefaultValuesAreNotRequired() {
        ToolDescriptor count = tools.get("countWords").descriptor();

        assertEquals("Counts the words\nof a text", count.description());
        assertEquals(List.of("text"), strings(count.parameters().get("required")));
        assertEquals("integer", count.parameters().at("/properties/minLength/type").asText());
    }

    @Test
    void recursiveTypesBecomeReferences() {
        JsonNode schema = tools.get("tree").descriptor().parameters();

        String ref = schema.at("/properties/root/properties/children/items/$ref").asText();
        assertTrue(ref.startsWith("#/$defs/"), ref);
        assertTrue(schema.get("$defs").has(ref.substring("#/$defs/".length())), schema.toString());
    }

    /** A tree of units, as LangChain4j describes it: the nested level is a {@code $ref} to a definition. */
    public static class UnitTools {
        public record Unit(String name, List<Unit> children) {
        }

        @Tool("Counts the units of a tree")
        public int countUnits(Unit unit) {
            return 1 + unit.children().stream().mapToInt(this::countUnits).sum();
        }
    }

    @Test
    void argumentsAreCheckedThroughTheReferencesOfNestedRecords() throws Exception {
        MethodTool count = MethodTool.allOf(new UnitTools()).get(0);
        JsonNode schema = count.descriptor().parameters();
        assertEquals(List.of(), JsonSchemaValidator.schemaProblems(schema, "parameters"), schema::toString);
        assertTrue(schema.toString().contains("\"$ref\""), schema.toString());

        JsonNode good = Json.parse("{\"unit\":{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[]}]}}");
        assertEquals(List.of(), JsonSchemaValidator.validate(schema, good));
        assertEquals(2, count.call(good, CONTEXT).asInt());

        JsonNode nestedWrong = Json.parse("{\"unit\":{\"name\":\"a\",\"children\":[{\"name\":5,\"children\":[]}]}}");
        assertEquals(List.of(new SchemaViolation("args.unit.children[0].name", "expected string, found number 5")),
                JsonSchemaValidator.validate(schema, nestedWrong));
    }

    @Test
    void toolContextParameterIsHiddenFromTheSchemaAndPassedIn() throws Exception {
        MethodTool greet = tools.get("greet");

        assertEquals(List.of("who"), fieldNames(greet.descriptor().parameters().get("properties")));
        assertEquals(List.of("who"), strings(greet.descriptor().parameters().get("required")));
        assertEquals("hello Ada (key-42)", greet.call(Json.object().put("who", "Ada"), CONTEXT).asText());
    }

    @Test
    void optionsOnTheMethodReplaceTheClassDefaults() {
        ToolDescriptor create = tools.get("orders.create").descriptor();
        ToolDescriptor count = tools.get("countWords").descriptor();

        assertTrue(create.requiresApproval());
        assertFalse(create.idempotent());
        assertEquals(Duration.ofSeconds(5), create.timeout());
        assertEquals(5, create.retry().maxAttempts());
        assertTrue(count.idempotent());
        assertFalse(count.requiresApproval());
        assertEquals(Duration.ofMinutes(1), count.timeout());
        assertEquals(3, count.retry().maxAttempts());
        assertEquals("annotated", count.source());
    }

    @Test
    void argumentsAreConvertedToTheGenericParameterTypes() throws Exception {
        ObjectNode args = Json.object().put("customer", "c-9").put("priority", "HIGH");
        args.putArray("lines").add(Json.object().put("sku", "A").put("quantity", 2))
                .add(Json.object().put("sku", "B").put("quantity", "3"));

        JsonNode order = tools.get("orders.create").call(args, CONTEXT);

        assertEquals("c-9", order.get("customer").asText());
        assertEquals(5, order.get("units").asInt(), "List<Line> was converted: " + order);
        assertEquals("HIGH", order.get("priority").asText());
        assertTrue(order.get("note").isNull(), "an absent Optional<String> is empty");

        args.put("note", "gift wrap");
        assertEquals("gift wrap", tools.get("orders.create").call(args, CONTEXT).get("note").asText());
    }

    @Test
    void defaultValueFillsAMissingArgument() throws Exception {
        MethodTool count = tools.get("countWords");

        assertEquals(4, count.call(Json.object().put("text", "a bb ccc dddd"), CONTEXT).asInt());
        assertEquals(2, count.call(Json.object().put("text", "a bb ccc dddd").put("minLength", 3), CONTEXT).asInt());
    }

    @Test
    void resultsBecomeJson() throws Exception {
        assertTrue(tools.get("countWords").call(Json.object().put("text", "x"), CONTEXT).isInt());
        assertTrue(tools.get("greet").call(Json.object().put("who", "x"), CONTEXT).isTextual());
        assertTrue(tools.get("ping").call(Json.object(), CONTEXT).isNull());
    }

    @Test
    void unconvertibleArgumentIsPermanentAndNamesTheArgument() {
        ObjectNode args = Json.object().put("customer", "c");
        args.putArray("lines").add(Json.object().put("sku", "A").put("quantity", "many"));

        ToolException failure = assertThrows(ToolException.class, () -> tools.get("orders.create").call(args, CONTEXT));

        assertEquals("invalid_arguments", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("'lines'"), failure.getMessage());
    }

    @Test
    void missingRequiredArgumentIsPermanent() {
        ToolException failure = assertThrows(ToolException.class, () -> tools.get("greet").call(Json.object(), CONTEXT));

        assertEquals("invalid_arguments", failure.code());
        assertTrue(failure.getMessage().contains("'who'"), failure.getMessage());
    }

    @Test
    void exceptionsOfTheMethodPassThroughUnwrapped() {
        ToolException permanent = assertThrows(ToolException.class,
                () -> tools.get("fail").call(Json.object().put("kind", "permanent"), CONTEXT));
        Exception other = assertThrows(Exception.class,
                () -> tools.get("fail").call(Json.object().put("kind", "bug"), CONTEXT));

        assertEquals("not_today", permanent.code());
        assertFalse(permanent.retryable());
        assertInstanceOf(IllegalStateException.class, other);
        assertEquals("boom", other.getMessage());
    }

    @Test
    void aClassWithoutToolsIsRefused() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> MethodTool.allOf("a string"));

        assertTrue(error.getMessage().contains("java.lang.String"), error.getMessage());
    }

    @Test
    void langChain4jMemoryIdsAreRefusedWithAHint() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> MethodTool.allOf(new Object() {
            @Tool
            public String remember(@ToolMemoryId String memoryId, String fact) {
                return fact;
            }
        }));

        assertTrue(error.getMessage().contains("ToolContext"), error.getMessage());
    }

    @Test
    void withoutATimeoutOfItsOwnAToolLeavesItToTheOrchestrator() {
        List<MethodTool> tools = MethodTool.allOf(new Object() {
            @Tool
            @ToolOptions(idempotent = true)
            public String plain() {
                return "";
            }

            @Tool
            public String bare() {
                return "";
            }
        });
        for (MethodTool tool : tools) {
            assertEquals(null, tool.descriptor().timeout(), tool.descriptor().name());
            assertEquals(Duration.ofSeconds(7), tool.descriptor().timeoutOr(Duration.ofSeconds(7)));
        }
    }

    @Test
    void badTimeoutIsReportedWithTheMethod() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> MethodTool.allOf(new Object() {
            @Tool
            @ToolOptions(timeout = "30s")
            public String slow() {
                return "";
            }
        }));

        assertTrue(error.getMessage().contains("#slow"), error.getMessage());
        assertTrue(error.getMessage().contains("ISO-8601"), error.getMessage());
    }

    private static List<String> fieldNames(JsonNode object) {
        return Json.MAPPER.convertValue(object, Map.class).keySet().stream().map(String::valueOf).toList();
    }

    private static List<String> strings(JsonNode array) {
        return List.of(Json.MAPPER.convertValue(array, String[].class));
    }
}
