package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.baton.plan.Fixtures.CATALOG;
import static dev.baton.plan.Fixtures.assertOnlyProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link JsonSize} counts what {@code Json.MAPPER} writes, byte for byte, without writing it. */
class JsonSizeTest {

    private static final JsonNodeFactory NODES = Json.MAPPER.getNodeFactory();

    /** What the writer itself writes: the figure the validator gave before it counted from the tree. */
    private static long written(JsonNode value) throws Exception {
        return Json.MAPPER.writeValueAsBytes(value).length;
    }

    @Test
    void everyKindOfValueCountsAsWritten() throws Exception {
        List<JsonNode> values = List.of(
                NODES.nullNode(), NODES.booleanNode(true), NODES.booleanNode(false),
                NODES.numberNode(0), NODES.numberNode(-7), NODES.numberNode(Integer.MAX_VALUE), NODES.numberNode(Integer.MIN_VALUE),
                NODES.numberNode((short) -12), NODES.numberNode(Long.MAX_VALUE), NODES.numberNode(Long.MIN_VALUE), NODES.numberNode(-10_000_000_000L),
                NODES.numberNode(1.5), NODES.numberNode(1e300), NODES.numberNode(-0.0), NODES.numberNode(3.25f),
                NODES.numberNode(new BigDecimal("1.10E+5")), NODES.numberNode(new BigInteger("123456789012345678901234567890")),
                NODES.textNode(""), NODES.textNode("plain"), NODES.textNode("quote \" and \\ backslash / slash"),
                NODES.textNode("line\nbreak\ttab\r\b\f and \u0001 \u001f \u007f"), NODES.textNode("é ß ü ÿ ߿ ࠀ 日本 \uffff"),
                NODES.textNode("emoji 😀 pair"), NODES.textNode("\u2028\u2029"),
                NODES.binaryNode(new byte[]{1, 2, 3, 4, 5}), NODES.pojoNode(List.of(1, "two", 3.5)), NODES.textNode("lone \ud800 high, lone \udc00 low"),
                NODES.objectNode(), NODES.arrayNode(),
                Json.MAPPER.readTree("{\"a\":{\"b\":[1,2,{\"c\":null}]},\"é\\n\":\"x\",\"\":[]}"));
        for (JsonNode value : values) {
            assertEquals(written(value), JsonSize.of(value), value.getNodeType() + " " + value);
        }
    }

    @Test
    void randomTreesCountAsWritten() throws Exception {
        Random random = new Random(12);
        for (int i = 0; i < 2_000; i++) {
            JsonNode tree = randomValue(random, 4);
            assertEquals(written(tree), JsonSize.of(tree), tree.toString());
        }
    }

    @Test
    void aFieldCountedAlreadyIsNotWalkedAgain() throws Exception {
        ObjectNode task = (ObjectNode) Json.MAPPER.readTree("{\"id\":\"t\",\"tool\":\"echo\",\"args\":{\"ü\":[1,\"x\\n\"]},\"dependsOn\":[\"a\"]}");
        long args = JsonSize.of(task.get("args"));
        assertEquals(written(task), JsonSize.ofObject(task, "args", args));
        assertEquals(written(task) - args + 1000, JsonSize.ofObject(task, "args", 1000));
    }

    @Test
    void thePlanLimitSaysWhatTheWriterWrites() throws Exception {
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ObjectNode args = NODES.objectNode().put("text", "line " + i + "\n\"é\" 😀").put("ratio", i / 7.0).put("n", -i);
            tasks.add(new TaskSpec("t" + i, "Tâche n° " + i, new TaskAction.ToolCall("crm.lookup", args), List.of(), null, null, null));
        }
        Plan plan = new Plan(tasks);
        long bytes = written(PlanWriter.toJson(plan));
        PlanValidator validator = new PlanValidator(CATALOG, new PlanLimits(100, 1000, 1000, (int) bytes - 1));
        assertOnlyProblem(validator.validate(plan), null, "tasks", "the plan takes " + bytes + " bytes as JSON; the limit is " + (bytes - 1));
        assertOnlyProblem(validator.validate(plan, PlanWriter.toJson(plan)), null, "tasks", "the plan takes " + bytes + " bytes");
    }

    private static JsonNode randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 10 : 7);
        return switch (kind) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(random.nextInt());
            case 3 -> NODES.numberNode(random.nextLong() >> random.nextInt(64));
            case 4 -> NODES.numberNode(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 5, 6 -> NODES.textNode(randomText(random));
            case 7, 8 -> {
                ObjectNode object = NODES.objectNode();
                for (int i = random.nextInt(5); i > 0; i--) object.set(randomText(random), randomValue(random, depth - 1));
                yield object;
            }
            default -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(5); i > 0; i--) array.add(randomValue(random, depth - 1));
                yield array;
            }
        };
    }

    /** Mostly ASCII, with escapes, two- and three-byte characters and surrogate pairs mixed in. */
    private static String randomText(Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            switch (random.nextInt(8)) {
                case 0 -> text.append((char) random.nextInt(0x20));
                case 1 -> text.append(random.nextBoolean() ? '"' : '\\');
                case 2 -> text.append((char) (0x80 + random.nextInt(0x780)));
                case 3 -> text.append((char) (0x800 + random.nextInt(0xD000 - 0x800)));
                case 4 -> text.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000));
                default -> text.append((char) (0x20 + random.nextInt(0x60)));
            }
        }
        return text.toString();
    }
}
