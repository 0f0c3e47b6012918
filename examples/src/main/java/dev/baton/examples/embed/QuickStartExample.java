package dev.baton.examples.embed;

import dev.baton.Baton;
import dev.baton.RunResult;
import dev.baton.plan.Plan;
import dev.langchain4j.agent.tool.Tool;

import java.time.Duration;
import java.util.Map;

/**
 * Baton embedded with its Java API: a custom tool, a three-task plan, an approval decided by a
 * listener. Under 30 lines of code (QuickStartExampleTest counts them). Run it with
 * {@code mvn -q -pl examples exec:java -Dexec.mainClass=dev.baton.examples.embed.QuickStartExample}.
 */
public final class QuickStartExample {

    /** A custom tool: each {@code @Tool} method is one (names need {@code -parameters}, set in the parent pom). */
    public static class Shop {
        @Tool(name = "shop.stock", value = "Units of a product in stock") public int stock(String sku) { return 10; }
        @Tool(name = "shop.price", value = "Price of one unit in EUR") public double price(String sku) { return 12.5; }
        @Tool(name = "shop.order", value = "Orders units of a product")
        public String order(String sku, int quantity, double unitPrice) { return quantity + " x " + sku + " = " + quantity * unitPrice + " EUR"; }
    }

    public static RunResult orderTwoUnits() {
        try (Baton baton = Baton.builder().tools(new Shop()).start()) {
            baton.onApprovalRequested(request -> baton.decide(request.approve().by("example-approver")));
            Plan plan = Plan.builder()
                    .tool("stock", "shop.stock", Map.of("sku", "${input.sku}"))
                    .tool("price", "shop.price", Map.of("sku", "${input.sku}"))
                    .tool("order", "shop.order", Map.of("sku", "${input.sku}", "quantity", 2, "unitPrice", "${price.output}"))
                        .dependsOn("stock").requireApproval().build();
            return baton.run("order two units of SKU-1", plan, Map.of("sku", "SKU-1")).await(Duration.ofSeconds(30));
        }
    }

    public static void main(String[] args) {
        System.out.println(orderTwoUnits().output("order").asText()); // 2 x SKU-1 = 25.0 EUR
    }
}
