package dev.baton.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.ToolSettings;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuiltinToolsTest {

    @Test
    void registersHttpRequestAndEchoAsBuiltin() {
        ToolRegistry registry = new ToolRegistry();

        BuiltinTools.register(registry, ToolSettings.allowingHosts("api.example.com"));

        assertEquals(List.of("echo", "http.request"), registry.names());
        assertTrue(registry.descriptors().stream().map(ToolDescriptor::source).allMatch("builtin"::equals));
    }

    @Test
    void echoReturnsItsArgumentsUnchanged() throws Exception {
        JsonNode args = Json.parse("{\"a\": [1, {\"b\": null}], \"c\": \"text\"}");

        JsonNode output = new EchoTool().call(args, ToolContext.standalone("k"));

        assertEquals(args, output);
        assertNotSame(args, output, "a copy, so later changes to one do not show in the other");
    }

    @Test
    void echoIsIdempotentAndAcceptsAnyObject() {
        ToolDescriptor echo = new EchoTool().descriptor();

        assertTrue(echo.idempotent());
        assertFalse(echo.requiresApproval());
        assertEquals("object", echo.parameters().get("type").asText());
        assertTrue(echo.parameters().get("additionalProperties").asBoolean());
    }

    @Test
    void malformedAllowlistFailsAtStartNotAtFirstCall() {
        assertThrows(IllegalArgumentException.class,
                () -> BuiltinTools.register(new ToolRegistry(), ToolSettings.allowingHosts("*")));
    }

    @Test
    void settingsFromTheEnvironment() {
        ToolSettings settings = ToolSettings.fromEnvironment(
                java.util.Map.of(ToolSettings.ALLOWED_HOSTS_VARIABLE, " api.example.com, *.example.org  localhost:8080,"));

        assertEquals(java.util.Set.of("api.example.com", "*.example.org", "localhost:8080"), settings.allowedHosts());
        assertTrue(ToolSettings.fromEnvironment(java.util.Map.of()).allowedHosts().isEmpty());
    }
}
