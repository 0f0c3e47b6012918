package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;

import java.util.List;
import java.util.TreeSet;

/** Listed in src/test/resources/META-INF/services: proves that discovery finds it and hands it the settings. */
public class TestToolProvider implements ToolProvider {

    @Override
    public List<BatonTool> tools(ToolSettings settings) {
        return List.of(new BatonTool() {
            private final ToolDescriptor descriptor = ToolDescriptor.builder("test.provided")
                    .description("Tells which hosts it was allowed")
                    .idempotent(true)
                    .build();

            @Override
            public ToolDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public JsonNode call(JsonNode args, ToolContext context) {
                return Json.toTree(new TreeSet<>(settings.allowedHosts()));
            }
        });
    }
}
