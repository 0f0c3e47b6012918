package dev.baton.runtime.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentRegistryTest {

    @TempDir
    Path dir;

    @Test
    void theAssistantIsAlwaysThereWithEveryTool() {
        AgentRegistry registry = new AgentRegistry();
        AgentSpec assistant = registry.find("assistant").orElseThrow();
        assertTrue(assistant.allTools());
        assertEquals(AgentLimits.DEFAULT, assistant.limits());
        assertEquals(16, AgentLimits.DEFAULT.maxSteps());
        assertEquals(50_000, AgentLimits.DEFAULT.maxTokens());
        assertEquals(Duration.ofMinutes(5), AgentLimits.DEFAULT.timeout());
    }

    @Test
    void agentsLoadFromAFile() throws Exception {
        Path file = dir.resolve("agents.json");
        Files.writeString(file, """
                {"agents": [
                  {"name": "triager", "description": "Sorts tickets.", "systemPrompt": "You sort tickets.",
                   "tools": ["echo"], "limits": {"maxSteps": 3, "timeout": "PT30S"}},
                  {"name": "writer", "systemPrompt": "You write."}
                ]}""");
        AgentRegistry registry = new AgentRegistry();
        List<AgentSpec> loaded = registry.loadFile(file);
        assertEquals(2, loaded.size());
        AgentSpec triager = registry.find("triager").orElseThrow();
        assertEquals(List.of("echo"), triager.tools());
        assertEquals(3, triager.limits().maxSteps());
        assertEquals(50_000, triager.limits().maxTokens());
        assertEquals(Duration.ofSeconds(30), triager.limits().timeout());
        assertEquals(List.of(), registry.find("writer").orElseThrow().tools());
        assertTrue(registry.names().containsAll(List.of("assistant", "triager", "writer")));
    }

    @Test
    void fileErrorsNameTheFileTheAgentAndTheField() throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, """
                {"agents": [{"name": "ok", "systemPrompt": "fine"},
                            {"name": "broken", "tools": ["echo"]}]}""");
        AgentRegistry registry = new AgentRegistry();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.loadFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'broken'"), e.getMessage());
        assertTrue(e.getMessage().contains("systemPrompt"), e.getMessage());
        assertTrue(registry.find("ok").isEmpty(), "nothing is registered from an invalid file");

        Files.writeString(file, "{\"agents\": [{\"name\": \"x\", \"systemPrompt\": \"p\", \"limits\": {\"maxSteps\": 0}}]}");
        e = assertThrows(IllegalArgumentException.class, () -> registry.loadFile(file));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("limits.maxSteps"), e.getMessage());

        // An agent's timer must not overflow, as no plan's may (issue 17).
        Files.writeString(file, "{\"agents\": [{\"name\": \"x\", \"systemPrompt\": \"p\", \"limits\": {\"timeout\": \"PT30000000000000000S\"}}]}");
        e = assertThrows(IllegalArgumentException.class, () -> registry.loadFile(file));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("at most P3650D"), e.getMessage());
    }

    @Test
    void toolNamesMapToOpenAisPatternAndBack() {
        ToolNames names = new ToolNames(List.of("http.request", "http_request", "echo"));
        assertEquals("http_request", names.modelName("http.request"));
        assertEquals("http_request_2", names.modelName("http_request"));
        assertEquals("echo", names.modelName("echo"));
        assertEquals("http.request", names.batonName("http_request").orElseThrow());
        assertEquals("http_request", names.batonName("http_request_2").orElseThrow());
        assertTrue(names.batonName("nope").isEmpty());
    }

    @Test
    void aToolSchemaBecomesAJsonObjectSchemaWithoutLosingAnything() throws Exception {
        ObjectNode schema = (ObjectNode) Json.parse("""
                {"type": "object", "description": "One request.",
                 "properties": {"url": {"type": "string", "format": "uri", "description": "where"},
                                "retries": {"type": "integer", "minimum": 0},
                                "headers": {"type": "object", "additionalProperties": {"type": "string"}}},
                 "required": ["url"], "additionalProperties": false}""");
        JsonObjectSchema converted = JsonSchemas.toLangChain4j(schema);
        assertEquals(List.of("url"), converted.required());
        assertEquals(false, converted.additionalProperties());
        assertEquals("One request.", converted.description());
        assertEquals(schema, JsonSchemas.toJson(converted));
    }

    @Test
    void topLevelKeywordsAnObjectSchemaHasNoPlaceForReachTheModelInTheDescription() throws Exception {
        ObjectNode schema = (ObjectNode) Json.parse("""
                {"type": "object", "description": "A refund.",
                 "properties": {"card": {"type": "string"}, "expiry": {"type": "string"}},
                 "dependentRequired": {"card": ["expiry"]}, "minProperties": 1}""");
        JsonObjectSchema converted = JsonSchemas.toLangChain4j(schema);
        assertEquals("A refund.\nThe arguments as a whole must also satisfy this JSON Schema: "
                + "{\"dependentRequired\":{\"card\":[\"expiry\"]},\"minProperties\":1}", converted.description());
    }
}
