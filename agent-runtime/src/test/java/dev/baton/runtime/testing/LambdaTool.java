package dev.baton.runtime.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;

import java.util.function.UnaryOperator;

/**
 * A tool made of a lambda, for orchestrator tests: any object arguments, the body as its call.
 * <pre>{@code
 * tools.register(LambdaTool.of("count", (args, context) -> Json.object().put("n", calls.incrementAndGet())));
 * tools.register(LambdaTool.of("slow", d -> d.timeout(Duration.ofMillis(200)), (args, context) -> ...));
 * }</pre>
 */
public final class LambdaTool implements BatonTool {
    /** What the tool does when called. */
    public interface Body {
        JsonNode call(JsonNode args, ToolContext context) throws Exception;
    }

    private final ToolDescriptor descriptor;
    private final Body body;

    private LambdaTool(ToolDescriptor descriptor, Body body) {
        this.descriptor = descriptor;
        this.body = body;
    }

    public static LambdaTool of(String name, Body body) {
        return of(name, UnaryOperator.identity(), body);
    }

    /** @param settings changes the descriptor (timeout, retry policy, approval) before it is built */
    public static LambdaTool of(String name, UnaryOperator<ToolDescriptor.Builder> settings, Body body) {
        ToolDescriptor.Builder builder = ToolDescriptor.builder(name).description("test tool " + name)
                .parameters(Json.object().put("type", "object"));
        return new LambdaTool(settings.apply(builder).build(), body);
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        return body.call(args, context);
    }
}
