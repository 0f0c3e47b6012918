package dev.baton.tools.annotated;

import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolOptions;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;

import java.util.List;
import java.util.Optional;

/** Annotated tools covering the parameter and return shapes MethodTool must handle. */
@ToolOptions(idempotent = true, timeout = "PT1M")
public class OrderTools {

    public record Line(String sku, int quantity) {
    }

    public enum Priority { LOW, HIGH }

    public record Order(String customer, List<Line> lines, int units, String note, Priority priority) {
    }

    public record Category(String name, List<Category> children) {
    }

    @Tool(name = "orders.create", value = "Creates an order")
    @ToolOptions(requiresApproval = true, timeout = "PT5S", maxAttempts = 5)
    public Order create(@P("the customer id") String customer, List<Line> lines, Optional<String> note,
                        @P(value = "how urgent", required = false) Priority priority) {
        int units = lines.stream().mapToInt(Line::quantity).sum();
        return new Order(customer, lines, units, note.orElse(null), priority);
    }

    @Tool({"Counts the words", "of a text"})
    public int countWords(String text, @P(value = "minimum word length", defaultValue = "1") int minLength) {
        return (int) List.of(text.split("\\s+")).stream().filter(word -> word.length() >= minLength).count();
    }

    @Tool("Greets someone")
    public String greet(@P(name = "who", value = "a name") String name, ToolContext context) {
        return "hello " + name + " (" + context.idempotencyKey() + ")";
    }

    @Tool
    public void ping() {
    }

    @Tool
    public int tree(Category root) {
        return 1 + root.children().size();
    }

    @Tool
    public String fail(String kind) throws ToolException {
        if (kind.equals("permanent")) {
            throw ToolException.permanent("not_today", "no orders today");
        }
        throw new IllegalStateException("boom");
    }

    public String notATool() {
        return "not a tool";
    }
}
