package dev.baton.examples.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;

import java.io.PrintStream;
import java.util.Map;

/**
 * All the ways of giving Baton tools, in one registry, then two calls. Run {@link #main} (from
 * an IDE, say; {@code ExampleToolsTest} runs it too) and it prints the catalogue (name, source,
 * flags) and two results:
 * <pre>
 * currency.convert       code            idempotent=true  approval=false timeout=PT1S
 * echo                   builtin         idempotent=true  approval=false timeout=PT30S
 * http.request           builtin         idempotent=false approval=false timeout=PT30S
 * inventory.reserve      annotated       idempotent=false approval=true  timeout=PT10S
 * inventory.stockLevel   annotated       idempotent=true  approval=false timeout=PT30S
 * shipping.quote         service-loader  idempotent=true  approval=false timeout=PT2S
 * shipping.quote   -> {"country":"FR","weightKg":2.5,"price":7.9,"currency":"EUR","days":2}
 * currency.convert -> {"amount":7.9,"from":"EUR","to":"USD","rate":1.08,"converted":8.53}
 * </pre>
 */
public final class ToolCatalogueExample {

    private ToolCatalogueExample() {
    }

    /** The registry an application would build: built-ins, annotated methods, a hand-written tool, and providers on the classpath. */
    public static ToolRegistry catalogue(ToolSettings settings) {
        ToolRegistry tools = new ToolRegistry();
        // http.request and echo
        BuiltinTools.register(tools, settings);
        // LangChain4j @Tool methods
        tools.registerAnnotated(new InventoryTools(Map.of("SKU-1", 10, "SKU-2", 0)));
        // a hand-written BatonTool
        tools.register(new CurrencyConverterTool());
        // every ToolProvider listed in a META-INF/services/dev.baton.tools.ToolProvider on the classpath
        tools.discover(ToolCatalogueExample.class.getClassLoader(), settings);
        return tools;
    }

    public static void main(String[] args) throws Exception {
        run(ToolSettings.fromEnvironment(System.getenv()), System.out);
    }

    /** Prints the catalogue and two calls' results to {@code out}. */
    static void run(ToolSettings settings, PrintStream out) throws Exception {
        ToolRegistry tools = catalogue(settings);
        for (ToolDescriptor tool : tools.descriptors()) {
            out.printf("%-22s %-15s idempotent=%-5s approval=%-5s timeout=%s%n", tool.name(), tool.source(),
                    tool.idempotent(), tool.requiresApproval(), tool.timeout() == null ? "default" : tool.timeout());
        }
        ToolContext context = ToolContext.standalone("example-1");
        JsonNode price = tools.find("shipping.quote").orElseThrow()
                .call(Json.object().put("country", "FR").put("weightKg", 2.5), context);
        JsonNode inDollars = tools.find("currency.convert").orElseThrow()
                .call(Json.object().put("amount", price.get("price").decimalValue()).put("from", "EUR").put("to", "USD"), context);
        out.println("shipping.quote   -> " + price);
        out.println("currency.convert -> " + inDollars);
    }
}
