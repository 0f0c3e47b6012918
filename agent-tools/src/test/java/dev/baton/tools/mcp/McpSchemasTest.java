package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.schema.JsonSchemaValidator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class McpSchemasTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            zod's draft-07 object        | {"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"number"}},"required":["a"],"additionalProperties":false} | {"type":"object","properties":{"a":{"type":"number"}},"required":["a"],"additionalProperties":false}
            tuple items, nested          | {"$schema":"http://json-schema.org/draft-07/schema","type":"object","properties":{"p":{"type":"array","items":[{"type":"number"},{"type":"string"}],"additionalItems":false}}} | {"type":"object","properties":{"p":{"type":"array","prefixItems":[{"type":"number"},{"type":"string"}],"items":false}}}
            a default holding items      | {"$schema":"http://json-schema.org/draft-07/schema#","type":"object","default":{"items":[1]}} | {"type":"object","default":{"items":[1]}}
            2020-12 untouched            | {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"t":{"type":"array","items":{"type":"string"}}}} | {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"t":{"type":"array","items":{"type":"string"}}}}
            no $schema untouched         | {"type":"object","properties":{}} | {"type":"object","properties":{}}
            """)
    void rewritesEarlierDraftsTo2020(String name, String schema, String expected) throws Exception {
        ObjectNode rewritten = McpSchemas.toDraft2020((ObjectNode) Json.parse(schema));
        assertEquals(Json.parse(expected), rewritten);
        assertEquals(List.of(), JsonSchemaValidator.schemaProblems(rewritten, "inputSchema"));
    }
}
