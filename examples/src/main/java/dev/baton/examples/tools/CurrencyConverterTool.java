package dev.baton.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.RetryPolicy;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tool written by hand: implement {@link BatonTool}, describe it with a {@link ToolDescriptor}
 * (its JSON schema included), and register it.
 *
 * <pre>{@code
 * ToolRegistry tools = new ToolRegistry();
 * tools.register(new CurrencyConverterTool());
 *
 * // in a plan:
 * {"id": "price-usd", "tool": "currency.convert",
 *  "args": {"amount": "${quote.output.price}", "from": "EUR", "to": "USD"}}
 * // -> {"amount": 12.5, "from": "EUR", "to": "USD", "rate": 1.08, "converted": 13.5}
 * }</pre>
 *
 * <p>Writing the schema by hand gives full control: here the currencies are an {@code enum}
 * and the amount has a minimum, so the plan validator rejects {@code "from": "XYZ"} before
 * anything runs. The rates are a fixed table, which keeps the example deterministic: the tool
 * is idempotent and retrying a failure would not help, hence {@link RetryPolicy#NONE}.
 */
public final class CurrencyConverterTool implements BatonTool {

    /** Units of each currency per euro. Illustrative, not market data. */
    private static final Map<String, BigDecimal> PER_EURO = new TreeMap<>(Map.of(
            "EUR", new BigDecimal("1"),
            "USD", new BigDecimal("1.08"),
            "GBP", new BigDecimal("0.85"),
            "CHF", new BigDecimal("0.95"),
            "JPY", new BigDecimal("162")));

    private final ToolDescriptor descriptor = ToolDescriptor.builder("currency.convert")
            .description("Converts an amount of money from one currency to another at fixed example rates")
            .parameters(schema())
            .idempotent(true)
            .requiresApproval(false)
            .timeout(Duration.ofSeconds(1))
            .retry(RetryPolicy.NONE)
            .build();

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws ToolException {
        BigDecimal amount = args.path("amount").decimalValue();
        String from = currency(args, "from");
        String to = currency(args, "to");
        BigDecimal rate = PER_EURO.get(to).divide(PER_EURO.get(from), MathContext.DECIMAL64)
                .setScale(6, RoundingMode.HALF_EVEN).stripTrailingZeros();
        ObjectNode output = Json.object();
        output.put("amount", amount);
        output.put("from", from);
        output.put("to", to);
        output.put("rate", rate);
        output.put("converted", amount.multiply(rate).setScale(2, RoundingMode.HALF_EVEN));
        return output;
    }

    private static String currency(JsonNode args, String field) throws ToolException {
        String code = args.path(field).asText();
        if (!PER_EURO.containsKey(code)) {
            throw ToolException.permanent("unknown_currency", "'" + field + "' must be one of " + PER_EURO.keySet() + ", was '" + code + "'");
        }
        return code;
    }

    private static ObjectNode schema() {
        ObjectNode schema = Json.object();
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("amount").put("type", "number").put("minimum", 0)
                .put("description", "the amount to convert");
        for (String field : new String[]{"from", "to"}) {
            ObjectNode currency = properties.putObject(field).put("type", "string")
                    .put("description", "ISO 4217 code of the currency to convert " + field);
            ArrayNode codes = currency.putArray("enum");
            PER_EURO.keySet().forEach(codes::add);
        }
        schema.putArray("required").add("amount").add("from").add("to");
        schema.put("additionalProperties", false);
        return schema;
    }
}
