package dev.baton.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;

/**
 * The built-in {@code echo} tool: returns its arguments unchanged. It does nothing, which makes
 * it the simplest task for demos, playbook skeletons and tests of the orchestrator itself.
 *
 * <pre>{@code
 * {"id": "hello", "tool": "echo", "args": {"greeting": "hello ${input.name}"}}
 * }</pre>
 */
public final class EchoTool implements BatonTool {

    public static final String NAME = "echo";

    private final ToolDescriptor descriptor = ToolDescriptor.builder(NAME)
            .description("Returns its arguments unchanged.")
            .parameters(anyObject())
            .idempotent(true)
            .requiresApproval(false)
            .source("builtin")
            .build();

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) {
        return args == null ? NullNode.getInstance() : args.deepCopy();
    }

    private static ObjectNode anyObject() {
        ObjectNode schema = ToolDescriptor.emptyObjectSchema();
        schema.put("additionalProperties", true);
        return schema;
    }
}
