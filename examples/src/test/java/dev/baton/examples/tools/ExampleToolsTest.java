package dev.baton.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExampleToolsTest {

    private final ToolRegistry tools = ToolCatalogueExample.catalogue(ToolSettings.none());

    @Test
    void everyWayEndsInTheSameRegistry() {
        Map<String, String> sources = tools.descriptors().stream()
                .collect(Collectors.toMap(ToolDescriptor::name, ToolDescriptor::source));

        assertEquals(Map.of(
                "echo", "builtin",
                "http.request", "builtin",
                "inventory.stockLevel", "annotated",
                "inventory.reserve", "annotated",
                "currency.convert", "code",
                "shipping.quote", "service-loader"), sources);
    }

    @Test
    void annotatedInventoryToolsHaveDerivedSchemasAndFlags() {
        ToolDescriptor reserve = descriptor("inventory.reserve");
        ToolDescriptor stockLevel = descriptor("inventory.stockLevel");

        assertTrue(reserve.requiresApproval());
        assertFalse(reserve.idempotent());
        assertEquals(Duration.ofSeconds(10), reserve.timeout());
        assertEquals(List.of("sku", "quantity"), fieldNames(reserve.parameters().get("properties")),
                "the ToolContext parameter is not an argument");
        assertEquals(List.of("sku", "quantity"), strings(reserve.parameters().get("required")));
        assertEquals("string", reserve.parameters().at("/properties/sku/type").asText());
        assertEquals("integer", reserve.parameters().at("/properties/quantity/type").asText());
        assertEquals("how many units, at least 1", reserve.parameters().at("/properties/quantity/description").asText());
        assertTrue(stockLevel.idempotent());
        assertFalse(stockLevel.requiresApproval());
    }

    @Test
    void reservingTakesStockOncePerIdempotencyKey() throws Exception {
        ObjectNode three = Json.object().put("sku", "SKU-1").put("quantity", 3);

        JsonNode first = call("inventory.reserve", three, "order-1");
        JsonNode repeat = call("inventory.reserve", three, "order-1");
        JsonNode second = call("inventory.reserve", three, "order-2");

        assertEquals(7, first.get("remaining").asInt());
        assertEquals(first, repeat, "a repeat of the same task returns the same reservation");
        assertEquals(4, second.get("remaining").asInt());
        assertEquals(4, call("inventory.stockLevel", Json.object().put("sku", "SKU-1"), "k").get("available").asInt());
    }

    @Test
    void inventoryFailuresArePermanent() {
        ToolException outOfStock = assertThrows(ToolException.class,
                () -> call("inventory.reserve", Json.object().put("sku", "SKU-2").put("quantity", 1), "k"));
        ToolException unknown = assertThrows(ToolException.class,
                () -> call("inventory.stockLevel", Json.object().put("sku", "SKU-404"), "k"));

        assertEquals("out_of_stock", outOfStock.code());
        assertFalse(outOfStock.retryable());
        assertEquals("unknown_sku", unknown.code());
        assertFalse(unknown.retryable());
    }

    @Test
    void currencyConverterDeclaresItsSchema() {
        ToolDescriptor convert = descriptor("currency.convert");

        assertTrue(convert.idempotent());
        assertEquals(1, convert.retry().maxAttempts());
        assertEquals(List.of("amount", "from", "to"), strings(convert.parameters().get("required")));
        assertEquals("number", convert.parameters().at("/properties/amount/type").asText());
        assertEquals(List.of("CHF", "EUR", "GBP", "JPY", "USD"), strings(convert.parameters().at("/properties/from/enum")));
    }

    @Test
    void currencyConverterConverts() throws Exception {
        JsonNode toDollars = call("currency.convert", Json.object().put("amount", 100).put("from", "EUR").put("to", "USD"), "k");
        JsonNode toPounds = call("currency.convert", Json.object().put("amount", 108).put("from", "USD").put("to", "GBP"), "k");

        assertEquals(new BigDecimal("108.00"), toDollars.get("converted").decimalValue());
        assertEquals(new BigDecimal("1.08"), toDollars.get("rate").decimalValue());
        assertEquals(new BigDecimal("85.00"), toPounds.get("converted").decimalValue());
        ToolException unknown = assertThrows(ToolException.class,
                () -> call("currency.convert", Json.object().put("amount", 1).put("from", "XYZ").put("to", "EUR"), "k"));
        assertEquals("unknown_currency", unknown.code());
    }

    @Test
    void providedShippingToolIsFoundAndCallable() throws Exception {
        ToolDescriptor quote = descriptor("shipping.quote");
        JsonNode result = call("shipping.quote", Json.object().put("country", "FR").put("weightKg", 2.5), "k");

        assertTrue(quote.idempotent());
        assertEquals(List.of("country", "weightKg"), strings(quote.parameters().get("required")));
        assertEquals("number", quote.parameters().at("/properties/weightKg/type").asText());
        assertEquals(7.90, result.get("price").asDouble(), 1e-9);
        assertEquals(2, result.get("days").asInt());
    }

    @Test
    void catalogueExamplePrintsTheCatalogueAndTwoResults() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        ToolCatalogueExample.run(ToolSettings.none(), new PrintStream(buffer, true, StandardCharsets.UTF_8));

        List<String> lines = buffer.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(8, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(3).matches("inventory\\.reserve\\s+annotated\\s+idempotent=false approval=true\\s+timeout=PT10S"), lines.get(3));
        assertTrue(lines.get(7).endsWith("\"converted\":8.53}"), lines.get(7));
    }

    private ToolDescriptor descriptor(String name) {
        return tools.descriptor(name).orElseThrow(() -> new AssertionError("no tool " + name + " in " + tools.names()));
    }

    private JsonNode call(String name, JsonNode args, String idempotencyKey) throws Exception {
        BatonTool tool = tools.find(name).orElseThrow();
        return tool.call(args, ToolContext.standalone(idempotencyKey));
    }

    private static List<String> fieldNames(JsonNode object) {
        return Json.MAPPER.convertValue(object, Map.class).keySet().stream().map(String::valueOf).toList();
    }

    private static List<String> strings(JsonNode array) {
        return List.of(Json.MAPPER.convertValue(array, String[].class));
    }
}
