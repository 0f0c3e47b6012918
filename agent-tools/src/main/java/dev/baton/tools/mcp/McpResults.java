package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * How an MCP {@code tools/call} result becomes a task's output. Pure: it reads the result as the
 * server sent it (JSON), so the mapping is tested as a table.
 *
 * <table>
 *   <tr><th>the server sends</th><th>the task's output</th></tr>
 *   <tr><td>{@code structuredContent}</td><td>that value, as sent (the content blocks beside it are only its text form)</td></tr>
 *   <tr><td>one text block</td><td>its text, a JSON string</td></tr>
 *   <tr><td>several text blocks</td><td>their texts joined by newlines</td></tr>
 *   <tr><td>no content at all</td><td>{@code null}</td></tr>
 *   <tr><td>any other block (image, audio, resource, resource link)</td><td>{@code {"text": <the texts joined, or null>,
 *       "content": [every block as the server sent it]}}</td></tr>
 *   <tr><td>{@code isError: true}</td><td>no output: a failed attempt that is not retried, code {@code mcp_tool_error},
 *       the message its text (see {@link #errorMessage})</td></tr>
 * </table>
 */
public final class McpResults {

    private McpResults() {
    }

    /** Whether the result says the tool failed ({@code isError: true}). */
    public static boolean isError(JsonNode result) {
        return result != null && result.path("isError").asBoolean(false);
    }

    /** The output of a successful result, as the table above says. */
    public static JsonNode output(JsonNode result) {
        if (result == null || result.isNull()) return NullNode.getInstance();
        JsonNode structured = result.get("structuredContent");
        if (structured != null && !structured.isNull()) return structured;
        JsonNode content = result.path("content");
        if (!content.isArray() || content.isEmpty()) return NullNode.getInstance();
        List<String> texts = new ArrayList<>();
        boolean onlyText = true;
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
                texts.add(block.get("text").asText());
            } else {
                onlyText = false;
            }
        }
        if (onlyText) return TextNode.valueOf(String.join("\n", texts));
        ObjectNode mixed = Json.object();
        if (texts.isEmpty()) mixed.putNull("text");
        else mixed.put("text", String.join("\n", texts));
        ArrayNode blocks = mixed.putArray("content");
        content.forEach(block -> blocks.add(block.deepCopy()));
        return mixed;
    }

    /** The message of an error result: its texts joined by newlines, else its content as JSON, else a fixed phrase. */
    public static String errorMessage(JsonNode result) {
        JsonNode content = result == null ? null : result.get("content");
        List<String> texts = new ArrayList<>();
        if (content != null && content.isArray()) {
            for (JsonNode block : content) {
                if (block.path("text").isTextual()) texts.add(block.get("text").asText());
            }
            if (texts.isEmpty() && !content.isEmpty()) return Json.write(content);
        }
        if (texts.isEmpty()) return "the tool reported an error and said nothing more";
        return String.join("\n", texts);
    }
}
