package dev.baton.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Small tools that the API tests register next to the built-in ones. */
public final class TestTools {
    private TestTools() {
    }

    /** A tool that returns its arguments, like {@code echo}, and remembers every call's arguments. */
    public static final class Recording implements BatonTool {
        private final ToolDescriptor descriptor;
        private final List<JsonNode> calls = new CopyOnWriteArrayList<>();

        public Recording(ToolDescriptor descriptor) {
            this.descriptor = descriptor;
        }

        @Override
        public ToolDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public JsonNode call(JsonNode args, ToolContext context) {
            calls.add(args.deepCopy());
            return args.deepCopy();
        }

        public List<JsonNode> calls() {
            return List.copyOf(calls);
        }
    }

    /** An echo that needs a person's approval for every call, whatever the plan says. */
    public static Recording gatedEcho(String name) {
        ObjectNode schema = ToolDescriptor.emptyObjectSchema();
        schema.put("additionalProperties", true);
        return new Recording(ToolDescriptor.builder(name).description("echo behind an approval gate")
                .parameters(schema).requiresApproval(true).idempotent(true).build());
    }

    /** An echo whose arguments must be {@code {"amount": integer 1..1000, "currency": "EUR"|"USD"}}, nothing else. */
    public static Recording strictEcho(String name) {
        return new Recording(ToolDescriptor.builder(name).description("echo with a tight schema")
                .parameters((ObjectNode) json("""
                        {"type": "object",
                         "properties": {"amount": {"type": "integer", "minimum": 1, "maximum": 1000},
                                        "currency": {"type": "string", "enum": ["EUR", "USD"]}},
                         "required": ["amount", "currency"],
                         "additionalProperties": false}"""))
                .idempotent(true).build());
    }

    /** A tool whose every call fails ("boom"): for runs that end FAILED. */
    public static BatonTool failing(String name) {
        ToolDescriptor descriptor = ToolDescriptor.builder(name).description("fails every call")
                .parameters(ToolDescriptor.emptyObjectSchema()).idempotent(true).build();
        return new BatonTool() {
            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) {
                throw new IllegalStateException("boom: " + name + " always fails");
            }
        };
    }

    public static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
