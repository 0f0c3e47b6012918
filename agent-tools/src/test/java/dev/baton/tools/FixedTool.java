package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** A hand-written tool for tests: answers its own name. */
record FixedTool(ToolDescriptor descriptor) implements BatonTool {

    FixedTool(String name) {
        this(ToolDescriptor.builder(name).build());
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) {
        return TextNode.valueOf(descriptor.name());
    }
}
