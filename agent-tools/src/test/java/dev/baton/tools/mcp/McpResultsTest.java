package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class McpResultsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            structured content wins      | {"content":[{"type":"text","text":"{\\"t\\":33}"}],"structuredContent":{"t":33}} | {"t":33}
            structured array             | {"content":[],"structuredContent":[1,2]}                                          | [1,2]
            one text block               | {"content":[{"type":"text","text":"Echo: hi"}]}                                   | "Echo: hi"
            several text blocks          | {"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}              | "a\\nb"
            no content                   | {"content":[]}                                                                    | null
            null structured content      | {"content":[{"type":"text","text":"x"}],"structuredContent":null}                 | "x"
            image beside text            | {"content":[{"type":"text","text":"see"},{"type":"image","data":"AA==","mimeType":"image/png"}]} | {"text":"see","content":[{"type":"text","text":"see"},{"type":"image","data":"AA==","mimeType":"image/png"}]}
            resource only                | {"content":[{"type":"resource","resource":{"uri":"x:/1","text":"hi"}}]}           | {"text":null,"content":[{"type":"resource","resource":{"uri":"x:/1","text":"hi"}}]}
            """)
    void outputTable(String name, String result, String expected) throws Exception {
        assertEquals(Json.parse(expected), McpResults.output(Json.parse(result)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            one text                     | {"isError":true,"content":[{"type":"text","text":"Invalid resourceId: 0"}]}             | Invalid resourceId: 0
            several texts                | {"isError":true,"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}    | 'a\nb'
            no text                      | {"isError":true,"content":[{"type":"image","data":"AA==","mimeType":"image/png"}]}    | [{"type":"image","data":"AA==","mimeType":"image/png"}]
            nothing                      | {"isError":true,"content":[]}                                                          | the tool reported an error and said nothing more
            """)
    void errorMessageTable(String name, String result, String expected) throws Exception {
        JsonNode json = Json.parse(result);
        assertEquals(true, McpResults.isError(json));
        assertEquals(expected.replace("\\n", "\n"), McpResults.errorMessage(json));
    }

    @org.junit.jupiter.api.Test
    void theSdksResultTypeMapsThroughOurMapper() {
        McpSchema.CallToolResult sdk = McpSchema.CallToolResult.builder()
                .addTextContent("one").addTextContent("two").build();
        JsonNode json = Json.MAPPER.valueToTree(sdk);
        assertEquals(false, McpResults.isError(json));
        assertEquals("one\ntwo", McpResults.output(json).asText());
    }
}
